/**
 * `netctl reconcile` in the lab: readiness probes (tcp, http, exec) decide which pods a service sends
 * connections to, drift is repaired within a resync, one SSH connection per node serves the whole run,
 * and SIGTERM ends it cleanly.
 */
import {afterAll, beforeAll, describe, expect, it} from '@jest/globals';
import {execa} from 'execa';
import {readFileSync, rmSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {LAB_DIR, Lab, bin, labSpec, labUnavailable, netctl, nodeAddress, waitFor} from './lab.js';

const unavailable = labUnavailable();
if (unavailable !== undefined) console.warn(`skipping end-to-end tests: ${unavailable}`);
const suite = unavailable === undefined ? describe : describe.skip;

const READY_FILE = join(LAB_DIR, 'ready-web-3');
const PERIOD = 1;
const FAILURES = 2;
/** What the tests allow on top of period x threshold: a sync (min-sync 200 ms) and a transaction. */
const MARGIN = 5;
const spec = labSpec({
  mode: 'overlay',
  clusterCIDR: '10.244.0.0/16',
  extra: '  serviceCIDR: 10.96.0.0/16\n',
  nodes: [1, 2].map((n) => `    - {name: node${n}, address: ${nodeAddress(n)}/24}\n`).join(''),
  pods: [
    `    - {name: web-1, node: node1, labels: {app: web}, ports: [{name: http, containerPort: 8080}], readinessProbe: {tcpSocket: {port: http}, periodSeconds: ${PERIOD}, failureThreshold: ${FAILURES}}}\n`,
    `    - {name: web-2, node: node2, labels: {app: web}, ports: [{name: http, containerPort: 8080}], readinessProbe: {httpGet: {path: /healthz, port: http, scheme: HTTP, httpHeaders: [{name: X-Probe, value: ready}]}, periodSeconds: ${PERIOD}, failureThreshold: ${FAILURES}}}\n`,
    `    - {name: web-3, node: node2, labels: {app: web}, ports: [{name: http, containerPort: 8080}], readinessProbe: {exec: {command: [test, -e, ${READY_FILE}]}, periodSeconds: ${PERIOD}, failureThreshold: ${FAILURES}}}\n`,
    '    - {name: client, node: node1}\n',
  ].join(''),
}) + '  services:\n    - {name: web, clusterIP: 10.96.0.80, selector: {app: web}, ports: [{name: http, port: 80, targetPort: http}]}\n';

/** A client that sends a blank line (the end of a request), then prints the answer; -t waits for it. */
const REQUEST = ['socat', '-t', '5', '-T', '5', '-', 'TCP:10.96.0.80:80,connect-timeout=5'];

const startReconcile = (file: string) => execa(bin, ['reconcile', '-f', file, '--min-sync', '200ms', '--resync', '3s', '--json'], {reject: false, env: {NO_COLOR: '1'}});
const logins = (node: number) => (readFileSync(join(LAB_DIR, `node${node}.log`), 'utf8').match(/Accepted publickey/g) ?? []).length;

suite('netctl reconcile', () => {
  let lab: Lab;
  let file: string;
  let run: ReturnType<typeof startReconcile>;
  const events: Record<string, unknown>[] = [];
  const servers = new Map<string, {stop: () => Promise<void>}>();
  let loginsAtStart: number[] = [];
  /** The SSH logins of a verify run while the loop runs, which are not the loop's. */
  let verifyLogins = [0, 0];
  let startedAt = 0;

  const serve = async (pod: string) => {
    const node = pod === 'web-1' ? 1 : 2;
    // Every server reads its request up to a blank line before it answers, as an HTTP server does:
    // answering first lets socat hit a closed pipe with the request and drop the answer (a third of
    // HTTP probes on a busy machine). socat unescapes backslashes in SYSTEM, hence none here. web-2's
    // probe passes only with the header the spec gives it (httpHeaders); its body names it to clients.
    const header = 'ok=; while read -r line; do case $line in X-Probe*ready*) ok=1;; ?) break;; esac; done; if test $ok; then echo HTTP/1.0 200 OK; else echo HTTP/1.0 403 NO; fi; echo; echo web-2';
    const answer = pod === 'web-2' ? header : `sed -un /^.$/q; echo ${pod}`;
    servers.set(pod, await lab.serve(node, pod, 8080, {answer}));
  };
  const stop = async (pod: string) => {
    await servers.get(pod)?.stop();
    servers.delete(pod);
  };
  /** Who answers connections to the cluster IP, over `count` connections from the client pod. */
  const answers = async (count: number) => {
    const seen: string[] = [];
    for (let i = 0; i < count; i++) {
      const result = await lab.onNode(1, ['ip', 'netns', 'exec', 'client', ...REQUEST], {input: '\r\n', reject: false});
      seen.push(result.exitCode === 0 ? result.stdout.trim().split('\n').pop()! : /refused/i.test(result.stderr) ? 'refused' : 'failed');
    }
    return seen;
  };
  const event = (kind: string, field: Record<string, unknown> = {}) => () =>
    events.some((e) => e.event === kind && Object.entries(field).every(([k, v]) => e[k] === v));

  beforeAll(async () => {
    lab = await Lab.up(2);
    file = lab.writeSpec('reconcile', spec);
    writeFileSync(READY_FILE, '');
    expect((await netctl(['apply', '-f', file, '--auto-approve'])).exitCode).toBe(0);
    for (const pod of ['web-1', 'web-2', 'web-3']) await serve(pod);
    loginsAtStart = [logins(1), logins(2)];
    run = startReconcile(file);
    startedAt = Date.now();
    let buffer = '';
    run.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) events.push(JSON.parse(line) as Record<string, unknown>);
    });
    await waitFor(() => ['web-1', 'web-2', 'web-3'].every((pod) => event('pod-ready', {pod})()), 'every pod to be ready');
  });
  afterAll(async () => {
    run?.kill('SIGKILL');
    await run;
    rmSync(READY_FILE, {force: true});
    await lab?.down();
  });

  it('sends connections to every ready pod, whatever its probe kind', async () => {
    await waitFor(async () => new Set(await answers(12)).size === 3, 'all three pods to answer on the cluster IP', 20);
  });

  it('takes a pod whose server stopped out of the service within period x failureThreshold, and back once it answers again', async () => {
    const since = events.length;
    await stop('web-1');
    await waitFor(() => events.slice(since).some((e) => e.event === 'endpoints-changed' && (e.removed as string[]).some((r) => r.endsWith(':8080'))), 'web-1 to leave the service', PERIOD * FAILURES + MARGIN);
    expect(events.slice(since)).toContainEqual(expect.objectContaining({event: 'pod-not-ready', pod: 'web-1', detail: 'connection refused'}));
    expect(await answers(20)).not.toContain('web-1');
    await serve('web-1');
    await waitFor(() => events.slice(since).some((e) => e.event === 'pod-ready' && e.pod === 'web-1'), 'web-1 to be ready again', PERIOD + MARGIN);
    await waitFor(async () => (await answers(12)).includes('web-1'), 'web-1 to answer again', MARGIN);
  });

  it('follows http and exec probes too, and refuses connections at once when no pod is ready', async () => {
    const since = events.length;
    await stop('web-1');
    await stop('web-2');
    rmSync(READY_FILE);
    await waitFor(() => ['web-1', 'web-2', 'web-3'].every((pod) => events.slice(since).some((e) => e.event === 'pod-not-ready' && e.pod === pod)), 'every pod to be not ready', PERIOD * FAILURES + MARGIN);
    await waitFor(async () => (await answers(3)).every((a) => a === 'refused'), 'connections to be refused', MARGIN);
    // verify probes the pods itself and checks the service as it serves now: it must refuse.
    const before = [logins(1), logins(2)];
    const verify = await netctl(['verify', '-f', file]);
    verifyLogins = [logins(1) - before[0]!, logins(2) - before[1]!];
    expect(verify.stdout).toMatch(/pass {2}service web\/http has no endpoints \(web-1 not ready: tcp 8080: connection refused; web-2 not ready: http GET :8080\/healthz: connection refused; web-3 not ready: exec test -e \S+: exit 1\): pod \S+ → 10\.96\.0\.80:80 refused/);
    expect(verify.exitCode).toBe(0);
    writeFileSync(READY_FILE, '');
    await serve('web-1');
    await serve('web-2');
    await waitFor(async () => new Set(await answers(12)).size === 3, 'all three pods to answer again', 20);
  });

  it('repairs a route and a chain removed by hand within one resync', async () => {
    const since = events.length;
    const {stdout} = await lab.onNode(1, ['ip', '-j', 'route', 'show', 'proto', '147']);
    const route = (JSON.parse(stdout) as {dst: string}[])[0]!.dst;
    await lab.onNode(1, ['ip', 'route', 'del', route, 'proto', '147']);
    await lab.onNode(2, ['iptables', '-t', 'nat', '-F', 'NETCTL-SERVICES']);
    // Endpoint syncs touch only service chains: the full resync (every 3 s here) repairs both.
    await waitFor(async () => (await lab.onNode(1, ['ip', 'route', 'show', route])).stdout.includes(route), 'the route to be back', 3 + MARGIN);
    await waitFor(async () => (await lab.onNode(2, ['iptables', '-t', 'nat', '-S', 'NETCTL-SERVICES'])).stdout.includes('10.96.0.80/32'), 'the chain to be refilled', 3 + MARGIN);
    // The loop reports the repair once the node's change is verified and confirmed, just after it shows.
    await waitFor(() => events.slice(since).some((e) => e.event === 'drift-repaired' && e.node === 'node1'), 'the repair to be reported', MARGIN);
  });

  it('uses one SSH connection per node over a run of a minute', async () => {
    // The window of observation, not a synchronisation: the loop keeps probing and syncing throughout.
    await waitFor(() => Date.now() - startedAt >= 60_000, 'a minute of reconciling', 70);
    expect(events.filter((e) => e.event === 'drift-repaired' || e.event === 'endpoints-changed').length).toBeGreaterThan(0);
    expect([logins(1), logins(2)]).toEqual(loginsAtStart.map((n, i) => n + 1 + verifyLogins[i]!));
  }, 90_000);

  it('takes the pods of a node that stops answering out of service, and reconnects once it is back', async () => {
    const since = events.length;
    const stopped = await lab.sshdPids(2);
    await execa('kill', ['-STOP', ...stopped]);
    try {
      // Keepalives notice the silent node within about the connect timeout (5 s in the spec).
      await waitFor(() => events.slice(since).some((e) => e.event === 'node-lost' && e.node === 'node2'), 'node2 to be lost', 20);
      // One sync may take both pods out, or two syncs one each.
      const removedOnNode1 = () => new Set(events.slice(since).filter((e) => e.event === 'endpoints-changed' && e.node === 'node1').flatMap((e) => e.removed as string[]));
      await waitFor(() => removedOnNode1().size === 2, 'node2\'s pods to leave the service on node1', PERIOD * FAILURES + MARGIN);
      expect(await answers(10)).toEqual(Array(10).fill('web-1'));
    } finally {
      await execa('kill', ['-CONT', ...stopped]);
    }
    await waitFor(() => events.slice(since).some((e) => e.event === 'node-back' && e.node === 'node2'), 'node2 to be back', 20);
    await waitFor(async () => new Set(await answers(12)).size === 3, 'all three pods to answer again', 20);
    await waitFor(async () => (await netctl(['plan', '-f', file, '--detailed-exitcode'])).exitCode === 0, 'every node to be in sync', 20);
  });

  it('follows the spec file: takes up a valid change, so an apply of it is not undone, and keeps the spec it has when a change is invalid', async () => {
    const hasPod = async (pod: string) => (await lab.onNode(1, ['test', '-e', `/run/netns/${pod}`], {reject: false})).exitCode === 0;
    const original = readFileSync(file, 'utf8');
    const since = events.length;
    const changes = () => events.slice(since).filter((e) => e.event === 'spec-changed').length;
    const withLate = (node: string) => original.replace('    - {name: client, node: node1}\n', `    - {name: client, node: node1}\n    - {name: late, node: ${node}}\n`);
    try {
      // The user's workflow: edit the spec, apply it. The loop then reconciles the edited spec.
      writeFileSync(file, withLate('node1'));
      expect((await netctl(['apply', '-f', file, '--auto-approve'])).exitCode).toBe(0);
      await waitFor(() => changes() === 1, 'the loop to take up the changed spec', MARGIN);
      writeFileSync(file, withLate('Node-1'));
      await waitFor(() => events.slice(since).some((e) => e.event === 'spec-not-taken' && String((e.problems as string[])[0]).includes('spec.pods[4].node')), 'the loop to refuse an invalid spec', MARGIN);
      expect(changes()).toBe(1);
      expect(await hasPod('late')).toBe(true);
    } finally {
      writeFileSync(file, original);
    }
    await waitFor(() => changes() === 2, 'the loop to take up the spec as it was', MARGIN);
    await waitFor(async () => !(await hasPod('late')), 'the loop to remove the pod the spec no longer has', 3 * MARGIN);
    // The probed pods kept their readiness through both changes: none was taken out and put back.
    expect(events.slice(since).filter((e) => e.event === 'pod-ready' || e.event === 'pod-not-ready')).toEqual([]);
  });

  it('leaves a node netctl destroy emptied alone, and keeps it again once an apply built it', async () => {
    const since = events.length;
    await stop('web-2');
    expect((await netctl(['destroy', '-f', file, '--target', 'node2', '--auto-approve'])).exitCode).toBe(0);
    await waitFor(() => events.slice(since).some((e) => e.event === 'node-destroyed' && e.node === 'node2'), 'the loop to see node2 destroyed', 3 + MARGIN);
    const seenAt = Date.now();
    // The window of observation, not a synchronisation: two full resyncs (every 3 s) that must not rebuild it.
    await waitFor(() => Date.now() - seenAt >= 6_000, 'two resyncs', 10);
    const left = await netctl(['plan', '--destroy', '-f', file, '--target', 'node2']);
    expect(left.stdout).toContain("No changes. Nothing of netctl's is left on the nodes.");
    expect(events.slice(since).filter((e) => e.node === 'node2' && (e.event === 'drift-repaired' || e.event === 'change-failed'))).toEqual([]);
    expect((await netctl(['apply', '-f', file, '--target', 'node2', '--auto-approve'])).exitCode).toBe(0);
    await serve('web-2');
    const {stdout} = await lab.onNode(2, ['ip', '-j', 'route', 'show', 'proto', '147']);
    const dst = (JSON.parse(stdout) as {dst: string}[])[0]!.dst;
    await lab.onNode(2, ['ip', 'route', 'del', dst, 'proto', '147']);
    await waitFor(async () => (await lab.onNode(2, ['ip', 'route', 'show', dst])).stdout.includes(dst), 'the loop to repair node2 again', 3 + MARGIN);
    await waitFor(async () => new Set(await answers(12)).size === 3, 'all three pods to answer again', 20);
  });

  it('ends on SIGTERM with exit 0, leaving nothing to do', async () => {
    run.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const result = await Promise.race([run, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), 10_000)))]);
    clearTimeout(timer);
    expect(result?.exitCode).toBe(0);
    expect(events.at(-1)).toEqual(expect.objectContaining({event: 'stopped'}));
    // plan probes each pod once: on a busy machine a forked test server may miss one probe, and plan
    // rightly leaves that pod out; the network itself must be in sync.
    let plan: Awaited<ReturnType<typeof netctl>> | undefined;
    await waitFor(async () => (plan = await netctl(['plan', '-f', file, '--detailed-exitcode'])).exitCode === 0, 'a plan with no changes', MARGIN);
    expect(plan?.stdout).toContain('No changes. The hosts match the spec.');
  });
});
