/** Safe changes on live hosts: targeting, locks, rollback on failure, a killed netctl, a dead sshd. */
import {afterAll, beforeAll, describe, expect, it} from '@jest/globals';
import {execa} from 'execa';
import {readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {LAB_DIR, Lab, bin, labSpec, labUnavailable, netctl, nodeAddress} from './lab.js';

const unavailable = labUnavailable();
if (unavailable !== undefined) console.warn(`skipping end-to-end tests: ${unavailable}`);
const suite = unavailable === undefined ? describe : describe.skip;

const spec = labSpec({
  mode: 'overlay',
  clusterCIDR: '10.244.0.0/16',
  nodes: [1, 2, 3].map((n) => `    - {name: node${n}, address: ${nodeAddress(n)}/24}\n`).join(''),
  pods: [1, 2, 3].map((n) => `    - {name: p${n}, node: node${n}}\n`).join(''),
});

/** What a node holds, as text that changes when anything netctl could touch changes. */
async function snapshot(lab: Lab, node: number): Promise<string> {
  const parts = await Promise.all([
    ['ip', '-d', 'link', 'show'], ['ip', '-4', 'addr', 'show'], ['ip', '-4', 'route', 'show', 'table', 'all'],
    ['ip', 'neigh', 'show', 'nud', 'permanent'], ['bridge', 'fdb', 'show', 'dynamic'], ['ip', 'netns', 'list'],
    ['iptables-save'], ['cat', '/proc/sys/net/ipv4/ip_forward'],
  ].map((command) => lab.onNode(node, command)));
  // Bridge timers and the packet counters of chain policies (`:INPUT ACCEPT [12:840]`, counted for
  // any packet a peer sends) tick on their own; everything else must stay as it was.
  return parts.map((p) => p.stdout.split('\n').filter((l) => !l.startsWith('#')).join('\n').replace(/_timer +[\d.]+/g, '_timer').replace(/^(:\S+ \S+) \[\d+:\d+\]$/gm, '$1')).join('\n---\n');
}

const sessions = (node: number) => (readFileSync(join(LAB_DIR, `node${node}.log`), 'utf8').match(/Accepted publickey/g) ?? []).length;

suite('safe changes on live hosts', () => {
  let lab: Lab;
  let file: string;

  beforeAll(async () => {
    lab = await Lab.up(3);
    file = lab.writeSpec('spec', spec);
  });
  afterAll(async () => {
    await lab?.down();
  });

  it('touches only the targeted node: the others are not even contacted', async () => {
    const before = [await snapshot(lab, 2), await snapshot(lab, 3)];
    const logins = [sessions(2), sessions(3)];
    const result = await netctl(['apply', '-f', file, '--target', 'node1', '--auto-approve']);
    expect(result.stdout).toContain('Apply complete:\n  node1: applied\n');
    expect(result.stdout).not.toContain('node2');
    expect(result.exitCode).toBe(0);
    expect([await snapshot(lab, 2), await snapshot(lab, 3)]).toEqual(before);
    expect([sessions(2), sessions(3)]).toEqual(logins);
    expect((await netctl(['plan', '-f', file, '--target', 'node1', '--detailed-exitcode'])).exitCode).toBe(0);
    const unknown = await netctl(['plan', '-f', file, '--target', 'node9']);
    expect(unknown.stderr).toContain('error: --target node9: the spec has no such node');
    expect(unknown.exitCode).toBe(1);
  });

  it('leaves a node alone that holds another cluster\'s objects: plan, apply and destroy of that spec refuse it', async () => {
    // The spec of another cluster pointed at node1, which cluster e2e built in the test before.
    const other = lab.writeSpec('other', spec.replace('metadata: {name: e2e}', 'metadata: {name: other}').replace('10.244.0.0/16', '10.245.0.0/16'));
    const before = await snapshot(lab, 1);
    const plan = await netctl(['plan', '-f', other, '--target', 'node1', '--detailed-exitcode']);
    expect(plan.stdout).toContain('node1: cannot be planned\n  error: the node holds the netctl objects of cluster e2e (metadata.name of the spec that applied them), not of other');
    expect(plan.exitCode).toBe(1);
    for (const command of ['apply', 'destroy']) {
      const run = await netctl([command, '-f', other, '--target', 'node1', '--auto-approve']);
      expect(run.stdout).toContain('node1: not changed: it cannot be planned');
      expect(run.exitCode).toBe(1);
    }
    expect(await snapshot(lab, 1)).toBe(before);
    const preflight = await netctl(['preflight', '-f', other, '--target', 'node1']);
    expect(preflight.stdout).toMatch(/fail {2}cluster +the node holds the netctl objects of cluster e2e/);
    expect((await netctl(['plan', '-f', file, '--target', 'node1', '--detailed-exitcode'])).exitCode).toBe(0);
  });

  it('splits the nodes into shards: each shard changes its own nodes only, and all shards together converge', async () => {
    expect((await netctl(['destroy', '-f', file, '--auto-approve'])).exitCode).toBe(0);
    const changed: string[] = [];
    for (const k of [1, 2]) {
      const before = await Promise.all([1, 2, 3].map((n) => snapshot(lab, n)));
      const result = await netctl(['apply', '-f', file, '--shard', `${k}/2`, '--auto-approve']);
      expect(result.exitCode).toBe(0);
      const after = await Promise.all([1, 2, 3].map((n) => snapshot(lab, n)));
      const mine = [1, 2, 3].filter((n) => result.stdout.includes(`  node${n}: applied`));
      expect([1, 2, 3].filter((n) => after[n - 1] !== before[n - 1])).toEqual(mine);
      changed.push(...mine.map((n) => `node${n}`));
    }
    expect(changed.sort()).toEqual(['node1', 'node2', 'node3']);
    expect((await netctl(['plan', '-f', file, '--detailed-exitcode'])).exitCode).toBe(0);
    const bad = await netctl(['plan', '-f', file, '--shard', '3/2']);
    expect(bad.stderr).toBe('error: --shard 3/2: write K/N, shard K of N, with 1 <= K <= N (for example 1/4)\n');
    expect(bad.exitCode).toBe(2);
    // Back to where the next test starts: only node1 applied.
    expect((await netctl(['destroy', '-f', file, '--target', 'node2', '--target', 'node3', '--auto-approve'])).exitCode).toBe(0);
  });

  it('rolls a node back exactly when a command of its batch fails, and applies the others', async () => {
    // A failing iptables-restore earlier on node2's PATH (/usr/local/sbin), only in node2's mount namespace.
    const faulty = join(LAB_DIR, 'faulty-bin');
    await execa('sh', ['-c', `mkdir -p ${faulty} && printf '#!/bin/sh\\necho "injected failure" >&2\\nexit 1\\n' >${faulty}/iptables-restore && chmod +x ${faulty}/iptables-restore`]);
    await lab.onNode(2, ['mount', '--bind', faulty, '/usr/local/sbin']);
    const before = await snapshot(lab, 2);
    const result = await netctl(['apply', '-f', file, '--auto-approve']);
    expect(result.stderr).toContain('node2: applying changes failed, and the node was rolled back to its state before this apply: injected failure');
    expect(result.stdout).toContain('Apply finished with errors:\n  node1: unchanged\n  node2: failed and rolled back\n  node3: applied\n');
    expect(result.exitCode).toBe(1);
    expect(await snapshot(lab, 2)).toBe(before);
    expect((await netctl(['plan', '-f', file, '--target', 'node1', '--target', 'node3', '--detailed-exitcode'])).exitCode).toBe(0);
    await lab.onNode(2, ['umount', '/usr/local/sbin']);
    expect((await netctl(['apply', '-f', file, '--auto-approve'])).exitCode).toBe(0);
  });

  it('lets one netctl change a node at a time: the second fails naming the holder, or waits for it', async () => {
    const changed = lab.writeSpec('changed', spec.replace('    - {name: p1, node: node1}\n', '    - {name: p1, node: node1}\n    - {name: p4, node: node1}\n'));
    // The first run holds the locks while it waits at its confirmation prompt (a pseudo-terminal).
    const first = execa('script', ['-qfec', `${bin} apply -f ${changed}`, '/dev/null'], {reject: false, env: {NO_COLOR: '1'}});
    await new Promise<void>((resolve) => {
      let out = '';
      first.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes("Only 'yes' will be accepted")) resolve();
      });
    });
    const second = await netctl(['apply', '-f', changed, '--auto-approve']);
    expect(second.stderr).toMatch(/^error: node node1 is locked by another netctl run, held by netctl on \S+ \(pid \d+\) since \d{4}-/);
    expect(second.stderr).toContain('Nothing was changed: netctl changes nodes only once it holds the lock of every one');
    expect(second.exitCode).toBe(1);
    const waiting = netctl(['apply', '-f', changed, '--auto-approve', '--lock-timeout', '60']);
    first.stdin.write('yes\n');
    expect((await first).exitCode).toBe(0);
    const third = await waiting;
    expect(third.stdout).toContain('No changes. The hosts match the spec.');
    expect(third.exitCode).toBe(0);
    expect((await netctl(['apply', '-f', file, '--auto-approve'])).exitCode).toBe(0);
  });

  it('converges after netctl is killed in the middle of a multi-node apply', async () => {
    const changed = lab.writeSpec('killed', spec.replace(/ {4}- \{name: p(\d), node: node(\d)\}\n/g, '    - {name: p$1, node: node$2}\n    - {name: q$1, node: node$2}\n'));
    const run = execa(bin, ['apply', '-f', changed, '--auto-approve'], {reject: false, env: {NO_COLOR: '1'}});
    await new Promise<void>((resolve) => {
      run.stdout.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('changes')) resolve();
      });
    });
    run.kill('SIGKILL');
    await run;
    const again = await netctl(['apply', '-f', changed, '--auto-approve']);
    expect(again.exitCode).toBe(0);
    expect((await netctl(['plan', '-f', changed, '--detailed-exitcode'])).exitCode).toBe(0);
  });

  it('on SIGINT starts no further node, lets the running one finish, reports, and the next apply converges', async () => {
    const changed = lab.writeSpec('interrupted', spec.replace(/ {4}- \{name: p(\d), node: node(\d)\}\n/g, '    - {name: p$1, node: node$2}\n    - {name: i$1, node: node$2}\n'));
    const run = execa(bin, ['apply', '-f', changed, '--auto-approve', '--parallelism', '1'], {reject: false, env: {NO_COLOR: '1'}});
    await new Promise<void>((resolve) => {
      run.stdout.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('changes')) resolve();
      });
    });
    run.kill('SIGINT');
    const result = await run;
    expect(result.stderr).toContain('interrupted: no further node is started; nodes in flight finish or roll back');
    expect(result.stdout).toMatch(/Apply finished with errors:\n {2}node1: applied\n {2}node2: skipped \(interrupted\)\n {2}node3: skipped \(interrupted\)/);
    expect(result.exitCode).toBe(1);
    expect((await netctl(['plan', '-f', changed, '--target', 'node1', '--detailed-exitcode'])).exitCode).toBe(0);
    expect((await netctl(['apply', '-f', changed, '--auto-approve'])).exitCode).toBe(0);
    expect((await netctl(['plan', '-f', changed, '--detailed-exitcode'])).exitCode).toBe(0);
  });

  it('applies a saved plan exactly, and refuses a stale one without changing anything', async () => {
    expect((await netctl(['apply', '-f', file, '--auto-approve'])).exitCode).toBe(0);
    const planFile = join(LAB_DIR, 'saved.plan');
    const grown = lab.writeSpec('grown', spec.replace('    - {name: p2, node: node2}\n', '    - {name: p2, node: node2}\n    - {name: p5, node: node2}\n'));
    expect((await netctl(['plan', '-f', grown, '--out', planFile])).exitCode).toBe(0);
    const shown = await netctl(['show', planFile]);
    expect(shown.stdout).toContain('+ network namespace p5');
    // Someone changes a route by hand on node1 after the plan was made.
    const {stdout: route} = await lab.onNode(1, ['ip', '-j', 'route', 'show', 'proto', '147']);
    const victim = (JSON.parse(route) as {dst: string}[])[0]!.dst;
    await lab.onNode(1, ['ip', 'route', 'del', victim, 'proto', '147']);
    const before = [await snapshot(lab, 1), await snapshot(lab, 2), await snapshot(lab, 3)];
    const stale = await netctl(['apply', planFile]);
    expect(stale.stderr).toContain(`error: node1 changed since the plan was made: route ${victim} is gone`);
    expect(stale.stderr).toContain('nothing was applied: make a new plan');
    expect(stale.exitCode).toBe(1);
    expect([await snapshot(lab, 1), await snapshot(lab, 2), await snapshot(lab, 3)]).toEqual(before);
    // A fresh plan applies as saved, without asking, and leaves nothing to do.
    expect((await netctl(['plan', '-f', grown, '--out', planFile])).exitCode).toBe(0);
    const fresh = await netctl(['apply', planFile]);
    expect(fresh.stdout).toContain('Apply complete:\n  node1: applied\n  node2: applied\n  node3: unchanged\n');
    expect((await netctl(['plan', '-f', grown, '--detailed-exitcode'])).exitCode).toBe(0);
    const state = await netctl(['show', '-f', grown, '--target', 'node2', '--json']);
    const doc = JSON.parse(state.stdout) as {nodes: {node: string; objects: {key: string}[]}[]};
    expect(doc.nodes.map((n) => n.node)).toEqual(['node2']);
    expect(doc.nodes[0]!.objects.map((o) => o.key)).toContain('netns p5');
    expect((await netctl(['apply', '-f', file, '--auto-approve'])).exitCode).toBe(0);
  });

  /**
   * Applies a change to node1 that cuts the path (after each iptables-restore, node1 drops new SSH
   * connections; the connection netctl already has keeps working, as an established one would), then
   * `after` more commands of the transaction; waits (at most 20 s) for the node's watchdog to finish,
   * and returns netctl's output. The node must be as before.
   */
  const cutPathAndWait = async (name: string, after: string, confirmSeconds: number) => {
    const withoutSsh = (text: string) => text.split('\n').filter((l) => !l.includes('--dport 22')).join('\n');
    const before = withoutSsh(await snapshot(lab, 1));
    const cut = 'INPUT -p tcp --dport 22 -m conntrack --ctstate NEW -j DROP';
    const cutting = join(LAB_DIR, `${name}-bin`);
    await execa('sh', ['-c', `mkdir -p ${cutting} && printf '#!/bin/sh\\n/usr/sbin/iptables-restore "$@" || exit\\niptables -I ${cut}\\n${after}' >${cutting}/iptables-restore && chmod +x ${cutting}/iptables-restore`]);
    await lab.onNode(1, ['mount', '--bind', cutting, '/usr/local/sbin']);
    let result: Awaited<ReturnType<typeof netctl>>;
    try {
      // Turning masquerade off rewrites iptables, so the change goes through iptables-restore.
      const grown = lab.writeSpec(name, spec.replace('  clusterCIDR: 10.244.0.0/16\n', '  clusterCIDR: 10.244.0.0/16\n  masquerade: false\n'));
      result = await netctl(['apply', '-f', grown, '--target', 'node1', '--auto-approve', '--confirm-timeout', String(confirmSeconds)]);
      const {stdout: watchdog} = await lab.onNode(1, ['cat', '/run/netctl/tx/watchdog.pid']);
      await lab.onNode(1, ['timeout', '20', 'tail', `--pid=${watchdog.trim()}`, '-s', '0.1', '-f', '/dev/null']);
      expect((await lab.onNode(1, ['cat', '/run/netctl/tx/status'])).stdout.trim()).toBe('expired');
    } finally {
      await lab.onNode(1, ['umount', '/usr/local/sbin']);
      await lab.onNode(1, ['sh', '-c', `while iptables -D ${cut} 2>/dev/null; do :; done`]);
    }
    expect(withoutSsh(await snapshot(lab, 1))).toBe(before);
    expect((await netctl(['plan', '-f', file, '--detailed-exitcode'])).exitCode).toBe(0);
    return result;
  };

  it('undoes an apply on the node by itself when no new connection reaches it after the change', async () => {
    expect((await netctl(['apply', '-f', file, '--auto-approve'])).exitCode).toBe(0);
    const result = await cutPathAndWait('cut', '', 3);
    expect(result.stderr).toContain('node1: applied and verified, but a new connection could not reach the node (cannot reach node node1: a new connection to 203.0.113.1 port 22 brought no SSH banner within 5 s (--connect-timeout)), so netctl did not confirm');
    expect(result.exitCode).toBe(1);
  });

  it('undoes it too when the transaction that cut the path outlasts the watchdog\'s time', async () => {
    // The transaction runs 4 s more after the cut: past the watchdog's 2 s.
    const result = await cutPathAndWait('slow-cut', 'sleep 4\\n', 2);
    expect(result.stderr).toContain('node1: applied and verified, but a new connection could not reach the node');
  });

  it('proves that a node reached through a ProxyCommand still answers with a whole new SSH session through it', async () => {
    // node1 is reached through a proxy in its own network namespace, and drops new connections to its
    // sshd from outside: only a new session through the proxy reaches it, not a connection to its address.
    const config = join(LAB_DIR, 'ssh_config_proxied');
    writeFileSync(config, `Include ${LAB_DIR}/ssh_config\nHost ${nodeAddress(1)}\n  ProxyCommand nsenter -t ${lab.listenerPid(1)} -n socat - TCP:%h:%p\n`);
    const proxied = lab.writeSpec('proxied', spec.replace(`${LAB_DIR}/ssh_config`, config).replace('  clusterCIDR: 10.244.0.0/16\n', '  clusterCIDR: 10.244.0.0/16\n  masquerade: false\n'));
    const outside = 'INPUT ! -i lo -p tcp --dport 22 -m conntrack --ctstate NEW -j DROP';
    await lab.onNode(1, ['sh', '-c', `iptables -I ${outside}`]);
    try {
      const result = await netctl(['apply', '-f', proxied, '--target', 'node1', '--auto-approve']);
      expect(result.stdout).toContain('Apply complete:\n  node1: applied\n');
      expect(result.exitCode).toBe(0);
    } finally {
      await lab.onNode(1, ['sh', '-c', `while iptables -D ${outside} 2>/dev/null; do :; done`]);
    }
    expect((await netctl(['apply', '-f', file, '--auto-approve'])).exitCode).toBe(0);
  });

  it('reports a node whose sshd does not answer, handles the others, and exits 1', async () => {
    // As a stopped sshd does: connections to port 22 are refused.
    await lab.onNode(3, ['iptables', '-I', 'INPUT', '-p', 'tcp', '--dport', '22', '-j', 'REJECT', '--reject-with', 'tcp-reset']);
    const plan = await netctl(['plan', '-f', file]);
    expect(plan.stdout).toContain('node3: unreachable\n  error: cannot reach node node3: ssh: connect to host 203.0.113.3 port 22: Connection refused');
    expect(plan.stdout).toMatch(/node1:/);
    expect(plan.exitCode).toBe(1);
    const apply = await netctl(['apply', '-f', file, '--auto-approve']);
    expect(apply.stdout).toMatch(/Apply finished with errors:\n {2}node1: (applied|unchanged)\n {2}node2: (applied|unchanged)\n {2}node3: unreachable\n/);
    expect(apply.exitCode).toBe(1);
    await lab.onNode(3, ['iptables', '-D', 'INPUT', '-p', 'tcp', '--dport', '22', '-j', 'REJECT', '--reject-with', 'tcp-reset']);
  });
});
