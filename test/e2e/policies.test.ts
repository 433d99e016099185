/**
 * Network policies on a 3-node lab, in overlay and routing mode, with real connections: same node and
 * across nodes, default deny, selectors alone and together, ipBlock with except, ports, port ranges and
 * named ports, through a service, egress isolation, replies, the pod's own node; then policies removed,
 * and destroy.
 */
import {afterAll, beforeAll, describe, expect, it} from '@jest/globals';
import {Lab, labSpec, labUnavailable, netctl, nodeAddress, tcpClient} from './lab.js';

const unavailable = labUnavailable();
if (unavailable !== undefined) console.warn(`skipping end-to-end tests: ${unavailable}`);
const suite = unavailable === undefined ? describe : describe.skip;

const DB = '10.244.1.10';
const OTHER = '10.244.1.11';
const CLIENT = '10.244.2.10';
const WEB = '10.244.2.11';
const SERVICE = '10.96.0.20';

const POLICIES = `  networkPolicies:
    - name: db-in
      namespace: shop
      podSelector: {matchLabels: {app: db}}
      ingress:
        - from:
            - podSelector: {matchLabels: {app: client}}
            - namespaceSelector: {matchLabels: {team: blue}}
              podSelector: {matchLabels: {app: batch}}
            - ipBlock: {cidr: 10.244.3.0/24, except: [10.244.3.16/28]}
          ports:
            - {protocol: TCP, port: 5432}
            - {port: 8000, endPort: 8100}
            - {port: metrics}
    - name: web-out
      namespace: shop
      podSelector: {matchLabels: {app: web}}
      policyTypes: [Egress]
      egress:
        - to: [{podSelector: {matchLabels: {app: other}}}]
          ports: [{port: 7000}]
    - name: teller-from-blue
      namespace: bank
      podSelector: {matchLabels: {app: batch}}
      ingress:
        - from: [{namespaceSelector: {matchLabels: {team: blue}}}]
    - name: edge-deny-in
      namespace: bank
      podSelector: {matchLabels: {app: edge}}
      policyTypes: [Ingress]
`;

function spec(mode: string, policies: string): string {
  return labSpec({
    mode,
    clusterCIDR: '10.244.0.0/16',
    extra: '  serviceCIDR: 10.96.0.0/16\n  namespaces:\n    - {name: shop}\n    - {name: jobs, labels: {team: blue}}\n    - {name: bank, labels: {team: red}}\n',
    nodes: [1, 2, 3].map((n) => `    - {name: node${n}, address: ${nodeAddress(n)}/24, podCIDR: 10.244.${n}.0/24}\n`).join(''),
    pods: [
      `    - {name: db-1, node: node1, namespace: shop, ip: ${DB}, labels: {app: db}, ports: [{name: pg, containerPort: 5432}, {name: metrics, containerPort: 9187}]}\n`,
      `    - {name: other-1, node: node1, namespace: shop, ip: ${OTHER}, labels: {app: other}}\n`,
      `    - {name: client-1, node: node2, namespace: shop, ip: ${CLIENT}, labels: {app: client}}\n`,
      `    - {name: web-1, node: node2, namespace: shop, ip: ${WEB}, labels: {app: web}}\n`,
      '    - {name: batch-1, node: node3, namespace: jobs, ip: 10.244.3.10, labels: {app: batch}}\n',
      '    - {name: teller-1, node: node3, namespace: bank, ip: 10.244.3.40, labels: {app: batch}}\n',
      '    - {name: edge-1, node: node3, namespace: bank, ip: 10.244.3.20, labels: {app: edge}}\n',
    ].join(''),
  }) + `  services:
    - {name: db, namespace: shop, clusterIP: ${SERVICE}, selector: {app: db}, ports: [{port: 80, targetPort: pg}]}
${policies}`;
}

const NODE_OF: Record<string, number> = {'db-1': 1, 'other-1': 1, 'client-1': 2, 'web-1': 2, 'batch-1': 3, 'teller-1': 3, 'edge-1': 3};
/** A pod's network namespace on its node: `<pod>.<namespace>` outside default. */
const NETNS_OF: Record<string, string> = {'db-1': 'db-1.shop', 'other-1': 'other-1.shop', 'client-1': 'client-1.shop', 'web-1': 'web-1.shop', 'batch-1': 'batch-1.jobs', 'teller-1': 'teller-1.bank', 'edge-1': 'edge-1.bank'};

