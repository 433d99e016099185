import {describe, expect, it} from '@jest/globals';
import {applyScript} from '../../src/apply/script.js';
import {rollbackScript} from '../../src/apply/transaction.js';
import {ChangeList} from '../../src/plan/change-list.js';
import {diff} from '../../src/plan/diff.js';
import {planNode} from '../../src/plan/node-plan.js';
import type {Link, Resource} from '../../src/resources/model.js';
import {podEndpoint} from '../../src/desired/pods.js';
import {podMac} from '../../src/desired/names.js';
import type {Pod} from '../../src/spec/types.js';
import {check} from './spec-builders.js';
import {emptyNode} from './observation-builders.js';

const bridge: Link = {kind: 'link', ns: '', name: 'netctl0', type: 'bridge', mtu: 1450, up: true};
const veth: Link = {kind: 'link', ns: '', name: 'nc1', type: 'veth', mtu: 1450, up: true, master: 'netctl0', peer: {name: 'eth0', ns: 'web-1'}};
const podEth0: Link = {kind: 'link', ns: 'web-1', name: 'eth0', type: 'veth', mtu: 1450, up: true, peer: {name: 'nc1', ns: ''}};
const podAddress: Resource = {kind: 'address', ns: 'web-1', dev: 'eth0', cidr: '10.244.1.10/24'};
const podRoute: Resource = {kind: 'route', ns: 'web-1', dst: 'default', dev: 'eth0', via: '10.244.1.1'};
const noForeign = new Map<string, string>();

