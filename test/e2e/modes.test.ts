/**
 * netctl against real kernels over real SSH, for each mode: 3 lab nodes, 2 pods per node.
 * Needs root; skipped otherwise (with the reason).
 */
import {afterAll, beforeAll, describe, expect, it} from '@jest/globals';
import {vethName, vtepMac} from '../../src/desired/names.js';
import {formatAddress, formatCidr} from '../../src/net/ipv4.js';
import {checkSpecText} from '../../src/spec/check.js';
import type {ClusterNetwork} from '../../src/spec/types.js';
import {Lab, labSpec, labUnavailable, netctl, nodeAddress} from './lab.js';

const unavailable = labUnavailable();
if (unavailable !== undefined) console.warn(`skipping end-to-end tests: ${unavailable}`);
const suite = unavailable === undefined ? describe : describe.skip;

interface ModeCase {
  readonly name: string;
  readonly mode: string;
  readonly clusterCIDR: string;
  readonly extra?: string;
  readonly podCIDRs: boolean;
  /** Host routes on node1 that exist only because of node3 (removed by the spec change). */
  readonly node3Objects: (cluster: ClusterNetwork) => string[];
}

const podsOf = (nodes: number[]) => nodes.flatMap((n) => [`n${n}-a`, `n${n}-b`].map((pod) => `    - {name: ${pod}, node: node${n}}\n`)).join('');
const nodesOf = (count: number, podCIDRs: boolean) => Array.from({length: count}, (_, i) =>
  `    - {name: node${i + 1}, address: ${nodeAddress(i + 1)}/24${podCIDRs ? `, podCIDR: 10.244.${i + 1}.0/24` : ''}}\n`).join('');

const modes: ModeCase[] = [
  {
    name: 'overlay', mode: 'overlay', clusterCIDR: '10.244.0.0/16', podCIDRs: true,
    node3Objects: (c) => {
      const node3 = c.nodes[2]!;
      return [`route ${formatCidr(node3.podCIDR)}`, `neighbour netctl.1 ${formatAddress(node3.podCIDR.first)}`, `fdb netctl.1 ${vtepMac('node3')} 203.0.113.3`];
    },
  },
  {
    name: 'routing', mode: 'routing', clusterCIDR: '10.244.0.0/16', podCIDRs: true,
    node3Objects: (c) => [`route ${formatCidr(c.nodes[2]!.podCIDR)}`],
  },
  {
    name: 'underlay (routed)', mode: 'underlay', clusterCIDR: '203.0.113.128/26', extra: '  nodeCIDRMaskSize: 28\n', podCIDRs: false,
    node3Objects: () => [],
  },
];

