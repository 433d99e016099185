/** Services on a 3-node overlay lab: 3 pods answer with their own name behind ClusterIP and NodePort. */
import {afterAll, beforeAll, describe, expect, it} from '@jest/globals';
import {execa} from 'execa';
import {formatAddress} from '../../src/net/ipv4.js';
import {checkSpecText} from '../../src/spec/check.js';
import type {ClusterNetwork} from '../../src/spec/types.js';
import {Lab, bin, labSpec, labUnavailable, netctl, nodeAddress, tcpClient} from './lab.js';

const unavailable = labUnavailable();
if (unavailable !== undefined) console.warn(`skipping end-to-end tests: ${unavailable}`);
const suite = unavailable === undefined ? describe : describe.skip;

const WEB = ['web-1', 'web-2', 'web-3'];

function spec(web3Label = 'web'): string {
  return labSpec({
    mode: 'overlay',
    clusterCIDR: '10.244.0.0/16',
    extra: '  serviceCIDR: 10.96.0.0/16\n',
    nodes: [1, 2, 3].map((n) => `    - {name: node${n}, address: ${nodeAddress(n)}/24, podCIDR: 10.244.${n}.0/24}\n`).join(''),
    pods: [
      '    - {name: web-1, node: node1, labels: {app: web, pod: web-1}}\n',
      '    - {name: web-2, node: node2, labels: {app: web, pod: web-2}}\n',
      `    - {name: web-3, node: node3, labels: {app: ${web3Label}, pod: web-3}}\n`,
      '    - {name: client-1, node: node1}\n',
    ].join(''),
  }) + `  services:
    - name: web
      clusterIP: 10.96.0.10
      selector: {app: web}
      ports: [{name: http, port: 80, targetPort: 8080, nodePort: 30080}]
    - name: sticky
      type: NodePort
      clusterIP: 10.96.0.11
      selector: {app: web}
      sessionAffinity: ClientIP
      sessionAffinityConfig: {clientIP: {timeoutSeconds: 600}}
      ports: [{name: http, port: 80, targetPort: 8080}]
    - name: names
      clusterIP: 10.96.0.53
      selector: {app: web}
      ports: [{name: dns, protocol: UDP, port: 53, targetPort: 5353}]
    - name: self
      clusterIP: 10.96.0.12
      selector: {pod: web-1}
      ports: [{name: http, port: 80, targetPort: 8080}]
    - name: nothing
      clusterIP: 10.96.0.13
      selector: {app: none}
      ports: [{name: http, port: 80, targetPort: 8080}]
`;
}