describe('diff', () => {
  it('updates what can change in place', () => {
    const {changes} = diff([bridge], {resources: [{...bridge, mtu: 1500}], foreign: noForeign});
    expect(changes).toEqual([expect.objectContaining({action: 'update', key: 'link netctl0', reason: 'mtu 1500 → 1450'})]);
    expect(applyScript(changes)).toContain('link set dev netctl0 mtu 1450 up');
  });

  it('replaces what cannot, and creates again what hung on the replaced link', () => {
    const desired = [bridge, veth, podEth0, podAddress, podRoute];
    const observed = [bridge, {...veth, peer: {name: 'eth0', ns: 'other'}}, podEth0, podAddress, podRoute];
    const {changes} = diff(desired, {resources: observed, foreign: noForeign});
    expect(changes.map((c) => `${c.action} ${c.key}`)).toEqual([
      'replace link nc1',
      'create link web-1:eth0',
      'create address web-1:eth0 10.244.1.10/24',
      'create route web-1:default',
    ]);
    const script = applyScript(changes);
    expect(script).toContain('link del dev nc1\nlink add nc1 mtu 1450 type veth peer name eth0 netns web-1');
    expect(script).toContain('addr add 10.244.1.10/24 dev eth0');
  });

  it('undoes a replaced link and puts back, as they were, the objects that went with it', () => {
    const oldAddress: Resource = {kind: 'address', ns: 'web-1', dev: 'eth0', cidr: '10.244.1.10/24'};
    const oldVeth = {...veth, mtu: 1400, peer: {name: 'eth0', ns: 'other'}};
    const {changes} = diff([bridge, veth, podEth0, podAddress, podRoute], {resources: [bridge, oldVeth, podEth0, oldAddress, podRoute], foreign: noForeign});
    const script = rollbackScript({node: 'node-a', changes: ChangeList.of(changes), errors: [], warnings: [], fingerprint: ''});
    expect(script).toContain('link add nc1 mtu 1400 type veth peer name eth0 netns other');
    expect(script).toContain('addr add 10.244.1.10/24 dev eth0');
    expect(script).not.toContain('addr del');
  });

  it('keeps the MAC and MTU of a bridge that loses its ports: MAC set to itself before, MTU set again after', () => {
    const {changes} = diff([bridge], {resources: [bridge, veth, podEth0, podAddress, podRoute], foreign: noForeign});
    const script = applyScript(changes);
    const pinned = script.indexOf('mac=$(ip -o link show dev netctl0); mac=${mac#*link/ether }; ip link set dev netctl0 address "${mac%% *}"\n');
    const noted = script.indexOf('mtu_0=$(ip -o link show dev netctl0); mtu_0=${mtu_0#* mtu }; mtu_0=${mtu_0%% *}\n');
    const deleted = script.indexOf('link del dev nc1');
    const restored = script.indexOf('ip link set dev netctl0 mtu "$mtu_0"');
    expect(pinned).toBeGreaterThan(-1);
    expect(noted).toBeGreaterThan(pinned);
    expect(deleted).toBeGreaterThan(noted);
    expect(restored).toBeGreaterThan(deleted);
  });

  it('keeps the MAC of a bridge that gains a port, and pins a new bridge\'s before its first port joins', () => {
    const gains = applyScript(diff([bridge, veth, podEth0], {resources: [bridge], foreign: noForeign}).changes);
    expect(gains.indexOf('ip link set dev netctl0 address')).toBeGreaterThan(-1);
    expect(gains.indexOf('ip link set dev netctl0 address')).toBeLessThan(gains.indexOf('link add nc1'));
    expect(gains).not.toContain('mtu_0');
    const made = applyScript(diff([bridge, veth, podEth0], {resources: [], foreign: noForeign}).changes);
    expect(made.indexOf('ip link set dev netctl0 address')).toBeGreaterThan(made.indexOf('link add netctl0'));
    expect(made.indexOf('ip link set dev netctl0 address')).toBeLessThan(made.indexOf('link add nc1'));
  });

  it('never pins a bridge of someone else\'s that one of netctl\'s ports leaves', () => {
    const script = applyScript(diff([bridge, veth, podEth0], {resources: [bridge, {...veth, master: 'br0'}, podEth0], foreign: noForeign}).changes);
    expect(script).toContain('ip link set dev netctl0 address');
    expect(script).not.toContain('dev br0');
  });

  it('leaves the MTU of a bridge that loses ports to the change of the bridge itself', () => {
    const {changes} = diff([{...bridge, mtu: 1400}], {resources: [bridge, veth, podEth0, podAddress, podRoute], foreign: noForeign});
    const script = applyScript(changes);
    expect(script).toContain('link set dev netctl0 mtu 1400 up');
    expect(script).not.toContain('mtu_0');
  });

  it('creates a pod\'s eth0 with the MAC of its address, and never compares that MAC', () => {
    const pod = podEndpoint({name: 'web-1', node: 'node-a', namespace: 'default', labels: {}, ip: 0} as unknown as Pod, {mtu: 1450, master: 'netctl0', address: '10.244.1.10/24', gateway: '10.244.1.1', gatewayOnLink: false});
    expect(podMac('10.244.1.10')).toBe('0a:58:0a:f4:01:0a');
    const {changes} = diff([bridge, ...pod], {resources: [bridge], foreign: noForeign});
    expect(applyScript(changes)).toContain('type veth peer name eth0 address 0a:58:0a:f4:01:0a netns web-1');
    // A node read back holds the links without it (pods made before keep their MAC): nothing to change.
    const observed = pod.map((r) => Object.fromEntries(Object.entries(r).filter(([field]) => field !== 'peerMac')) as unknown as Resource);
    expect(diff([bridge, ...pod], {resources: [bridge, ...observed], foreign: noForeign}).changes).toEqual([]);
  });

  it('deletes only what netctl owns, children with their parents', () => {
    const {changes} = diff([], {resources: [bridge, veth, podEth0, podAddress, podRoute], foreign: new Map([['link eth9', 'link eth9']])});
    expect(changes.every((c) => c.action === 'delete')).toBe(true);
    const script = applyScript(changes);
    expect(script).toBe(
      [
        'set -e',
        `if [ -z "$(ip -o link show group 28259)" ]; then ip -batch - <<'NETCTL_EOF'`,
        'link set dev nc1 group 28259',
        'link set dev netctl0 group 28259',
        'link del group 28259',
        'NETCTL_EOF',
        `else ip -batch - <<'NETCTL_EOF'`,
        'link del dev nc1',
        'link del dev netctl0',
        'NETCTL_EOF',
        'fi',
        '',
      ].join('\n'),
    );
  });

  it('makes new namespaces in a batch of their own and marks each with its first batch inside', () => {
    const web2Eth0: Link = {...podEth0, ns: 'web-2', peer: {name: 'nc2', ns: ''}};
    const desired: Resource[] = [
      {kind: 'netns', ns: '', name: 'web-1'}, {kind: 'netns', ns: '', name: 'web-2'},
      bridge, veth, {...veth, name: 'nc2', peer: {name: 'eth0', ns: 'web-2'}}, podEth0, web2Eth0, podAddress,
    ];
    const {changes} = diff(desired, {resources: [], foreign: noForeign});
    const script = applyScript(changes);
    // Only netns lines in the first batch: older iproute2 ran the lines after `netns add` inside it.
    expect(script).toContain("ip -batch - <<'NETCTL_EOF'\nnetns add web-1\nnetns add web-2\nNETCTL_EOF\nip -batch - <<'NETCTL_EOF'\nlink add netctl0");
    expect(script).toContain("ip -n web-1 -batch - <<'NETCTL_EOF'\nlink set dev lo alias netctl up\nlink set dev eth0 mtu 1450 up\naddr add 10.244.1.10/24 dev eth0\n");
    expect(script).toContain("ip -n web-2 -batch - <<'NETCTL_EOF'\nlink set dev lo alias netctl up\nlink set dev eth0 mtu 1450 up\nNETCTL_EOF");
    // Namespaces, the bridge (whose MAC is then pinned before its ports join), the links, each pod.
    expect(script.match(/^ip /gm)).toHaveLength(5);
    const {changes: removals} = diff([], {resources: desired, foreign: noForeign});
    expect(applyScript(removals)).toContain("ip -batch - <<'NETCTL_EOF'\nnetns del web-1\nnetns del web-2\nNETCTL_EOF");
    // A name read from a node that a batch line cannot hold goes to ip netns as a quoted word.
    const {changes: odd} = diff([], {resources: [{kind: 'netns', ns: '', name: "it's odd"}], foreign: noForeign});
    expect(applyScript(odd)).toBe("set -e\nip netns del 'it'\\''s odd'\n");
  });

  it('never adopts a foreign object in the way: a conflict names it', () => {
    const {changes, conflicts} = diff([bridge], {resources: [], foreign: new Map([['link netctl0', 'link netctl0 (bridge, not created by netctl)']])});
    expect(changes).toEqual([]);
    expect(conflicts).toEqual([{key: 'link netctl0', foreign: 'link netctl0 (bridge, not created by netctl)'}]);
  });

  it('leaves a foreign namespace and everything planned inside it alone', () => {
    const {changes, conflicts} = diff(
      [{kind: 'netns', ns: '', name: 'web-1'}, podEth0, podAddress],
      {resources: [], foreign: new Map([['netns web-1', 'network namespace web-1 (not created by netctl)']])},
    );
    expect(conflicts).toHaveLength(1);
    expect(changes).toEqual([]);
  });

  it('never deletes a sysctl', () => {
    const {changes} = diff([], {resources: [{kind: 'sysctl', ns: '', key: 'net/ipv4/ip_forward', value: '1'}], foreign: noForeign});
    expect(changes).toEqual([]);
  });

  it('rewrites a netctl chain whole when one of its rules changes', () => {
    const chain = (...targets: string[]): Resource => ({kind: 'iptables-chain', ns: '', table: 'nat', chain: 'NETCTL-X', rules: targets.map((t) => ['-j', t])});
    const {changes} = diff([chain('RETURN', 'MASQUERADE')], {resources: [chain('RETURN')], foreign: noForeign});
    expect(changes).toEqual([expect.objectContaining({action: 'update', key: 'iptables-chain nat NETCTL-X', reason: 'rules +1 -0'})]);
    expect(diff([chain('RETURN', 'MASQUERADE')], {resources: [chain('MASQUERADE', 'RETURN')], foreign: noForeign}).changes[0]?.reason).toBe('rules reordered');
    expect(applyScript(changes)).toBe("set -e\niptables-restore -w 5 --noflush <<'NETCTL_EOF'\n*nat\n:NETCTL-X - [0:0]\n-A NETCTL-X -j RETURN\n-A NETCTL-X -j MASQUERADE\nCOMMIT\nNETCTL_EOF\n");
  });
});

