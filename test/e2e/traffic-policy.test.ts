/**
 * Kubernetes' traffic policies and external IPs on a 3-node overlay lab: node1 and node2 each hold one endpoint, node3
 * none. internalTrafficPolicy Local keeps cluster IP traffic on the node it comes from;
 * externalTrafficPolicy Local sends node-port traffic to the node it arrives at, keeping the client's
 * address; where the node has no endpoint, the connection is dropped. trafficDistribution
 * PreferSameNode prefers the endpoints of the client's node, and falls back to every endpoint.
 */
import {afterAll, beforeAll, describe, expect, it} from '@jest/globals';
import {execa} from 'execa';
import {formatAddress} from '../../src/net/ipv4.js';
import {checkSpecText} from '../../src/spec/check.js';
import {Lab, labSpec, labUnavailable, netctl, nodeAddress} from './lab.js';

const unavailable = labUnavailable();
if (unavailable !== undefined) console.warn(`skipping end-to-end tests: ${unavailable}`);
const suite = unavailable === undefined ? describe : describe.skip;

/** The lab's own address on the node network (lab/netctl-lab.sh): a client outside the nodes. */
const OUTSIDE = '203.0.113.254';

/** An external IP of service `outside`: the lab routes it to node3, which holds no endpoint. */
const EXTERNAL_IP = '198.51.100.50';

const spec = labSpec({
  mode: 'overlay',
  clusterCIDR: '10.244.0.0/16',
  extra: '  serviceCIDR: 10.96.0.0/16\n',
  nodes: [1, 2, 3].map((n) => `    - {name: node${n}, address: ${nodeAddress(n)}/24, podCIDR: 10.244.${n}.0/24}\n`).join(''),
  pods: [
    '    - {name: web-1, node: node1, labels: {app: web}}\n',
    '    - {name: web-2, node: node2, labels: {app: web}}\n',
    '    - {name: client-1, node: node1}\n',
    '    - {name: client-3, node: node3}\n',
  ].join(''),
}) + `  services:
    - name: local
      clusterIP: 10.96.0.20
      internalTrafficPolicy: Local
      selector: {app: web}
      ports: [{name: http, port: 80, targetPort: 8080}]
    - name: keep
      type: NodePort
      clusterIP: 10.96.0.21
      externalTrafficPolicy: Local
      selector: {app: web}
      ports: [{name: http, port: 80, targetPort: 8081, nodePort: 30090}]
    - name: outside
      clusterIP: 10.96.0.22
      externalIPs: [${EXTERNAL_IP}]
      selector: {app: web}
      ports: [{name: http, port: 80, targetPort: 8080}]
    - name: near
      type: NodePort
      clusterIP: 10.96.0.23
      trafficDistribution: PreferSameNode
      selector: {app: web}
      ports: [{name: http, port: 80, targetPort: 8080, nodePort: 30091}]
`;

/** A TCP exchange that gives up after 2 s: what the server said, or how the connection failed. */
const exchange = (ip: string, port: number) => ['socat', '-u', '-T', '2', `TCP:${ip}:${port},connect-timeout=2`, 'STDOUT'];
const outcome = (result: {exitCode?: number | undefined; stdout: unknown; stderr: unknown}) =>
  result.exitCode === 0 ? String(result.stdout).trim() : /Connection timed out/.test(String(result.stderr)) ? 'timed out' : `failed: ${String(result.stderr).trim().split('\n').pop()}`;

