/**
 * `netctl preflight` on the lab: the clean lab passes; each planted problem (a tool hidden by a bind
 * mount, an overlapping route, an uplink MTU too small, VXLAN dropped by a firewall on one node,
 * ip_forward off on a node netctl built) fails on the node it was planted on, with a fix; plan stops at
 * the failures apply cannot get past and names the next command.
 */
import {afterAll, beforeAll, describe, expect, it} from '@jest/globals';
import {Lab, labSpec, labUnavailable, netctl, nodeAddress} from './lab.js';

const unavailable = labUnavailable();
if (unavailable !== undefined) console.warn(`skipping end-to-end tests: ${unavailable}`);
const suite = unavailable === undefined ? describe : describe.skip;

const spec = labSpec({
  mode: 'overlay',
  clusterCIDR: '10.244.0.0/16',
  extra: '  serviceCIDR: 10.96.0.0/16\n',
  nodes: [1, 2, 3].map((n) => `    - {name: node${n}, address: ${nodeAddress(n)}/24}\n`).join(''),
  pods: [1, 2, 3].map((n) => `    - {name: p${n}, node: node${n}, labels: {app: web}}\n`).join(''),
}) + '  services:\n    - {name: web, clusterIP: 10.96.0.80, selector: {app: web}, ports: [{port: 80}]}\n';

interface Check {check: string; status: string; detail: string; fix: string | null}
interface Report {passed: boolean; nodes: {node: string; checks: Check[]}[]}