suite('services on a 3-node lab', () => {
  let lab: Lab;
  let file: string;
  let cluster: ClusterNetwork;

  const fromClient = (ip: string, port: number) => lab.connectFromPod(1, 'client-1', ip, port);
  const requests = async (count: number, ip: string, port: number) => {
    const seen = new Map<string, number>();
    for (let i = 0; i < count; i++) {
      const name = await fromClient(ip, port);
      seen.set(name, (seen.get(name) ?? 0) + 1);
    }
    return seen;
  };

  beforeAll(async () => {
    lab = await Lab.up(3);
    file = lab.writeSpec('services', spec());
    cluster = checkSpecText(spec()).cluster!;
    await lab.onNode(1, ['iptables', '-t', 'nat', '-A', 'PREROUTING', '-p', 'tcp', '--dport', '9', '-j', 'RETURN']);
    const apply = await netctl(['apply', '-f', file, '--auto-approve']);
    expect(apply.exitCode).toBe(0);
    for (const [i, pod] of WEB.entries()) {
      await lab.serve(i + 1, pod, 8080, {answer: `echo ${pod}`});
      await lab.serve(i + 1, pod, 5353, {protocol: 'UDP', answer: `echo ${pod}`});
    }
  });
  afterAll(async () => {
    await lab?.down();
  });

  it('plans nothing after apply', async () => {
    expect((await netctl(['plan', '-f', file, '--detailed-exitcode'])).exitCode).toBe(0);
  });

  it('answers on the cluster IP from a pod on another node, a pod beside an endpoint, and a node', async () => {
    // Service "self" has one endpoint, web-1 on node1: client-1 sits beside it, web-3 on another node.
    expect(await lab.connectFromPod(1, 'client-1', '10.96.0.12', 80)).toBe('web-1');
    expect(await lab.connectFromPod(3, 'web-3', '10.96.0.12', 80)).toBe('web-1');
    const fromNode = await lab.onNode(2, tcpClient('10.96.0.10', 80));
    expect(WEB).toContain(fromNode.stdout.trim());
  });

  it('spreads 60 requests over all 3 endpoints', async () => {
    const seen = await requests(60, '10.96.0.10', 80);
    expect([...seen.keys()].sort()).toEqual(WEB);
  });

  it('answers on the node port of every node, from outside the nodes, given or allocated (type NodePort)', async () => {
    const allocated = cluster.services.find((s) => s.name === 'sticky')!.ports[0]!.nodePort!;
    expect(allocated).toBeGreaterThanOrEqual(30000);
    for (const port of [30080, allocated]) {
      for (const n of [1, 2, 3]) {
        const {stdout} = await execa('socat', ['-u', '-T', '5', `TCP:${nodeAddress(n)}:${port},connect-timeout=5`, 'STDOUT']);
        expect(WEB).toContain(stdout.trim());
      }
    }
  });

  it('does not serve node ports on 127.0.0.1, where DNAT to a pod would leave the connection hanging', async () => {
    const result = await lab.onNode(1, tcpClient('127.0.0.1', 30080), {reject: false});
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain('Connection refused');
  });

  it('keeps a client on one endpoint with ClientIP affinity', async () => {
    const seen = await requests(20, '10.96.0.11', 80);
    expect([...seen.values()]).toEqual([20]);
  });

  it('lets an endpoint reach itself through its service (hairpin)', async () => {
    expect(await lab.connectFromPod(1, 'web-1', '10.96.0.12', 80)).toBe('web-1');
  });

  it('refuses connections to a service without endpoints at once', async () => {
    const result = await lab.inPod(1, 'client-1', tcpClient('10.96.0.13', 80), {reject: false});
    expect(result.exitCode).not.toBe(0);
    // A hang would end in "Connection timed out" after connect-timeout; a refusal comes back at once.
    expect(result.stderr).toContain('Connection refused');
  });

  it('answers on a UDP service', async () => {
    expect(WEB).toContain(await lab.udpFromPod(1, 'client-1', '10.96.0.53', 53));
  });

  it('verifies the UDP service with a datagram and its answer, and fails it when its datagrams are dropped', async () => {
    const line = (out: string) => out.split('\n').find((l) => l.includes('service names/dns: pod ') && l.includes('10.96.0.53:53/udp'));
    const passing = await netctl(['verify', '-f', file]);
    expect(line(passing.stdout)).toMatch(/^ {2}pass {2}/);
    const drop = ['PREROUTING', '-d', '10.96.0.53', '-p', 'udp', '--dport', '53', '-j', 'DROP'];
    for (const node of [1, 2, 3]) await lab.onNode(node, ['iptables', '-t', 'raw', '-I', ...drop]);
    try {
      const failing = await netctl(['verify', '-f', file]);
      expect(failing.exitCode).toBe(1);
      expect(line(failing.stdout)).toMatch(/^ {2}FAIL {2}.*: unreachable \(no answer in 3 s\)$/);
    } finally {
      for (const node of [1, 2, 3]) await lab.onNode(node, ['iptables', '-t', 'raw', '-D', ...drop]);
    }
  });

  it('plans only the endpoint that leaves the selector, and sends it nothing after apply, UDP flows already on it included', async () => {
    // A UDP "connection" is its conntrack entry: the datagrams of one source port keep going to one
    // endpoint. Find a source port whose flow is on web-3, which then leaves the service.
    const fromPort = async (sourcePort: number) => {
      for (let attempt = 0; attempt < 3; attempt++) {
        const {stdout} = await lab.onNode(1, ['ip', 'netns', 'exec', 'client-1', 'socat', '-T', '2', '-', `UDP:10.96.0.53:53,sourceport=${sourcePort},reuseaddr`], {input: 'ping\n', reject: false});
        if (stdout.trim() !== '') return stdout.trim();
      }
      return '';
    };
    let pinned: number | undefined;
    for (let port = 40000; port < 40060 && pinned === undefined; port++) if (await fromPort(port) === 'web-3') pinned = port;
    expect(pinned).toBeDefined();
    const changed = lab.writeSpec('changed', spec('other'));
    const web3 = `${formatAddress(cluster.pods.find((p) => p.name === 'web-3')!.ip)}`;
    const plan = await netctl(['plan', '-f', changed, '--json']);
    const doc = JSON.parse(plan.stdout) as {nodes: {changes: {explainedByServices: boolean}[]; services: {service: string; action: string; endpointsAdded: string[]; endpointsRemoved: string[]}[]}[]};
    for (const node of doc.nodes) {
      expect(node.changes.filter((c) => !c.explainedByServices)).toEqual([]);
      expect(node.services).toEqual([
        {service: 'names/dns', action: 'update', description: 'service names/dns', reason: `- endpoint ${web3}:5353`, endpointsAdded: [], endpointsRemoved: [`${web3}:5353`]},
        {service: 'sticky/http', action: 'update', description: 'service sticky/http', reason: `- endpoint ${web3}:8080`, endpointsAdded: [], endpointsRemoved: [`${web3}:8080`]},
        {service: 'web/http', action: 'update', description: 'service web/http', reason: `- endpoint ${web3}:8080`, endpointsAdded: [], endpointsRemoved: [`${web3}:8080`]},
      ]);
    }
    expect((await netctl(['apply', '-f', changed, '--auto-approve'])).exitCode).toBe(0);
    const seen = await requests(30, '10.96.0.10', 80);
    expect([...seen.keys()].sort()).toEqual(['web-1', 'web-2']);
    // Its flow's conntrack entry went with the endpoint: the same source port now reaches another pod.
    expect(['web-1', 'web-2']).toContain(await fromPort(pinned!));
  });

  it('runs a command inside a pod with netctl exec, passes its input, output and exit status, and lists the pods', async () => {
    const ip = formatAddress(cluster.pods.find((p) => p.name === 'web-2')!.ip);
    const shown = await netctl(['exec', '-f', file, 'web-2', '--', 'ip', '-4', '-o', 'addr', 'show', 'eth0']);
    expect(shown.stdout).toContain(`inet ${ip}/24`);
    expect(shown.exitCode).toBe(0);
    expect((await netctl(['exec', '-f', file, 'default/web-2', '--', 'sh', '-c', 'exit 7'])).exitCode).toBe(7);
    const echoed = await execa(bin, ['exec', '-f', file, 'web-2', '--', 'cat'], {input: 'through the pod\n', reject: false});
    expect(echoed.stdout).toBe('through the pod');
    // Every word as given and in its place, repeated ones and those that look like netctl's flags too.
    expect((await netctl(['exec', '-f', file, 'web-2', '--', 'echo', '2', 'a', '-t', '2', '-', 'a'])).stdout).toBe('2 a -t 2 - a\n');
    const list = await netctl(['exec', '-f', file]);
    expect(list.stdout).toMatch(new RegExp(`^default/web-2 +node2 +${ip.replace(/\./g, '\\.')} +yes \\(no probe\\)$`, 'm'));
    const unknown = await netctl(['exec', '-f', file, 'web-9', '--', 'true']);
    expect(unknown.stderr).toContain(`error: no pod web-9 in the spec; write NAMESPACE/POD (netctl exec -f ${file} lists the pods)\n`);
    expect(unknown.exitCode).toBe(2);
  });

  it('destroys every netctl chain and jump, and leaves the foreign nat rule', async () => {
    expect((await netctl(['destroy', '-f', file, '--auto-approve'])).exitCode).toBe(0);
    for (const n of [1, 2, 3]) {
      const {stdout} = await lab.onNode(n, ['iptables-save']);
      expect(stdout).not.toContain('NETCTL');
    }
    const {stdout} = await lab.onNode(1, ['iptables-save', '-t', 'nat']);
    expect(stdout).toContain('-A PREROUTING -p tcp -m tcp --dport 9 -j RETURN');
  });
});