suite('traffic policies and external IPs on a 3-node lab', () => {
  let lab: Lab;
  let file: string;

  beforeAll(async () => {
    lab = await Lab.up(3);
    file = lab.writeSpec('traffic-policy', spec);
    const apply = await netctl(['apply', '-f', file, '--auto-approve']);
    expect(apply.stderr).toBe('');
    expect(apply.exitCode).toBe(0);
    for (const [node, pod] of [[1, 'web-1'], [2, 'web-2']] as const) {
      await lab.serve(node, pod, 8080, {answer: `echo ${pod}`});
      await lab.serveClientAddress(node, pod, 8081);
    }
  });

  afterAll(async () => {
    await lab.down();
  });

  it('plans nothing after apply, and verify passes', async () => {
    expect((await netctl(['plan', '-f', file, '--detailed-exitcode'])).exitCode).toBe(0);
    const verify = await netctl(['verify', '-f', file]);
    expect(verify.stdout).not.toContain('FAIL');
    expect(verify.exitCode).toBe(0);
  });

  it('internalTrafficPolicy Local: a pod and a node reach only the endpoint on their own node', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 12; i++) seen.add(outcome(await lab.inPod(1, 'client-1', exchange('10.96.0.20', 80), {reject: false})));
    expect([...seen]).toEqual(['web-1']);
    expect(outcome(await lab.onNode(2, exchange('10.96.0.20', 80), {reject: false}))).toBe('web-2');
  });

  it('internalTrafficPolicy Local: a pod on a node without an endpoint is dropped, not sent elsewhere', async () => {
    expect(outcome(await lab.inPod(3, 'client-3', exchange('10.96.0.20', 80), {reject: false}))).toBe('timed out');
  });

  it('externalTrafficPolicy Local: node-port traffic from outside reaches the endpoint of the node it arrives at, with the client\'s own address', async () => {
    for (const n of [1, 2]) {
      expect(outcome(await execa('socat', exchange(nodeAddress(n), 30090).slice(1), {reject: false}))).toBe(OUTSIDE);
    }
    expect(outcome(await execa('socat', exchange(nodeAddress(3), 30090).slice(1), {reject: false}))).toBe('timed out');
  });

  it('externalTrafficPolicy Local: a pod reaches its own node\'s node port as it reaches the cluster IP, even with no endpoint there', async () => {
    const client = formatAddress(checkSpecText(spec).cluster!.pods.find((p) => p.name === 'client-3')!.ip);
    // kube-proxy's short-circuit: every endpoint, from client-3's own address (no masquerade inside the cluster).
    expect(outcome(await lab.inPod(3, 'client-3', exchange(nodeAddress(3), 30090), {reject: false}))).toBe(client);
  });

  it('trafficDistribution PreferSameNode: a pod and a node reach the endpoint on their own node; a pod on a node without one reaches every endpoint', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 12; i++) seen.add(outcome(await lab.inPod(1, 'client-1', exchange('10.96.0.23', 80), {reject: false})));
    expect([...seen]).toEqual(['web-1']);
    expect(outcome(await lab.onNode(2, exchange('10.96.0.23', 80), {reject: false}))).toBe('web-2');
    const elsewhere = new Set<string>();
    for (let i = 0; i < 24 && elsewhere.size < 2; i++) elsewhere.add(outcome(await lab.inPod(3, 'client-3', exchange('10.96.0.23', 80), {reject: false})));
    expect([...elsewhere].sort()).toEqual(['web-1', 'web-2']);
  });

  it('trafficDistribution PreferSameNode: node-port traffic reaches the endpoint of the node it arrives at, and at a node without one every endpoint', async () => {
    for (const [n, pod] of [[1, 'web-1'], [2, 'web-2']] as const) {
      const seen = new Set<string>();
      for (let i = 0; i < 6; i++) seen.add(outcome(await execa('socat', exchange(nodeAddress(n), 30091).slice(1), {reject: false})));
      expect([...seen]).toEqual([pod]);
    }
    const elsewhere = new Set<string>();
    for (let i = 0; i < 24 && elsewhere.size < 2; i++) elsewhere.add(outcome(await execa('socat', exchange(nodeAddress(3), 30091).slice(1), {reject: false})));
    expect([...elsewhere].sort()).toEqual(['web-1', 'web-2']);
  });

  it('externalIPs: a node that receives traffic for an external IP sends it to the endpoints, from outside and from the node itself', async () => {
    expect(['web-1', 'web-2']).toContain(outcome(await lab.onNode(3, exchange(EXTERNAL_IP, 80), {reject: false})));
    await execa('ip', ['route', 'replace', `${EXTERNAL_IP}/32`, 'via', nodeAddress(3)]);
    try {
      expect(['web-1', 'web-2']).toContain(outcome(await execa('socat', exchange(EXTERNAL_IP, 80).slice(1), {reject: false})));
    } finally {
      await execa('ip', ['route', 'del', `${EXTERNAL_IP}/32`], {reject: false});
    }
  });

  it('lets a NetworkPolicy admit the client itself with externalTrafficPolicy Local, where masquerade hides it otherwise', async () => {
    const guarded = lab.writeSpec('traffic-policy-guarded', `${spec}  networkPolicies:
    - name: only-the-outside
      podSelector: {matchLabels: {app: web}}
      ingress: [{from: [{ipBlock: {cidr: ${OUTSIDE}/32}}]}]
`);
    expect((await netctl(['apply', '-f', guarded, '--auto-approve'])).exitCode).toBe(0);
    expect(outcome(await execa('socat', exchange(nodeAddress(1), 30090).slice(1), {reject: false}))).toBe(OUTSIDE);
    // Through the external IP the connection is masqueraded by node3: the policy sees node3, and refuses it.
    await execa('ip', ['route', 'replace', `${EXTERNAL_IP}/32`, 'via', nodeAddress(3)]);
    try {
      expect(outcome(await execa('socat', exchange(EXTERNAL_IP, 80).slice(1), {reject: false}))).toMatch(/^failed: .*Connection refused/);
    } finally {
      await execa('ip', ['route', 'del', `${EXTERNAL_IP}/32`], {reject: false});
    }
  });

  it('destroys the per-node chains with the rest', async () => {
    expect((await netctl(['destroy', '-f', file, '--auto-approve'])).exitCode).toBe(0);
    for (const n of [1, 2, 3]) expect((await lab.onNode(n, ['iptables-save'])).stdout).not.toContain('NETCTL');
  });
});