suite('netctl preflight', () => {
  let lab: Lab;
  let file: string;
  const report = async () => {
    const result = await netctl(['preflight', '-f', file, '--json']);
    return {exitCode: result.exitCode, doc: JSON.parse(result.stdout) as Report};
  };
  const failures = (doc: Report) => doc.nodes.flatMap((n) => n.checks.filter((c) => c.status === 'fail').map((c) => ({node: n.node, ...c})));

  beforeAll(async () => {
    lab = await Lab.up(3);
    file = lab.writeSpec('preflight', spec);
  });
  afterAll(async () => {
    await lab?.down();
  });

  it('passes on the clean lab, VXLAN between every pair of nodes included, and leaves no device behind', async () => {
    const {exitCode, doc} = await report();
    expect(failures(doc)).toEqual([]);
    expect(exitCode).toBe(0);
    for (const node of doc.nodes) {
      expect(node.checks.map((c) => c.check)).toEqual(expect.arrayContaining(['tools', 'kernel', 'interface', 'mtu', 'overlap', 'ip_forward', 'vxlan']));
      expect(node.checks.find((c) => c.check === 'vxlan')).toEqual(expect.objectContaining({status: 'pass'}));
    }
    for (const n of [1, 2, 3]) expect((await lab.onNode(n, ['ip', 'link', 'show'])).stdout).not.toContain('nctlpf0');
    const text = await netctl(['preflight', '-f', file]);
    expect(text.stdout).toMatch(/Preflight passed: 3 nodes, \d+ passed, \d+ warnings?, 0 failed\./);
  });

  it('finds a tool hidden by a bind mount, and plan stops at it naming preflight', async () => {
    await lab.onNode(2, ['mount', '--bind', '/dev/null', '/usr/sbin/bridge']);
    try {
      const {exitCode, doc} = await report();
      expect(failures(doc)).toEqual([expect.objectContaining({node: 'node2', check: 'tools', detail: 'the node has no bridge command', fix: 'install iproute2'})]);
      expect(exitCode).toBe(1);
      const plan = await netctl(['plan', '-f', file]);
      expect(plan.stdout).toContain('node2: cannot be planned\n  error: the node has no bridge command; install iproute2');
      expect(plan.stdout).toContain('Next: `netctl preflight -f` with the same spec');
      expect(plan.exitCode).toBe(1);
    } finally {
      await lab.onNode(2, ['umount', '/usr/sbin/bridge']);
    }
  });

  it('finds a host route that overlaps clusterCIDR', async () => {
    await lab.onNode(3, ['ip', 'route', 'add', '10.244.200.0/24', 'via', nodeAddress(1)]);
    try {
      const {exitCode, doc} = await report();
      expect(failures(doc)).toEqual([expect.objectContaining({node: 'node3', check: 'overlap', detail: 'route 10.244.200.0/24 dev eth0 overlaps clusterCIDR 10.244.0.0/16'})]);
      expect(exitCode).toBe(1);
    } finally {
      await lab.onNode(3, ['ip', 'route', 'del', '10.244.200.0/24']);
    }
  });

  it('refuses underlay pods on the nodes\' gateway and on the address netctl connects from, before they cut the nodes off', async () => {
    // The lab's nodes reach this machine at 203.0.113.254 and route by default via 203.0.113.253.
    const underlay = lab.writeSpec('preflight-underlay', labSpec({
      mode: 'underlay',
      clusterCIDR: '203.0.113.240/28',
      extra: '  nodeCIDRMaskSize: 28\n  masquerade: false\n',
      nodes: `    - {name: node1, address: ${nodeAddress(1)}/24}\n`,
      pods: '    - {name: gw, node: node1, ip: 203.0.113.253}\n    - {name: me, node: node1, ip: 203.0.113.254}\n',
    }));
    const apply = await netctl(['apply', '-f', underlay, '--auto-approve']);
    expect(apply.stdout).toContain('pod gw has 203.0.113.253, node1\'s gateway (route default via 203.0.113.253): it would take that address over and cut node1 off');
    expect(apply.stdout).toContain('pod me has 203.0.113.254, the address node1 sees netctl\'s SSH connection come from');
    expect(apply.exitCode).toBe(1);
    expect((await lab.onNode(1, ['ip', 'netns', 'list'])).stdout).toBe('');
    expect((await netctl(['plan', '-f', file])).exitCode).toBe(0);
  });

  it('refuses a node port on the port netctl reaches the nodes on, before it takes their SSH over', async () => {
    const taken = lab.writeSpec('preflight-ssh-port', spec.replace('  serviceCIDR: 10.96.0.0/16\n', '  serviceCIDR: 10.96.0.0/16\n  nodePortRange: 1-65535\n')
      .replace('ports: [{port: 80}]', 'ports: [{port: 80, nodePort: 22}]'));
    const apply = await netctl(['apply', '-f', taken, '--auto-approve']);
    expect(apply.stdout).toContain('node port 22 of web/tcp-80 is the TCP port netctl\'s SSH connection to node1 comes to');
    expect(apply.exitCode).toBe(1);
    expect((await lab.onNode(1, ['ip', 'netns', 'list'])).stdout).toBe('');
  });

  it('finds an uplink whose MTU is smaller than the spec needs', async () => {
    await lab.onNode(1, ['ip', 'link', 'set', 'eth0', 'mtu', '1400']);
    try {
      const {doc} = await report();
      expect(failures(doc)).toEqual([expect.objectContaining({node: 'node1', check: 'mtu', fix: 'set spec.mtu: 1400, or raise the MTU of eth0'})]);
    } finally {
      await lab.onNode(1, ['ip', 'link', 'set', 'eth0', 'mtu', '1500']);
    }
  });

  it('finds VXLAN dropped by a firewall on one node', async () => {
    const rule = ['INPUT', '-p', 'udp', '--dport', '4789', '-j', 'DROP'];
    await lab.onNode(2, ['iptables', '-I', ...rule]);
    try {
      const {exitCode, doc} = await report();
      expect(failures(doc)).toEqual([expect.objectContaining({
        node: 'node2',
        check: 'vxlan',
        detail: `VXLAN packets from node1 (${nodeAddress(1)}), node3 (${nodeAddress(3)}) to UDP 4789 do not arrive: a firewall on this node or on the way drops them`,
      })]);
      expect(exitCode).toBe(1);
    } finally {
      await lab.onNode(2, ['iptables', '-D', ...rule]);
    }
    expect((await lab.onNode(2, ['ip', 'link', 'show'])).stdout).not.toContain('nctlpf0');
  });

  it('warns of ip_forward off before the first apply, and fails it on a node netctl built, which apply repairs', async () => {
    const before = await report();
    expect(before.doc.nodes[0]!.checks.find((c) => c.check === 'ip_forward')?.status).toMatch(/pass|warn/);
    expect((await netctl(['apply', '-f', file, '--auto-approve'])).exitCode).toBe(0);
    await lab.onNode(3, ['sysctl', '-qw', 'net.ipv4.ip_forward=0']);
    const {exitCode, doc} = await report();
    expect(failures(doc)).toEqual([expect.objectContaining({node: 'node3', check: 'ip_forward', detail: 'net.ipv4.ip_forward = 0: the node drops pod traffic to and from other nodes'})]);
    expect(exitCode).toBe(1);
    // Not a node error: apply turns it back on.
    const plan = await netctl(['plan', '-f', file, '--detailed-exitcode']);
    expect(plan.stdout).toContain('~ sysctl net.ipv4.ip_forward = 1');
    expect(plan.exitCode).toBe(2);
    expect((await netctl(['apply', '-f', file, '--auto-approve'])).exitCode).toBe(0);
    expect((await report()).exitCode).toBe(0);
  });

  it('draws what the hosts hold with graph --observed, a pod removed by hand marked missing', async () => {
    await lab.onNode(2, ['ip', 'netns', 'del', 'p2']);
    const dot = await netctl(['graph', '-f', file, '--observed', '--format', 'dot']);
    expect(dot.exitCode).toBe(0);
    expect(dot.stdout).toMatch(/pod_default_p2 \[label="p2\\n[\d.]+\\nmissing", shape=ellipse, color="#cf222e"/);
    expect(dot.stdout).toMatch(/label="node2 203\.0\.113\.2\\npods [\d./]+\\n\d+ changes to apply"/);
    expect(dot.stdout).toMatch(/label="node1 203\.0\.113\.1\\npods [\d./]+\\nmatches the spec"/);
    expect(dot.stdout).toContain('svc_default_web -> pod_default_p2');
    expect((await netctl(['apply', '-f', file, '--auto-approve'])).exitCode).toBe(0);
    expect((await netctl(['graph', '-f', file, '--observed', '--format', 'mermaid'])).stdout).not.toContain('classDef');
    expect((await netctl(['destroy', '-f', file, '--auto-approve'])).exitCode).toBe(0);
  });
});
