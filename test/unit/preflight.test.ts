import {describe, expect, it} from '@jest/globals';
import type {NodeObservation} from '../../src/observe/parse.js';
import {reachProbeScript, reachSetupScript, reachVni, reachedFrom} from '../../src/observe/vxlan-reach.js';
import {blockingErrors, hostChecks, type HostCheck} from '../../src/plan/preflight.js';
import {check} from './spec-builders.js';
import {emptyNode} from './observation-builders.js';

const overlay = check((s) => {
  s.spec.mode = 'overlay';
}).cluster!;
const node = overlay.nodes[0]!;
const withHost = (host: Partial<NodeObservation['host']>, rest: Partial<NodeObservation> = {}): NodeObservation => {
  const base = emptyNode('198.51.100.1');
  return {...base, ...rest, host: {...base.host, ...host}};
};
const only = (checks: HostCheck[], name: string) => checks.find((c) => c.check === name);

describe('preflight host checks', () => {
  it('pass on a host that has what the spec needs', () => {
    const checks = hostChecks(overlay, node, withHost({}, {linkTypes: new Map(['veth', 'bridge', 'vxlan'].map((t) => [t, {supported: true, detail: ''}]))}));
    expect(checks.filter((c) => c.status === 'fail')).toEqual([]);
    expect(only(checks, 'kernel')?.detail).toContain('creates veth, bridge, vxlan links');
    expect(blockingErrors(checks)).toEqual([]);
  });

  it.each([
    ['a required tool missing', withHost({}, {missingTools: ['iptables-restore']}), 'tools', 'the node has no iptables-restore command', true],
    ['no vxlan in the kernel', withHost({}, {linkTypes: new Map([['vxlan', {supported: false, detail: 'Error: Unknown device type.'}]])}), 'kernel', "this node's kernel cannot create vxlan links (Error: Unknown device type.)", true],
    ['an uplink MTU below the spec', withHost({linkMtus: new Map([['eth0', 1400]])}), 'mtu', "eth0 has MTU 1400, smaller than the spec's mtu 1500 (pods 1450 + 50 of VXLAN = 1500): bigger packets would be dropped", true],
    ['a route into clusterCIDR', withHost({foreignRoutes: [{dst: '10.244.3.0/24', dev: 'eth0'}]}), 'overlap', 'route 10.244.3.0/24 dev eth0 overlaps clusterCIDR 10.244.0.0/16', true],
    ['a host address in serviceCIDR', withHost({foreignAddresses: [{dev: 'eth1', cidr: '10.96.5.5/24'}]}), 'overlap', 'address 10.96.5.5/24 on eth1 overlaps serviceCIDR 10.96.0.0/16', true],
    ['a route that holds clusterCIDR', withHost({foreignRoutes: [{dst: '10.0.0.0/8', dev: 'eth0'}]}), 'overlap', 'route 10.0.0.0/8 dev eth0 overlaps clusterCIDR 10.244.0.0/16', true],
    ['netctl connecting from inside clusterCIDR, through the default route', withHost({sshClient: '10.244.7.9'}), 'overlap', 'the address netctl\'s SSH connection comes from, 10.244.7.9, is inside clusterCIDR 10.244.0.0/16', true],
  ] as const)('fail on %s', (_what, observed, name, detail, blocking) => {
    const found = only(hostChecks(overlay, node, observed), name);
    expect(found).toEqual(expect.objectContaining({status: 'fail', detail, blocking}));
    expect(found?.fix).toBeDefined();
  });

  it('leave the default route and netctl\'s own links out of overlaps', () => {
    const observed = withHost({foreignRoutes: [{dst: 'default', dev: 'eth0'}, {dst: '10.244.1.0/24', dev: 'netctl0'}]}, {
      resources: new Map([['link  netctl0', {kind: 'link', ns: '', name: 'netctl0', type: 'bridge', mtu: 1450, up: true}]]),
    });
    expect(only(hostChecks(overlay, node, observed), 'overlap')?.status).toBe('pass');
  });

  it('warn of ip_forward off before the first apply, and fail it on a node netctl built, never blocking', () => {
    const off = {kind: 'sysctl', ns: '', key: 'net/ipv4/ip_forward', value: '0'} as const;
    const fresh = only(hostChecks(overlay, node, withHost({}, {resources: new Map([['sysctl net/ipv4/ip_forward', off]])})), 'ip_forward');
    expect(fresh?.status).toBe('warn');
    const built = withHost({}, {resources: new Map<string, never>([
      ['sysctl net/ipv4/ip_forward', off as never],
      ['link  netctl0', {kind: 'link', ns: '', name: 'netctl0', type: 'bridge', mtu: 1450, up: true} as never],
    ])});
    const checks = hostChecks(overlay, node, built);
    expect(only(checks, 'ip_forward')?.status).toBe('fail');
    expect(blockingErrors(checks)).toEqual([]);
  });

  it('warn of strict rp_filter on the uplink (the larger of all and the interface counts)', () => {
    expect(only(hostChecks(overlay, node, withHost({rpFilter: new Map([['all', 1], ['eth0', 0]])})), 'rp_filter')?.status).toBe('warn');
    expect(only(hostChecks(overlay, node, withHost({rpFilter: new Map([['all', 0], ['eth0', 2]])})), 'rp_filter')).toEqual(expect.objectContaining({status: 'pass', detail: 'eth0 loose'}));
  });

  it('refuse underlay pods on the node\'s gateway or on the address netctl connects from: they would cut the node off', () => {
    const underlay = check((s) => {
      s.spec.mode = 'underlay';
      s.spec.clusterCIDR = '198.51.100.128/25';
      s.spec.nodeCIDRMaskSize = 28;
      s.spec.masquerade = false;
      s.spec.nodes = [{name: 'node-a', address: '198.51.100.1/24', podCIDR: '198.51.100.240/28'}];
      s.spec.pods = [{name: 'gw', node: 'node-a', ip: '198.51.100.253'}, {name: 'me', node: 'node-a', ip: '198.51.100.254'}, {name: 'ok', node: 'node-a', ip: '198.51.100.250'}];
    }).cluster!;
    const host = withHost({foreignRoutes: [{dst: 'default', dev: 'eth0', gateway: '198.51.100.253'}], sshClient: '198.51.100.254'});
    const found = only(hostChecks(underlay, underlay.nodes[0]!, host), 'pod addresses');
    expect(found).toEqual(expect.objectContaining({status: 'fail', blocking: true}));
    expect(found?.detail).toBe('pod gw has 198.51.100.253, node-a\'s gateway (route default via 198.51.100.253): it would take that address over and cut node-a off; pod me has 198.51.100.254, the address node-a sees netctl\'s SSH connection come from: it would take that address over and cut node-a off');
    expect(only(hostChecks(underlay, underlay.nodes[0]!, withHost({})), 'pod addresses')?.status).toBe('pass');
    expect(only(hostChecks(overlay, node, host), 'pod addresses')).toBeUndefined();
  });

  it('refuse a TCP node port on the port netctl\'s SSH connection comes to', () => {
    const sshPort = check((s) => {
      s.spec.mode = 'overlay';
      s.spec.serviceCIDR = '10.96.0.0/16';
      s.spec.nodePortRange = '1-65535';
      s.spec.services = [{name: 'oops', selector: {app: 'web'}, ports: [{name: 'ssh', port: 22, nodePort: 22}, {name: 'dns', port: 53, protocol: 'UDP', nodePort: 2222}]}];
    }).cluster!;
    const found = only(hostChecks(sshPort, sshPort.nodes[0]!, withHost({sshPort: 22})), 'ssh port');
    expect(found).toEqual(expect.objectContaining({status: 'fail', blocking: true, detail: `node port 22 of oops/ssh is the TCP port netctl's SSH connection to ${sshPort.nodes[0]!.name} comes to: new connections to it would go to a pod, and netctl would be cut off`}));
    expect(only(hostChecks(sshPort, sshPort.nodes[0]!, withHost({sshPort: 2222})), 'ssh port')?.status).toBe('pass');
    expect(only(hostChecks(sshPort, sshPort.nodes[0]!, withHost({})), 'ssh port')).toBeUndefined();
  });

  it('stop at the tools when ip or bridge is missing: nothing else could be read', () => {
    expect(hostChecks(overlay, node, withHost({}, {missingTools: ['ip']})).map((c) => c.check)).toEqual(['tools']);
  });
});

describe('VXLAN between nodes', () => {
  it('uses a VNI next to the spec\'s, within range', () => {
    expect(reachVni(4096)).toBe(4097);
    expect(reachVni(16_777_215)).toBe(16_777_214);
  });

  it('sets a flooding device up, and removes any left from before', () => {
    const script = reachSetupScript({vni: 43, port: 4789, local: '203.0.113.1', peers: ['203.0.113.2']});
    expect(script).toContain('ip link del nctlpf0 2>/dev/null\n');
    expect(script).toContain("ip link add nctlpf0 type vxlan id 43 dstport 4789 local 203.0.113.1");
    expect(script).toContain("bridge fdb append 00:00:00:00:00:00 dev nctlpf0 dst 203.0.113.2");
    expect(reachProbeScript(2)).toContain('ip link del nctlpf0');
  });

  it('reads the senders whose packets arrived', () => {
    expect(reachedFrom('\n@@netctl reached-from\n203.0.113.2\n203.0.113.3\n\n@@netctl end\n')).toEqual(new Set(['203.0.113.2', '203.0.113.3']));
    expect(reachedFrom('\n@@netctl reached-from\n\n@@netctl end\n')).toEqual(new Set());
    expect(reachedFrom('')).toEqual(new Set());
  });
});
