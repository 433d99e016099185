/** The apply loop over a scripted transport: what the node answers decides the outcome. */
import {describe, expect, it} from '@jest/globals';
import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import {ApplyError, LostNodeError, applyNode, observeNode, whileNodesAnswer} from '../../src/engine/engine.js';
import {planNode} from '../../src/plan/node-plan.js';
import {checkSpecText} from '../../src/spec/check.js';
import {UnreachableError, type RunOptions, type ScriptResult, type Transport} from '../../src/transport/transport.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'observe');
const applied = readFileSync(join(fixtures, 'overlay-node1.txt'), 'utf8');
const cluster = checkSpecText(readFileSync(join(fixtures, 'overlay-spec.yaml'), 'utf8')).cluster!;
const node1 = cluster.nodes[0]!;
const empty = '@@netctl links\n[]\n@@netctl addresses\n[{"ifname":"eth0","addr_info":[{"family":"inet","local":"203.0.113.1","prefixlen":24}]}]\n@@netctl end\n';

/** A node that answers each script with the next scripted result, and records what it was sent. */
class ScriptedNode implements Transport {
  readonly description = 'scripted';
  readonly received: string[] = [];
  /** Whether each script was sent as the node's last round trip. */
  readonly last: boolean[] = [];
  /** `lost`: the node stops answering after printing this much of the first answer. */
  constructor(private readonly answers: ScriptResult[], private readonly probe: 'reaches' | 'fails' = 'reaches', private readonly lost?: string) {}
  run(script: string, options: RunOptions = {}): Promise<ScriptResult> {
    this.received.push(script);
    this.last.push(options.last === true);
    if (this.lost !== undefined) {
      options.onOutput?.(this.lost);
      return Promise.reject(new UnreachableError('node1', 'the connection was lost: Timeout, server 203.0.113.1 not responding.'));
    }
    const answer = this.answers.shift();
    if (answer === undefined) throw new Error('unexpected script');
    options.onOutput?.(answer.stdout);
    return Promise.resolve(answer);
  }
  lock(): Promise<void> {
    return Promise.resolve();
  }
  lockAndRun(script: string, options?: RunOptions): Promise<ScriptResult> {
    return this.run(script, options);
  }
  interactive(): Promise<number> {
    throw new Error('unexpected interactive command');
  }
  unlock(): Promise<void> {
    return Promise.resolve();
  }
  probeNewConnection(handshake: boolean): Promise<void> {
    this.received.push(`probe${handshake ? ' with handshake' : ''}`);
    return this.probe === 'reaches' ? Promise.resolve() : Promise.reject(new UnreachableError('node1', 'a new connection to 203.0.113.1 port 22 brought no SSH banner within 10 s (--connect-timeout)'));
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
  abort(): void {}
}

const ok = (stdout: string): ScriptResult => ({stdout, stderr: '', exitCode: 0});

describe('applyNode', () => {
  it('sends one script that applies and re-reads, and accepts the node when the re-read shows no difference', async () => {
    const plan = planNode(cluster, node1, await observeNode(new ScriptedNode([ok(empty)]), cluster, node1, 'apply'), 'apply');
    const transport = new ScriptedNode([ok(`@@netctl-tx applied\n${applied}`)]);
    await applyNode(transport, cluster, plan, 'apply');
    expect(transport.received).toHaveLength(1);
    expect(transport.received[0]).toContain('ip -batch -');
    expect(transport.received[0]).toContain('cat >/run/netctl/tx/rollback.sh');
    expect(transport.received[0]!.indexOf('sec links')).toBeGreaterThan(transport.received[0]!.indexOf('[ "$status" = applied ] || exit 3'));
  });

  it('rolls the node back and names the remaining differences when the re-read is not clean', async () => {
    const plan = planNode(cluster, node1, await observeNode(new ScriptedNode([ok(empty)]), cluster, node1, 'apply'), 'apply');
    const stillEmpty = new ScriptedNode([ok(`@@netctl-tx applied\n${empty}`), ok('@@netctl-tx rolled-back\n')]);
    await expect(applyNode(stillEmpty, cluster, plan, 'apply')).rejects.toThrow(
      /^node1: the node still differed from the spec after applying, so it was rolled back to its state before this apply: .*create link netctl0 \(missing on the node\)/,
    );
    expect(stillEmpty.received[1]).toContain('sh /run/netctl/tx/rollback.sh >/run/netctl/tx/rollback.log 2>&1; echo rolled-back >/run/netctl/tx/status');
  });

  it('says the watchdog undid the apply when the re-read outlasted the confirmation window, not that the node differed', async () => {
    const plan = planNode(cluster, node1, await observeNode(new ScriptedNode([ok(empty)]), cluster, node1, 'apply'), 'apply');
    const expired = new ScriptedNode([ok(`@@netctl-tx applied\n${empty}`), ok('@@netctl-tx expired\n')]);
    await expect(applyNode(expired, cluster, plan, 'apply', {seconds: 60, handshake: false})).rejects.toThrow(new ApplyError(
      "node1: the node's watchdog rolled the apply back before it was verified: reading the node back took longer than --confirm-timeout (60 s); run again with a longer --confirm-timeout", true));
  });

  it('says what failed and that the node was rolled back when a command fails', async () => {
    const plan = planNode(cluster, node1, await observeNode(new ScriptedNode([ok(empty)]), cluster, node1, 'apply'), 'apply');
    const failing = new ScriptedNode([{stdout: '@@netctl-tx rolled-back\n', stderr: 'Error: Unknown device type.\nCommand failed -:3', exitCode: 3}]);
    await expect(applyNode(failing, cluster, plan, 'apply')).rejects.toThrow(new ApplyError(
      'node1: applying changes failed, and the node was rolled back to its state before this apply: Error: Unknown device type.\nCommand failed -:3', true));
  });

  it('proves a new connection reaches the node once the changes are in, then confirms over the held session', async () => {
    const plan = planNode(cluster, node1, await observeNode(new ScriptedNode([ok(empty)]), cluster, node1, 'apply'), 'apply');
    const node = new ScriptedNode([ok(`@@netctl-tx applied\n${applied}`), ok('@@netctl-tx confirmed\n')]);
    await applyNode(node, cluster, plan, 'apply', {seconds: 60, handshake: false});
    expect(node.received[0]).toContain('sleep 60; { flock 8; } 8>>/run/netctl/tx.running; flock /run/netctl/tx/confirm.lock');
    expect(node.received[1]).toBe('probe');
    expect(node.received[2]).toMatch(/^flock \/run\/netctl\/tx\/confirm.lock/);
    const strict = new ScriptedNode([ok(`@@netctl-tx applied\n${applied}`), ok('@@netctl-tx confirmed\n')]);
    await applyNode(strict, cluster, plan, 'apply', {seconds: 60, handshake: true});
    expect(strict.received[1]).toBe('probe with handshake');
  });

  it('ends the session with the confirmation when the run does nothing more on the node, and only then', async () => {
    const plan = planNode(cluster, node1, await observeNode(new ScriptedNode([ok(empty)]), cluster, node1, 'apply'), 'apply');
    const done = new ScriptedNode([ok(`@@netctl-tx applied\n${applied}`), ok('@@netctl-tx confirmed\n')]);
    await applyNode(done, cluster, plan, 'apply', {seconds: 60, handshake: false}, true);
    expect(done.last).toEqual([false, true]);
    const looping = new ScriptedNode([ok(`@@netctl-tx applied\n${applied}`), ok('@@netctl-tx confirmed\n')]);
    await applyNode(looping, cluster, plan, 'apply', {seconds: 60, handshake: false});
    expect(looping.last).toEqual([false, false]);
  });

  it('does not confirm when no new connection reaches the node: its watchdog undoes the change', async () => {
    const plan = planNode(cluster, node1, await observeNode(new ScriptedNode([ok(empty)]), cluster, node1, 'apply'), 'apply');
    const node = new ScriptedNode([ok(`@@netctl-tx applied\n${applied}`)], 'fails');
    await expect(applyNode(node, cluster, plan, 'apply', {seconds: 60, handshake: false})).rejects.toThrow(new ApplyError(
      "node1: applied and verified, but a new connection could not reach the node (cannot reach node node1: a new connection to 203.0.113.1 port 22 brought no SSH banner within 10 s (--connect-timeout)), so netctl did not confirm; the node's watchdog restores its previous state within 60 s of the apply", true));
    expect(node.received).toHaveLength(2);
  });

  it('says the watchdog will restore the node when the confirmation does not get through', async () => {
    const plan = planNode(cluster, node1, await observeNode(new ScriptedNode([ok(empty)]), cluster, node1, 'apply'), 'apply');
    const node = new ScriptedNode([ok(`@@netctl-tx applied\n${applied}`), ok('')]);
    await expect(applyNode(node, cluster, plan, 'apply', {seconds: 60, handshake: false})).rejects.toThrow(
      "node1: applied and verified, but netctl could not confirm (its watchdog had already rolled it back); the node's watchdog restores its previous state within 60 s of the apply");
  });

  it('says what it knows of a node that stops answering during its transaction', async () => {
    const plan = planNode(cluster, node1, await observeNode(new ScriptedNode([ok(empty)]), cluster, node1, 'apply'), 'apply');
    const before = applyNode(new ScriptedNode([], 'reaches', ''), cluster, plan, 'apply', {seconds: 60, handshake: false});
    await expect(before).rejects.toThrow(LostNodeError);
    await expect(before).rejects.toThrow('node1: the node stopped answering during the apply (the connection was lost: Timeout, server 203.0.113.1 not responding.); its transaction runs to the end by itself on the node: a failed command rolls it back, and its watchdog undoes an applied change 60 s after the apply began unless a netctl run reaches the node before then (which confirms it); run netctl plan once it answers');
    const unconfirmed = applyNode(new ScriptedNode([], 'reaches', ''), cluster, plan, 'apply', undefined);
    await expect(unconfirmed).rejects.toThrow('its state is unknown: its transaction runs to the end by itself on the node (applied, or rolled back if a command fails); run netctl plan once it answers');
    const after = applyNode(new ScriptedNode([], 'reaches', '@@netctl-tx applied\n'), cluster, plan, 'apply', {seconds: 60, handshake: false});
    await expect(after).rejects.toThrow('its changes were applied, and since no confirmation can come, its watchdog restores its previous state within 60 s');
  });

  it('rolls back from the planned state to the observed one, going past what fails', async () => {
    const {rollbackScript} = await import('../../src/apply/transaction.js');
    const plan = planNode(cluster, node1, await observeNode(new ScriptedNode([ok(empty)]), cluster, node1, 'apply'), 'apply');
    const script = rollbackScript(plan);
    expect(script).not.toContain('set -e');
    expect(script).toContain("ip -force -batch - <<'NETCTL_EOF' || true\nlink del dev");
    expect(script).toContain("iptables -w 5 -t filter -D FORWARD -m comment --comment netctl -j NETCTL-FORWARD 2>/dev/null || true");
    expect(script).toContain(':NETCTL-FORWARD - [0:0]\n');
    expect(script).toContain('-X NETCTL-FORWARD');
  });

  it('puts back a jump a failed destroy removed, at the head of its chain, unless it is there', async () => {
    const {rollbackScript} = await import('../../src/apply/transaction.js');
    const observed = await observeNode(new ScriptedNode([ok(applied)]), cluster, node1, 'destroy');
    const script = rollbackScript(planNode(cluster, node1, observed, 'destroy'));
    expect(script).toContain('iptables -w 5 -t nat -C POSTROUTING -m comment --comment netctl -j NETCTL-POSTROUTING 2>/dev/null || iptables -w 5 -t nat -I POSTROUTING 1 -m comment --comment netctl -j NETCTL-POSTROUTING || true');
  });
});

describe('verificationScope', () => {
  it('re-reads only the iptables chains an apply changed', async () => {
    const {verificationScope} = await import('../../src/engine/engine.js');
    const plan = planNode(cluster, node1, await observeNode(new ScriptedNode([ok(empty)]), cluster, node1, 'apply'), 'apply');
    expect([...verificationScope(plan.changes).iptablesChains!].sort()).toEqual([
      'filter FORWARD', 'filter NETCTL-FORWARD', 'nat NETCTL-POSTROUTING', 'nat POSTROUTING',
    ]);
    expect(verificationScope(plan.changes).serviceRulesOnly).toBeUndefined();
    expect(verificationScope([])).toEqual({iptablesChains: new Set(), serviceRulesOnly: true});
  });
});

describe('whileNodesAnswer', () => {
  it('gives the answers, or the failure that came while it built the shared chains, to its caller', async () => {
    await expect(whileNodesAnswer(Promise.resolve('read'), cluster, 'apply')).resolves.toBe('read');
    await expect(whileNodesAnswer(Promise.reject(new Error('node1: lost')), cluster, 'apply')).rejects.toThrow('node1: lost');
    await expect(whileNodesAnswer(Promise.resolve('read'), cluster, 'destroy')).resolves.toBe('read');
  });
});