suite.each(modes)('$name mode on a 3-node lab', (mode) => {
  let lab: Lab;
  let file: string;
  let cluster: ClusterNetwork;
  let foreignBefore: string;

  const specText = (nodes: number, pods: number[]) => labSpec({
    mode: mode.mode, clusterCIDR: mode.clusterCIDR, ...(mode.extra === undefined ? {} : {extra: mode.extra}),
    nodes: nodesOf(nodes, mode.podCIDRs), pods: podsOf(pods),
  });
  const podIP = (c: ClusterNetwork, pod: string) => formatAddress(c.pods.find((p) => p.name === pod)!.ip);
  const podPrefix = (c: ClusterNetwork, pod: string) => (mode.mode === 'underlay' ? 32 : c.nodes.find((n) => n.name === c.pods.find((p) => p.name === pod)!.node)!.podCIDR.prefix);

  /** Objects on node1 that are not netctl's, as text; must never change. */
  const foreignState = async () => {
    const parts = await Promise.all([
      lab.onNode(1, ['ip', '-br', 'link', 'show', 'fx0']),
      lab.onNode(1, ['ip', 'route', 'show', '198.18.0.0/15']),
      lab.onNode(1, ['ip', 'netns', 'list']),
      lab.onNode(1, ['iptables-save']),
    ]);
    const [link, route, namespaces, iptables] = parts.map((p) => p.stdout);
    return [
      link,
      route,
      namespaces!.split('\n').filter((l) => l.startsWith('foreign-ns')).join('\n'),
      iptables!.split('\n').filter((l) => !l.startsWith('#') && !l.includes('NETCTL')).join('\n'),
    ].join('\n---\n');
  };

  const planChanges = async (specFile: string, ...flags: string[]) => {
    const result = await netctl(['plan', '-f', specFile, '--json', ...flags]);
    const doc = JSON.parse(result.stdout) as {nodes: {node: string; errors: string[]; changes: {action: string; key: string}[]}[]};
    for (const node of doc.nodes) expect(node.errors).toEqual([]);
    return Object.fromEntries(doc.nodes.map((n) => [n.node, n.changes.map((c) => `${c.action} ${c.key}`).sort()]));
  };

  beforeAll(async () => {
    lab = await Lab.up(3);
    file = lab.writeSpec('spec', specText(3, [1, 2, 3]));
    cluster = checkSpecText(specText(3, [1, 2, 3])).cluster!;
    // Objects of someone else, which netctl must leave exactly as they are.
    await lab.onNode(1, ['sh', '-e', '-c', [
      'ip link add fx0 type veth peer name fx1',
      'ip route add 198.18.0.0/15 via 203.0.113.254',
      'iptables -t nat -A POSTROUTING -s 172.17.0.0/16 -j MASQUERADE',
      'iptables -A FORWARD -s 172.17.0.0/16 -j ACCEPT',
      'iptables -A FORWARD -d 172.17.0.0/16 -j ACCEPT',
      'ip netns add foreign-ns',
    ].join('\n')]);
    foreignBefore = await foreignState();
  });

  afterAll(async () => {
    await lab?.down();
  });

  it('applies from empty and verifies', async () => {
    const result = await netctl(['apply', '-f', file, '--auto-approve']);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('Apply complete:\n  node1: applied\n  node2: applied\n  node3: applied\n');
    expect(result.exitCode).toBe(0);
    const clients = await import('execa').then(({execa}) => execa('pgrep', ['-f', 'netctl-session-ready'], {reject: false}));
    expect(clients.stdout).toBe('');
  });

  it('carries TCP from every pod to a pod on every other node, and the server sees the pod IP', async () => {
    for (const n of [1, 2, 3]) await lab.serveClientAddress(n, `n${n}-a`, 8080);
    for (const client of cluster.pods) {
      const from = Number(client.node.slice('node'.length));
      for (const to of [1, 2, 3].filter((n) => n !== from)) {
        const answer = await lab.connectFromPod(from, client.name, podIP(cluster, `n${to}-a`), 8080);
        expect(`${client.name} -> n${to}-a: ${answer}`).toBe(`${client.name} -> n${to}-a: ${formatAddress(client.ip)}`);
      }
    }
  });

  it('lets a pod reach its node and the node its pods', async () => {
    for (const n of [1, 2, 3]) {
      await lab.inPod(n, `n${n}-b`, ['ping', '-c', '1', '-W', '2', nodeAddress(n)]);
      await lab.onNode(n, ['ping', '-c', '1', '-W', '2', podIP(cluster, `n${n}-b`)]);
    }
  });

  it('plans nothing on a second run', async () => {
    const result = await netctl(['plan', '-f', file, '--detailed-exitcode']);
    expect(result.stdout).toContain('No changes. The hosts match the spec.');
    expect(result.exitCode).toBe(0);
  });

  it('shows exactly the drift made by hand, and repairs it', async () => {
    const pod = 'n1-a';
    const ip = podIP(cluster, pod);
    const hostRoute = mode.mode === 'underlay' ? `${ip}/32` : formatCidr(cluster.nodes[1]!.podCIDR);
    await lab.onNode(1, ['ip', 'route', 'del', hostRoute]);
    await lab.onNode(1, ['ip', '-n', pod, 'addr', 'del', `${ip}/${podPrefix(cluster, pod)}`, 'dev', 'eth0']);
    const changes = await planChanges(file);
    expect(changes).toEqual({
      // Removing a device's last address makes the kernel drop the routes through it: the pod's
      // default route goes with the address, and the plan says so.
      node1: [`create address ${pod}:eth0 ${ip}/${podPrefix(cluster, pod)}`, `create route ${hostRoute}`, `create route ${pod}:default`].sort(),
      node2: [],
      node3: [],
    });
    expect((await netctl(['apply', '-f', file, '--auto-approve'])).exitCode).toBe(0);
    expect((await netctl(['plan', '-f', file, '--detailed-exitcode'])).exitCode).toBe(0);
    expect(await lab.connectFromPod(2, 'n2-b', ip, 8080)).toBe(podIP(cluster, 'n2-b'));
  });

  it('leaves the foreign link, route, iptables rules and namespace exactly as they were', async () => {
    expect(await foreignState()).toBe(foreignBefore);
  });

  it('plans only the expected changes when a node is removed and a pod added', async () => {
    const changed = specText(2, [1, 2]).replace('  pods:\n', '  pods:\n    - {name: n1-c, node: node1}\n');
    const changedFile = lab.writeSpec('changed', changed);
    const next = checkSpecText(changed).cluster!;
    const ip = podIP(next, 'n1-c');
    const podRoutes = mode.mode === 'underlay' ? [`create route ${ip}/32`] : [];
    const gone = mode.node3Objects(cluster).map((key) => `delete ${key}`);
    const changes = await planChanges(changedFile);
    expect(changes).toEqual({
      node1: [
        'create netns n1-c',
        `create link ${vethName('n1-c')}`,
        'create link n1-c:eth0',
        `create address n1-c:eth0 ${ip}/${podPrefix(next, 'n1-c')}`,
        'create route n1-c:default',
        ...podRoutes,
        ...gone,
      ].sort(),
      node2: [...gone].sort(),
    });
    expect((await netctl(['apply', '-f', changedFile, '--auto-approve'])).exitCode).toBe(0);
    expect((await netctl(['plan', '-f', changedFile, '--detailed-exitcode'])).exitCode).toBe(0);
  });

  it('destroys every netctl object, also those of older specs, and nothing else', async () => {
    // netctl deletes its links as one group (apply/link-deletions.ts): someone else's link already in
    // that group makes node2 delete them one by one, and stays.
    await lab.onNode(2, ['ip', 'link', 'add', 'fg0', 'group', '28259', 'type', 'bridge']);
    // The original spec: node3 is back in it, pod n1-c (applied by the changed spec) is not.
    const result = await netctl(['destroy', '-f', file, '--auto-approve']);
    expect(result.exitCode).toBe(0);
    expect((await lab.onNode(2, ['ip', '-o', 'link', 'show', 'group', '28259'])).stdout).toContain('fg0');
    await lab.onNode(2, ['ip', 'link', 'del', 'fg0']);
    expect(result.stdout).toContain('Destroy complete');
    expect(await planChanges(file, '--destroy')).toEqual({node1: [], node2: [], node3: []});
    for (const n of [1, 2, 3]) {
      const {stdout: links} = await lab.onNode(n, ['ip', '-d', 'link', 'show']);
      expect(links).not.toContain('alias netctl');
      const {stdout: rules} = await lab.onNode(n, ['iptables-save']);
      expect(rules).not.toContain('NETCTL');
      const {stdout: routes} = await lab.onNode(n, ['ip', 'route', 'show', 'proto', '147']);
      expect(routes).toBe('');
      const {stdout: namespaces} = await lab.onNode(n, ['ip', 'netns', 'list']);
      expect(namespaces.split('\n').filter((l) => l !== '' && !l.startsWith('foreign-ns'))).toEqual([]);
    }
    expect(await foreignState()).toBe(foreignBefore);
    const again = await netctl(['destroy', '-f', file, '--auto-approve']);
    expect(again.stdout).toContain('No changes. Nothing of netctl\'s is left on the nodes.');
    expect(again.exitCode).toBe(0);
  });
});