describe('planNode', () => {
  const cluster = check((s) => {
    s.spec.mode = 'routing';
    s.spec.underlay = {driver: 'ipvlan'};
  }).cluster!;
  const node = cluster.nodes[0]!;

  it('names the node network problem when a peer is not on-link', () => {
    const observed = {...emptyNode('198.51.100.1'), routesToPeers: new Map([['198.51.100.2', {dev: 'eth0', gateway: '198.51.100.254'}]])};
    expect(planNode(cluster, node, observed, 'apply').errors).toEqual([
      'routing mode needs every node on one layer-2 subnet, but this node reaches node-b (198.51.100.2) through gateway 198.51.100.254 on eth0; use mode: overlay',
    ]);
  });

  it('says when no interface holds the node address', () => {
    expect(planNode(cluster, node, emptyNode('198.51.100.99'), 'apply').errors).toEqual([
      'no interface of the node holds its address 198.51.100.1; check the address or set interface',
    ]);
  });

  it('says when the kernel lacks a link type', () => {
    const underlay = check((s) => {
      s.spec.mode = 'underlay';
      s.spec.underlay = {driver: 'ipvlan'};
      s.spec.clusterCIDR = '198.51.100.128/25';
      delete s.spec.serviceCIDR;
      s.spec.services = [];
      s.spec.nodes[0]!.podCIDR = '198.51.100.128/28';
      s.spec.nodes[1]!.podCIDR = '198.51.100.144/28';
      s.spec.pods = [{name: 'web-1', node: 'node-a'}];
    }).cluster!;
    const observed = {...emptyNode('198.51.100.1'), linkTypes: new Map([['ipvlan', {supported: false, detail: 'Error: Unknown device type.'}]])};
    expect(planNode(underlay, underlay.nodes[0]!, observed, 'apply').errors).toEqual([
      "this node's kernel cannot create ipvlan links (Error: Unknown device type.); load the ipvlan module or use underlay.driver: routed",
    ]);
  });

  it('says which tool is missing', () => {
    expect(planNode(cluster, node, {...emptyNode('198.51.100.1'), missingTools: ['iptables-save']}, 'apply').errors).toEqual([
      'the node has no iptables-save command; install iptables',
    ]);
  });
});
