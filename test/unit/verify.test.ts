import {afterAll, beforeAll, describe, expect, it} from '@jest/globals';
import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import {podNetns} from '../../src/desired/names.js';
import {formatAddress} from '../../src/net/ipv4.js';
import {checkSpecText} from '../../src/spec/check.js';
import {noColors} from '../../src/ui/colors.js';
import {renderJunit, renderVerifyText, verifyDocument} from '../../src/ui/verify-view.js';
import {connectivityChecks, servedPorts} from '../../src/verify/checks.js';
import {interpret} from '../../src/verify/run.js';
import {absentPodsIn, checksScript, missingToolsIn, serveScript} from '../../src/verify/script.js';
import {execa} from 'execa';
import {chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';

const demo = checkSpecText(readFileSync(join(import.meta.dirname, '..', '..', 'examples', 'demo.yaml'), 'utf8')).cluster!;
const all = demo.nodes.map((n) => n.name);

describe('verify checks', () => {
  const checks = connectivityChecks(demo, all);

  it('go from every pod to a pod on every other node and one beside it', () => {
    const fromClient1 = checks.filter((c) => c.pod === 'client-1' && c.kind === 'ping').map((c) => c.description);
    expect(fromClient1).toEqual([
      expect.stringMatching(/^pod client-1 → pod web-2 .* on node2$/),
      expect.stringMatching(/^pod client-1 → pod web-3 .* on node3$/),
      expect.stringMatching(/^pod client-1 → pod web-1 .* on the same node$/),
      'pod client-1 → its node node1 (203.0.113.1)',
    ]);
  });

  it('ping at the pod MTU without fragmenting between nodes', () => {
    const mtu = checks.filter((c) => c.kind === 'mtu');
    expect(mtu).toHaveLength(6);
    expect(mtu[0]?.size).toBe(1450 - 28);
    expect(checksScript(mtu.slice(0, 1))).toContain('ip netns exec web-1 ping -n -c 1 -W 3 -M do -s 1422 ');
  });

  it('reach every TCP service port on its cluster IP, node port, and (with cluster DNS) its name', () => {
    expect(checks.filter((c) => c.kind === 'tcp').map((c) => `${c.target}:${c.port ?? 0}`)).toEqual(['10.96.0.80:80', '203.0.113.2:30080', 'web.default.svc.cluster.local.:80']);
  });

  it('expect a service whose pods are all not ready to refuse, and say which pods and why', () => {
    const probe = {action: {kind: 'tcpSocket', port: 8080}, initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3} as const;
    const notReady = demo.pods.filter((p) => p.name.startsWith('web-')).map((pod) => ({pod: {...pod, readinessProbe: probe}, detail: 'connection refused'}));
    const tcp = connectivityChecks(demo, all, notReady).filter((c) => c.kind === 'tcp');
    expect(tcp).toHaveLength(1);
    expect(tcp[0]).toEqual(expect.objectContaining({target: '10.96.0.80', port: 80, refused: true}));
    expect(tcp[0]!.description).toMatch(/^service web\/http has no endpoints \(web-1 not ready: tcp 8080: connection refused; web-2 .*; web-3 .*\): pod \S+ → 10\.96\.0\.80:80 refused$/);
    expect(interpret(tcp[0]!, 1, 'bash: connect: Connection refused', true)).toEqual(expect.objectContaining({status: 'passed', outcome: 'refused, as a port without endpoints must'}));
    expect(interpret(tcp[0]!, 0, '', true).status).toBe('failed');
    expect(interpret(tcp[0]!, 124, '', true).outcome).toBe('no answer in 3 s: a port without endpoints must refuse connections at once');
    // One pod still ready: the service is checked as usual, and only that pod serves.
    const twoDown = connectivityChecks(demo, all, notReady.slice(0, 2));
    expect(twoDown.filter((c) => c.kind === 'tcp').every((c) => c.refused === undefined)).toBe(true);
  });

  it('resolve a headless name only while it has ready pods', () => {
    const headless = checkSpecText(readFileSync(join(import.meta.dirname, '..', '..', 'examples', 'demo.yaml'), 'utf8').replace('clusterIP: 10.96.0.80', 'clusterIP: None').replace(', nodePort: 30080', '')).cluster!;
    const dns = (notReady: readonly string[]) => connectivityChecks(headless, all, headless.pods.filter((p) => notReady.includes(p.name)).map((pod) => ({pod, detail: 'x'}))).filter((c) => c.kind === 'dns').map((c) => c.expect?.length);
    expect(dns([])).toEqual([3]);
    expect(dns(['web-1'])).toEqual([2]);
    expect(dns(['web-1', 'web-2', 'web-3'])).toEqual([]);
  });

  it('connect to the node port of a node with an endpoint when externalTrafficPolicy is Local (others drop it)', () => {
    const text = readFileSync(join(import.meta.dirname, '..', '..', 'examples', 'demo.yaml'), 'utf8')
      .replace('{name: web-1, node: node1, labels: {app: web}}', '{name: web-1, node: node1, labels: {app: other}}')
      .replace('{name: web-2, node: node2, labels: {app: web}}', '{name: web-2, node: node2, labels: {app: other}}');
    const nodePortTarget = (extra: string) => {
      const cluster = checkSpecText(text.replace('      selector: {app: web}\n', `      selector: {app: web}\n${extra}`)).cluster!;
      return connectivityChecks(cluster, all).find((c) => c.kind === 'tcp' && c.port === 30080)?.target;
    };
    expect(nodePortTarget('')).toBe('203.0.113.2');
    expect(nodePortTarget('      externalTrafficPolicy: Local\n')).toBe('203.0.113.3');
  });

  it('resolve every service name and require unknown names to fail at once, from inside a pod', () => {
    expect(checks.filter((c) => c.kind === 'dns' || c.kind === 'nxdomain').map((c) => [c.kind, c.target, c.expect])).toEqual([
      ['dns', 'web.default.svc.cluster.local.', ['10.96.0.80']],
      ['nxdomain', 'netctl-verify-no-such-name.default.svc.cluster.local.', undefined],
    ]);
    const dnsCheck = checks.find((c) => c.kind === 'dns')!;
    expect(interpret(dnsCheck, 0, '10.96.0.80 ', true).status).toBe('passed');
    expect(interpret(dnsCheck, 0, '10.96.0.81 ', true).outcome).toBe('resolves to 10.96.0.81, expected 10.96.0.80');
    expect(interpret(dnsCheck, 0, '', true).outcome).toBe('does not resolve');
    const nx = checks.find((c) => c.kind === 'nxdomain')!;
    expect(interpret(nx, 2, '', true).status).toBe('passed');
    expect(interpret(nx, 124, '', true).outcome).toBe('no answer within 1 s: unknown names must fail at once');
    expect(servedPorts(demo).get('web-2')).toEqual([{port: 8080, protocol: 'TCP'}]);
  });

  it('send a datagram to every UDP service port and wait for the answer, with a UDP responder under --serve', () => {
    const services = checkSpecText(readFileSync(join(import.meta.dirname, '..', '..', 'examples', 'services.yaml'), 'utf8')).cluster!;
    const udp = connectivityChecks(services, services.nodes.map((n) => n.name)).filter((c) => c.kind === 'udp');
    expect(udp.map((c) => c.description)).toEqual([expect.stringMatching(/^service dns\/dns: pod web-1 → 10\.96\.\d+\.\d+:53\/udp$/)]);
    expect(checksScript(udp)).toContain(`ip netns exec web-1 timeout 4 bash -c 'for try in 1 2 3 4 5 6; do exec 3<>/dev/udp/${udp[0]!.target}/53 || exit 1; echo netctl verify >&3 || exit 1; timeout 0.5 head -n 1 <&3; rc=$?; exec 3<&-; [ $rc -eq 124 ] || exit $rc; done; exit 124'`);
    expect(servedPorts(services).get('dns-1')).toEqual([{port: 53, protocol: 'UDP'}]);
    const serve = serveScript(servedPorts(services));
    expect(serve).toContain("setsid ip netns exec dns-1 socat UDP-LISTEN:53,fork,reuseaddr SYSTEM:'echo netctl verify'");
    expect(serve).toContain('ip netns exec dns-1 ss -Hlun "sport = :53"');
    expect(interpret(udp[0]!, 0, 'netctl verify', true)).toEqual(expect.objectContaining({status: 'passed', outcome: 'answered'}));
    expect(interpret(udp[0]!, 1, 'head: error reading \'standard input\': Connection refused', true).outcome).toBe('no listener');
    expect(interpret(udp[0]!, 124, '', true).outcome).toBe('unreachable (no answer in 3 s)');
  });

  it('keep only the checks that run on targeted nodes', () => {
    expect(new Set(connectivityChecks(demo, ['node2']).map((c) => c.node))).toEqual(new Set(['node2']));
  });

  it('tell "no listener" from "unreachable"', () => {
    const tcp = checks.find((c) => c.kind === 'tcp')!;
    expect(interpret(tcp, 1, 'bash: connect: Connection refused', true).outcome).toBe('no listener');
    expect(interpret(tcp, 124, '', true).outcome).toBe('unreachable (no answer in 3 s)');
    expect(interpret(tcp, 0, '', true)).toEqual(expect.objectContaining({status: 'passed', outcome: 'connected'}));
  });

  it('write JUnit XML with one test case per check', () => {
    const tcp = checks.find((c) => c.kind === 'tcp')!;
    const xml = renderJunit(verifyDocument([interpret(tcp, 124, '', true)], []));
    expect(xml).toContain('<testsuite name="netctl verify" tests="1" failures="1">');
    expect(xml).toContain('<failure message="unreachable (no answer in 3 s)">');
  });

  it('count a check whose tool is missing as not run, not failed, in text, JSON and JUnit', () => {
    const ping = checks.find((c) => c.kind === 'ping')!;
    const doc = verifyDocument([{check: ping, status: 'not run', outcome: 'not run: ping missing on node1', detail: ''}], ['node1: ping is not installed']);
    expect(doc).toEqual(expect.objectContaining({passed: false, summary: {passed: 0, failed: 0, notRun: 1}}));
    expect(doc.checks[0]).toEqual(expect.objectContaining({passed: false, status: 'not run'}));
    expect(renderVerifyText(doc, noColors)).toContain(`  skip  ${ping.description}: not run: ping missing on node1`);
    expect(renderVerifyText(doc, noColors)).toContain('Verify: 0 passed, 0 failed, 1 not run.');
    expect(renderJunit(doc)).toContain('<skipped message="not run: ping missing on node1"/>');
  });
});

describe('verify scripts on a node that lacks a tool', () => {
  // A node whose PATH has sh, the tools the scripts use around the checks, and not ping or socat.
  let bin: string;
  beforeAll(() => {
    bin = mkdtempSync(join(tmpdir(), 'netctl-tools-'));
    for (const tool of ['sh', 'tail', 'tr', 'timeout', 'bash', 'mkdir', 'ip']) {
      writeFileSync(join(bin, tool), `#!/bin/sh\nexec /usr/bin/env PATH=/usr/bin:/bin ${tool} "$@"\n`);
      chmodSync(join(bin, tool), 0o755);
    }
  });
  afterAll(() => rmSync(bin, {recursive: true, force: true}));
  const run = (script: string) => execa('/bin/sh', ['-s'], {input: script, env: {PATH: bin}, extendEnv: false, reject: false});

  it('report the missing tool and run no check that needs it', async () => {
    const ping = connectivityChecks(demo, all).filter((c) => c.kind === 'ping').slice(0, 2);
    const {stdout} = await run(checksScript(ping));
    expect(missingToolsIn(stdout)).toEqual(['ping']);
    expect(stdout).not.toContain('@@check');
  });

  it('report the pods the checks start from that have no network namespace on the node', async () => {
    const fromWeb1 = connectivityChecks(demo, all).filter((c) => c.kind === 'ping' && c.pod === 'web-1').slice(0, 1);
    const namespaces = join(bin, 'netns');
    mkdirSync(namespaces, {recursive: true});
    const script = checksScript(fromWeb1).replaceAll('/run/netns', namespaces);
    expect(absentPodsIn((await run(script)).stdout)).toEqual(['web-1']);
    writeFileSync(join(namespaces, 'web-1'), '');
    expect(absentPodsIn((await run(script)).stdout)).toEqual([]);
  });

  it('report what --serve lacks and start nothing', async () => {
    const {stdout} = await run(serveScript(new Map([['web-1', [{port: 8080, protocol: 'TCP' as const}]]])).replaceAll('/run/netctl', join(bin, 'run')));
    expect(missingToolsIn(stdout)).toEqual(['socat', 'ss', 'setsid']);
    expect(stdout).not.toContain('@@serve ready');
  });
});

describe('verify with network policies', () => {
  const policies = checkSpecText(readFileSync(join(import.meta.dirname, '..', '..', 'examples', 'policies.yaml'), 'utf8')).cluster!;
  const checks = connectivityChecks(policies, policies.nodes.map((n) => n.name));
  const table = checks.filter((c) => c.kind === 'policy');
  // Checks run in a pod's network namespace (`client-1.shop`: the example's pods are not in default).
  const netns = (name: string) => podNetns(policies.pods.find((p) => p.name === name)!);
  const db = formatAddress(policies.pods.find((p) => p.name === 'db-1')!.ip);

  it('probe a truth table of what the spec allows and denies, through a service too', () => {
    const line = (from: string, port: number) => table.find((c) => c.pod === netns(from) && c.target === db && c.port === port);
    expect(line('client-1', 5432)).toEqual(expect.objectContaining({allowed: true, endpointNodes: ['node1']}));
    expect(line('client-1', 65000)).toEqual(expect.objectContaining({allowed: false}));
    expect(line('web-1', 5432)).toEqual(expect.objectContaining({allowed: false, reason: 'ingress of shop/db-1 is isolated by shop/db-from-clients and no rule of it admits this connection'}));
    expect(line('batch-1', 9187)).toEqual(expect.objectContaining({allowed: true}));
    expect(table.filter((c) => c.description.startsWith('policy through service shop/db/pg')).map((c) => [c.pod, c.allowed])).toEqual([[netns('client-1'), true], [netns('web-1'), false], [netns('batch-1'), true]]);
    // db-1's egress is isolated too: towards a pod of each other kind.
    expect(table.filter((c) => c.pod === netns('db-1')).every((c) => c.allowed === false)).toBe(true);
    // Responders for every probed port of every probed pod.
    expect(servedPorts(policies, checks).get(netns('db-1'))).toEqual([5432, 8000, 8100, 9187, 65000].map((port) => ({port, protocol: 'TCP'})));
  });

  it('leave out pings the policies refuse, and keep service checks to clients the policies admit', () => {
    expect(checks.filter((c) => c.kind === 'ping' && (c.target === db || c.pod === netns('db-1')) && !c.description.includes('node'))).toEqual([]);
    expect(checks.filter((c) => c.kind === 'tcp').map((c) => c.pod)).toEqual([netns('client-1')]);
  });

  it('make no node-port check through endpoints a policy isolates: they see a node\'s address there, not the client\'s', () => {
    const nodePort = checkSpecText(readFileSync(join(import.meta.dirname, '..', '..', 'examples', 'policies.yaml'), 'utf8').replace('selector: {app: db}', 'type: NodePort\n      selector: {app: db}')).cluster!;
    const tcp = connectivityChecks(nodePort, nodePort.nodes.map((n) => n.name)).filter((c) => c.kind === 'tcp');
    expect(tcp.map((c) => c.description)).toEqual([expect.stringMatching(/^service shop\/db\/pg: pod shop\/client-1 → 10\.96\.\d+\.\d+:5432$/)]);
    const open = checkSpecText(readFileSync(join(import.meta.dirname, '..', '..', 'examples', 'policies.yaml'), 'utf8').replace('selector: {app: db}', 'type: NodePort\n      selector: {app: web}').replace('targetPort: pg', 'targetPort: 8080')).cluster!;
    expect(connectivityChecks(open, open.nodes.map((n) => n.name)).filter((c) => c.kind === 'tcp' && c.description.includes('node port'))).toHaveLength(1);
  });

  it('pass when the connection does what the spec says, and fail naming the rule otherwise', () => {
    const denied = table.find((c) => c.allowed === false)!;
    expect(interpret(denied, 1, 'Connection refused', true)).toEqual(expect.objectContaining({status: 'passed', outcome: 'denied, as the spec says'}));
    expect(interpret(denied, 0, '', true)).toEqual(expect.objectContaining({status: 'failed', outcome: `connected, but the spec says denied (${denied.reason!})`}));
    // Denied connections are refused, never left to hang: a hang is what a reset the client ignores looks like.
    expect(interpret(denied, 124, '', true)).toEqual(expect.objectContaining({status: 'failed', outcome: `no answer in 3 s, but the spec says denied, and netctl refuses denied connections rather than dropping them (${denied.reason!})`}));
    const allowed = table.find((c) => c.allowed === true)!;
    expect(interpret(allowed, 1, 'Connection refused', true).outcome).toMatch(/^refused, but the spec says allowed \(ingress of shop\/db-1 allowed by shop\/db-from-clients ingress\[0\]\)$/);
  });
});