suite.each(['overlay', 'routing'])('network policies in %s mode', (mode) => {
  let lab: Lab;
  let file: string;
  /**
   * What the server answered (the client address it saw), or 'refused' when the connection was refused:
   * netctl refuses what policies deny, so a connection left without an answer is something else.
   */
  const outcome = (r: {stdout: string; stderr: string}) => r.stdout.trim() || (/refused/i.test(r.stderr) ? 'refused' : `no answer (${r.stderr.trim()})`);
  const connect = (pod: string, ip: string, port: number) => lab.inPod(NODE_OF[pod]!, NETNS_OF[pod]!, tcpClient(ip, port), {reject: false}).then(outcome);
  const fromNode = (node: number, ip: string, port: number) => lab.onNode(node, tcpClient(ip, port), {reject: false}).then(outcome);

  beforeAll(async () => {
    lab = await Lab.up(3);
    file = lab.writeSpec('policies', spec(mode, POLICIES));
    const apply = await netctl(['apply', '-f', file, '--auto-approve']);
    expect(apply.stderr).toBe('');
    expect(apply.exitCode).toBe(0);
    for (const port of [5432, 8050, 8101, 9187, 7000]) await lab.serve(1, NETNS_OF['db-1']!, port);
    for (const [pod, node] of [['other-1', 1], ['client-1', 2], ['web-1', 2], ['teller-1', 3], ['edge-1', 3]] as const) await lab.serve(node, NETNS_OF[pod]!, 7000);
  });
  afterAll(async () => {
    await lab?.down();
  });

  it('plans nothing after apply, and names policies in its words', async () => {
    expect((await netctl(['plan', '-f', file, '--detailed-exitcode'])).exitCode).toBe(0);
    const fresh = await netctl(['plan', '-f', lab.writeSpec('renamed', spec(mode, POLICIES.replace('name: web-out', 'name: web-egress')))]);
    expect(fresh.stdout).toContain('+ policy shop/web-egress egress: allow app=web -> shop/app=other TCP 7000');
    expect(fresh.stdout).toContain('- policy shop/web-out egress: allow app=web -> shop/app=other TCP 7000');
    expect(fresh.stdout).not.toMatch(/iptables filter chain NETCTL-(PI|PE|ING|EGR)/);
  });

  it('admits the pods a podSelector names, across nodes, with the source address kept', async () => {
    expect(await connect('client-1', DB, 5432)).toBe(CLIENT);
  });

  it('refuses pods no rule admits, on the same node and across nodes', async () => {
    expect(await connect('other-1', DB, 5432)).toBe('refused');
    expect(await connect('web-1', DB, 5432)).toBe('refused');
  });

  it('ANDs namespaceSelector and podSelector in one peer', async () => {
    expect(await connect('batch-1', DB, 5432)).toBe('10.244.3.10');
    // The check that teller-1 (app=batch in a red namespace) is not admitted by that peer is in
    // policy check below: its address is admitted by the ipBlock.
  });

  it('admits every pod of the namespaces a namespaceSelector alone names, on any port', async () => {
    expect(await connect('batch-1', '10.244.3.40', 7000)).toBe('10.244.3.10');
    expect(await connect('client-1', '10.244.3.40', 7000)).toBe('refused');
  });

  it('denies all ingress of a pod a policy without rules isolates, and leaves its egress open', async () => {
    expect(await connect('client-1', '10.244.3.20', 7000)).toBe('refused');
    expect(await connect('teller-1', '10.244.3.20', 7000)).toBe('refused');
    expect(await connect('edge-1', OTHER, 7000)).toBe('10.244.3.20');
  });

  it('admits an ipBlock but its except', async () => {
    // teller-1 (10.244.3.40) is in 10.244.3.0/24 and outside except 10.244.3.16/28; edge-1 (.20) is inside it.
    expect(await connect('teller-1', DB, 5432)).toBe('10.244.3.40');
    expect(await connect('edge-1', DB, 5432)).toBe('refused');
  });

  it('admits only the listed ports: a number, a range with endPort, a named port', async () => {
    expect(await connect('client-1', DB, 8050)).toBe(CLIENT);
    expect(await connect('client-1', DB, 8101)).toBe('refused');
    expect(await connect('client-1', DB, 9187)).toBe(CLIENT);
    expect(await connect('client-1', DB, 7000)).toBe('refused');
  });

  it('judges service traffic on the endpoint and its target port, not the service port', async () => {
    expect(await connect('client-1', SERVICE, 80)).toBe(CLIENT);
    expect(await connect('other-1', SERVICE, 80)).toBe('refused');
  });

  it('isolates egress, and lets replies of allowed connections through', async () => {
    expect(await connect('web-1', OTHER, 7000)).toBe(WEB);
    expect(await connect('web-1', CLIENT, 7000)).toBe('refused');
    // web-1 may send nothing to client-1, but answers client-1's connections.
    expect(await connect('client-1', WEB, 7000)).toBe(CLIENT);
  });

  it('always lets the pod\'s own node in, and not other nodes', async () => {
    expect(await fromNode(1, DB, 7000)).not.toBe('refused');
    expect(await fromNode(2, DB, 7000)).toBe('refused');
  });

  it('answers policy check as it enforces', async () => {
    expect((await netctl(['policy', 'check', '-f', file, '--from', 'shop/client-1', '--to', 'shop/db-1', '--port', '5432/tcp'])).exitCode).toBe(0);
    const denied = await netctl(['policy', 'check', '-f', file, '--from', 'shop/other-1', '--to', 'shop/db-1', '--port', '5432/tcp']);
    expect(denied.stdout).toContain('denied: shop/other-1');
    expect(denied.exitCode).toBe(3);
  });

  it('proves the truth table with verify, and fails it when a policy chain is emptied by hand', async () => {
    const good = await netctl(['verify', '-f', file, '--serve']);
    expect(good.stdout).toContain('policy: shop/other-1 → shop/db-1');
    expect(good.stdout).toMatch(/Verify: \d+ passed, 0 failed/);
    expect(good.exitCode).toBe(0);
    await lab.onNode(1, ['iptables', '-F', 'NETCTL-POLICY']);
    const bad = await netctl(['verify', '-f', file, '--serve']);
    expect(bad.stdout).toContain('connected, but the spec says denied');
    expect(bad.exitCode).toBe(1);
    expect((await netctl(['apply', '-f', file, '--auto-approve'])).exitCode).toBe(0);
    expect(await connect('other-1', DB, 5432)).toBe('refused');
  });

  it('takes an ipBlock of 0.0.0.0/0 as every address: egress anywhere but the cluster, ingress from anywhere', async () => {
    const anywhere = lab.writeSpec('anywhere', spec(mode, `${POLICIES}    - name: edge-out
      namespace: bank
      podSelector: {matchLabels: {app: edge}}
      policyTypes: [Egress]
      egress:
        - to: [{ipBlock: {cidr: 0.0.0.0/0, except: [10.244.0.0/16]}}]
    - name: other-in
      namespace: shop
      podSelector: {matchLabels: {app: other}}
      ingress:
        - from: [{ipBlock: {cidr: 0.0.0.0/0}}]
          ports: [{port: 7000}]
`));
    const apply = await netctl(['apply', '-f', anywhere, '--auto-approve']);
    expect(apply.stderr).toBe('');
    expect(apply.exitCode).toBe(0);
    expect((await netctl(['plan', '-f', anywhere, '--detailed-exitcode'])).exitCode).toBe(0);
    expect(await connect('edge-1', OTHER, 7000)).toBe('refused');
    expect(await connect('edge-1', nodeAddress(2), 22)).toMatch(/^SSH-2\.0-/);
    expect(await connect('web-1', OTHER, 7000)).toBe(WEB);
    expect((await netctl(['apply', '-f', file, '--auto-approve'])).exitCode).toBe(0);
  });

  it('restores everything once the policies are removed, and destroy leaves no chain', async () => {
    const open = lab.writeSpec('open', spec(mode, ''));
    expect((await netctl(['apply', '-f', open, '--auto-approve'])).exitCode).toBe(0);
    expect(await connect('other-1', DB, 7000)).toBe(OTHER);
    expect(await connect('web-1', CLIENT, 7000)).toBe(WEB);
    expect(await connect('client-1', '10.244.3.20', 7000)).toBe(CLIENT);
    for (const n of [1, 2, 3]) expect((await lab.onNode(n, ['iptables-save', '-t', 'filter'])).stdout).not.toMatch(/NETCTL-(POLICY|PI-|PE-|PB-|PR-|ING-|EGR-)/);
    expect((await netctl(['apply', '-f', file, '--auto-approve'])).exitCode).toBe(0);
    expect((await netctl(['destroy', '-f', file, '--auto-approve'])).exitCode).toBe(0);
    for (const n of [1, 2, 3]) expect((await lab.onNode(n, ['iptables-save'])).stdout).not.toContain('NETCTL');
  });
});
