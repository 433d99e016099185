/** Each semantic rule with a spec that breaks it and a close spec that satisfies it. */
import {describe, expect, it} from '@jest/globals';
import {formatAddress} from '../../src/net/ipv4.js';
import {check, problems, type SpecObject} from './spec-builders.js';

type Change = (s: SpecObject) => void;
const node = (s: SpecObject, i: number) => s.spec.nodes[i]!;
const pod = (s: SpecObject, i: number) => s.spec.pods[i]!;
const service = (s: SpecObject, i: number) => s.spec.services[i]!;
const ports = (s: SpecObject, i: number) => service(s, i).ports as Record<string, unknown>[];

const rules: [rule: string, breaks: Change, expected: string, passes: Change][] = [
  ['CIDRs are network addresses',
    (s) => (s.spec.clusterCIDR = '10.244.7.0/16'), 'error cidr-host-bits: clusterCIDR 10.244.7.0/16 has host bits set; did you mean 10.244.0.0/16?',
    (s) => (s.spec.clusterCIDR = '10.244.0.0/16')],
  ['pod CIDRs are network addresses',
    (s) => (node(s, 0).podCIDR = '10.244.1.9/24'), 'did you mean 10.244.1.0/24?',
    (s) => (node(s, 0).podCIDR = '10.244.1.0/24')],
  ['clusterCIDR and serviceCIDR do not overlap',
    (s) => (s.spec.serviceCIDR = '10.244.128.0/17'), 'error cidr-overlap: serviceCIDR 10.244.128.0/17 overlaps clusterCIDR 10.244.0.0/16',
    (s) => { (s.spec.serviceCIDR = '10.245.0.0/16'); (service(s, 0).clusterIP = '10.245.0.10'); }],
  ['clusterCIDR holds no node address',
    (s) => (node(s, 1).address = '10.244.200.1'), 'node address 10.244.200.1 lies inside clusterCIDR',
    (s) => (node(s, 1).address = '10.243.200.1')],
  ['serviceCIDR holds no node address',
    (s) => (node(s, 1).address = '10.96.0.3'), 'node address 10.96.0.3 lies inside serviceCIDR',
    (s) => (node(s, 1).address = '10.97.0.3')],
  ['node pod CIDRs lie in clusterCIDR',
    (s) => (node(s, 1).podCIDR = '10.245.2.0/24'), 'podCIDR 10.245.2.0/24 is not inside clusterCIDR 10.244.0.0/16',
    (s) => (node(s, 1).podCIDR = '10.244.200.0/24')],
  ['node pod CIDRs do not overlap',
    (s) => (node(s, 1).podCIDR = '10.244.0.0/22'), 'podCIDR 10.244.0.0/22 of node node-b overlaps podCIDR 10.244.1.0/24 of node node-a',
    (s) => (node(s, 1).podCIDR = '10.244.4.0/22')],
  ['extra endpoints are addresses Kubernetes takes as endpoints: not loopback, link-local or unspecified',
    (s) => s.spec.services.push({name: 'api', endpoints: ['127.0.0.1'], ports: [{port: 80}]}), 'error endpoint: service api: endpoint 127.0.0.1 is in the loopback range, which Kubernetes refuses as an endpoint address',
    (s) => s.spec.services.push({name: 'api', endpoints: ['198.51.100.80'], ports: [{port: 80}]})],
  ['node names are unique',
    (s) => (node(s, 1).name = 'node-a'), 'error duplicate-name: node name node-a is already used by spec.nodes[0]',
    (s) => { (node(s, 1).name = 'node-c'); (pod(s, 1).node = 'node-c'); }],
  ['pod names are unique within a namespace, not across namespaces (as in Kubernetes)',
    (s) => (pod(s, 1).name = 'web-1'), 'pod name web-1 is already used in namespace default by spec.pods[0]; pod names must be unique within a namespace',
    (s) => Object.assign(pod(s, 1), {name: 'web-1', namespace: 'shop'})],
  ['service names are unique',
    (s) => s.spec.services.push({...service(s, 0), clusterIP: '10.96.0.11', ports: [{port: 81}]}), 'service name web is already used in namespace default by spec.services[0]',
    (s) => s.spec.services.push({...service(s, 0), name: 'web2', clusterIP: '10.96.0.11', ports: [{port: 81}]})],
  ['service names are unique within a namespace, not across namespaces',
    (s) => s.spec.services.push({...service(s, 0), clusterIP: '10.96.0.11', ports: [{port: 81}]}), 'service name web is already used in namespace default by spec.services[0]; service names must be unique within a namespace',
    (s) => s.spec.services.push({...service(s, 0), namespace: 'shop', clusterIP: '10.96.0.11', ports: [{port: 81}]})],
  ['namespaces are listed once',
    (s) => (s.spec.namespaces = [{name: 'shop'}, {name: 'shop', labels: {team: 'red'}}]), 'error namespace: namespace shop is already listed at spec.namespaces[0]',
    (s) => (s.spec.namespaces = [{name: 'shop'}, {name: 'bank', labels: {team: 'red'}}])],
  ['a headless service has no node port',
    (s) => (service(s, 0).clusterIP = 'None'), 'error headless: service web is headless (clusterIP: None): it has no virtual IP, so no node port',
    (s) => { service(s, 0).clusterIP = 'None'; delete ports(s, 0)[0]!.nodePort; }],
  ['sessionAffinityConfig goes with sessionAffinity ClientIP, as in Kubernetes',
    (s) => (service(s, 0).sessionAffinityConfig = {clientIP: {timeoutSeconds: 600}}), 'error affinity: service web: sessionAffinityConfig must not be set when sessionAffinity is None (as in Kubernetes)',
    (s) => { service(s, 0).sessionAffinity = 'ClientIP'; service(s, 0).sessionAffinityConfig = {clientIP: {timeoutSeconds: 600}}; }],
  ['a service has ports, unless it is headless (as in Kubernetes)',
    (s) => delete service(s, 0).ports, 'error port: service web needs at least one port: only a headless service (clusterIP: None) may have none, as in Kubernetes',
    (s) => { delete service(s, 0).ports; service(s, 0).clusterIP = 'None'; }],
  ['port names are unique in a pod',
    (s) => (pod(s, 0).ports = [{name: 'http', containerPort: 8080}, {name: 'http', containerPort: 8081}]), 'error port: port name http is already used by ports[0] of pod web-1',
    (s) => (pod(s, 0).ports = [{name: 'http', containerPort: 8080}, {name: 'metrics', containerPort: 8081}])],
  ['cluster DNS needs pods that reach their node',
    (s) => { s.spec.mode = 'underlay'; s.spec.underlay = {driver: 'macvlan'}; s.spec.dns = {}; }, 'error dns: cluster DNS is served on each node, but macvlan pods cannot reach their own node',
    (s) => { s.spec.dns = {}; }],
  ['node addresses are unique',
    (s) => (node(s, 1).address = '198.51.100.1/24'), 'error duplicate-address: address 198.51.100.1 is already used by node node-a',
    (s) => (node(s, 1).address = '198.51.100.3/24')],
  ['pods reference existing nodes',
    (s) => (pod(s, 1).node = 'node-bb'), 'error unknown-node: pod web-2 runs on node node-bb, which the spec does not define (did you mean node-b?)',
    (s) => (pod(s, 1).node = 'node-a')],
  ['pod IPs are unique',
    (s) => { (pod(s, 1).ip = '10.244.1.10'); (pod(s, 1).node = 'node-a'); }, 'pod IP 10.244.1.10 is already used by pod web-1',
    (s) => { (pod(s, 1).ip = '10.244.1.11'); (pod(s, 1).node = 'node-a'); }],
  ['pod IPs lie in their node pod CIDR',
    (s) => (pod(s, 1).ip = '10.244.1.20'), "pod IP 10.244.1.20 is outside node-b's podCIDR 10.244.2.0/24",
    (s) => (pod(s, 1).ip = '10.244.2.20')],
  ['pod IPs are not the network address',
    (s) => (pod(s, 0).ip = '10.244.1.0'), 'is the network address',
    (s) => (pod(s, 0).ip = '10.244.1.2')],
  ['pod IPs are not the gateway',
    (s) => (pod(s, 0).ip = '10.244.1.1'), 'is the gateway',
    (s) => (pod(s, 0).ip = '10.244.1.2')],
  ['pod IPs are not the broadcast address',
    (s) => (pod(s, 0).ip = '10.244.1.255'), 'is the broadcast address',
    (s) => (pod(s, 0).ip = '10.244.1.254')],
  ['cluster IPs are unique',
    (s) => s.spec.services.push({name: 'api', clusterIP: '10.96.0.10', endpoints: ['10.244.2.9'], ports: [{port: 80}]}), 'cluster IP 10.96.0.10 is already used by service web',
    (s) => s.spec.services.push({name: 'api', clusterIP: '10.96.0.12', endpoints: ['10.244.2.9'], ports: [{port: 80}]})],
  ['cluster IPs lie in serviceCIDR',
    (s) => (service(s, 0).clusterIP = '10.97.0.10'), 'cluster IP 10.97.0.10 is outside serviceCIDR 10.96.0.0/16',
    (s) => (service(s, 0).clusterIP = '10.96.255.254')],
  ['cluster IPs are not the network or broadcast address',
    (s) => (service(s, 0).clusterIP = '10.96.255.255'), 'is the broadcast address of serviceCIDR',
    (s) => (service(s, 0).clusterIP = '10.96.0.1')],
  ['services need a serviceCIDR',
    (s) => delete s.spec.serviceCIDR, 'services need spec.serviceCIDR',
    (s) => (s.spec.services = [])],
  ['ports are 1-65535',
    (s) => (ports(s, 0)[0]!.port = 65536), 'must be between 1 and 65535, got 65536',
    (s) => (ports(s, 0)[0]!.port = 65535)],
  ['nodePorts lie in nodePortRange',
    (s) => (s.spec.nodePortRange = '31000-32000'), 'nodePort 30080 is outside nodePortRange 31000-32000',
    (s) => (s.spec.nodePortRange = '30000-30080')],
  ['nodePortRange is ordered',
    (s) => (s.spec.nodePortRange = '32767-30000'), 'nodePortRange 32767-30000 must be FIRST-LAST',
    (s) => (s.spec.nodePortRange = '30000-32767')],
  ['nodePorts are unique per protocol',
    (s) => s.spec.services.push({name: 'api', endpoints: ['10.244.2.9'], ports: [{port: 80, nodePort: 30080}]}), 'TCP nodePort 30080 is already used by spec.services[0].ports[0]',
    (s) => s.spec.services.push({name: 'api', endpoints: ['10.244.2.9'], ports: [{port: 80, protocol: 'UDP', nodePort: 30080}]})],
  ['ports of a multi-port service are named',
    (s) => ports(s, 0).push({port: 443}), 'ports of a service with more than one port need a name',
    (s) => ports(s, 0).push({name: 'https', port: 443})],
  ['port names are unique in a service',
    (s) => ports(s, 0).push({name: 'http', port: 443}), 'port name http is already used by ports[0]',
    (s) => ports(s, 0).push({name: 'https', port: 443})],
  ['protocol and port are unique in a service',
    (s) => ports(s, 0).push({name: 'again', port: 80}), 'TCP port 80 is already used by ports[0]',
    (s) => ports(s, 0).push({name: 'again', protocol: 'UDP', port: 80})],
  ['vni is 1-16777215',
    (s) => (s.spec.overlay = {vni: 0}), 'must be between 1 and 16777215, got 0',
    (s) => (s.spec.overlay = {vni: 16777215})],
  ['interface names are 1-15 characters',
    (s) => (node(s, 0).interface = 'a234567890123456'), 'must be an interface name: 1-15',
    (s) => (node(s, 0).interface = 'a23456789012345')],
  ['mtu is 576-9216',
    (s) => (s.spec.mtu = 9217), 'must be between 576 and 9216, got 9217',
    (s) => (s.spec.mtu = 9216)],
  ['overlay mtu leaves room for the VXLAN header',
    (s) => (s.spec.mtu = 625), 'error mtu: mtu 625 leaves 575 for pods after the 50-byte VXLAN header; overlay needs mtu 626 or more',
    (s) => (s.spec.mtu = 626)],
  ['routing needs one layer-2 subnet',
    (s) => { (s.spec.mode = 'routing'); (node(s, 1).address = '203.0.113.2/24'); }, 'error layer2: routing mode needs every node on one layer-2 subnet',
    (s) => { (s.spec.mode = 'routing'); (node(s, 1).address = '198.51.100.200/24'); }],
  ['underlay needs one layer-2 subnet',
    (s) => { underlay(s); (node(s, 1).address = '198.51.101.2/24'); }, 'error layer2: underlay mode needs every node on one layer-2 subnet',
    (s) => underlay(s)],
  ['underlay needs the node network prefix',
    (s) => { underlay(s); (node(s, 1).address = '198.51.100.2'); }, 'underlay mode needs the prefix of the node network',
    (s) => { underlay(s); (node(s, 1).address = '198.51.100.2/24'); }],
  ['underlay pod CIDRs lie in the node subnet',
    (s) => { underlay(s); (node(s, 0).address = '198.51.100.1/25'); (node(s, 1).address = '198.51.100.2/25'); }, "node node-a's pod CIDR 198.51.100.128/28 is outside its subnet 198.51.100.0/25",
    (s) => { underlay(s); (node(s, 0).address = '198.51.100.1/24'); (node(s, 1).address = '198.51.100.2/24'); }],
  ['underlay pod CIDRs stay away from node addresses',
    (s) => { underlay(s); (node(s, 1).address = '198.51.100.130/24'); }, "contains the address 198.51.100.130 of node node-b",
    (s) => { underlay(s); (node(s, 1).address = '198.51.100.30/24'); }],
  ['clusterCIDR has room for every node',
    (s) => tooManyNodes(s, 5), 'error cidr-too-small: clusterCIDR 10.244.0.0/22 holds 4 pod CIDRs of /24, but 5 nodes need one',
    (s) => tooManyNodes(s, 4)],
  ['clusterCIDR room counts pinned pod CIDRs',
    (s) => { tooManyNodes(s, 4); (node(s, 0).podCIDR = '10.244.0.0/23'); }, '(2 left after the pinned ones), but 3 nodes need one',
    (s) => { tooManyNodes(s, 3); (node(s, 0).podCIDR = '10.244.0.0/23'); }],
  ['nodeCIDRMaskSize is not shorter than clusterCIDR',
    (s) => { (s.spec.nodeCIDRMaskSize = 15); delete node(s, 0).podCIDR; }, "nodeCIDRMaskSize 15 is shorter than clusterCIDR's /16",
    (s) => { (s.spec.nodeCIDRMaskSize = 17); delete node(s, 0).podCIDR; delete pod(s, 0).ip; }],
  ['a pod CIDR has room for its pods',
    (s) => { (node(s, 1).podCIDR = '10.244.2.0/30'); s.spec.pods.push({name: 'web-3', node: 'node-b'}); }, "node node-b's pod CIDR 10.244.2.0/30 holds 1 pod, but 2 pods run on it",
    (s) => { (node(s, 1).podCIDR = '10.244.2.0/29'); s.spec.pods.push({name: 'web-3', node: 'node-b'}); }],
  ['a pod CIDR has room for one pod at least',
    (s) => (node(s, 1).podCIDR = '10.244.2.0/31'), 'has no room for a pod',
    (s) => (node(s, 1).podCIDR = '10.244.2.0/30')],
  ['only one node is local',
    (s) => { (node(s, 0).transport = 'local'); (node(s, 1).transport = 'local'); }, 'only one node can use transport: local',
    (s) => (node(s, 0).transport = 'local')],
  ['serviceCIDR has room for every service',
    (s) => { (s.spec.serviceCIDR = '10.96.0.0/30'); addServices(s, 3); }, 'serviceCIDR 10.96.0.0/30 holds 2 cluster IPs, but the spec has 3 services',
    (s) => { (s.spec.serviceCIDR = '10.96.0.0/30'); addServices(s, 2); }],
];

function underlay(s: SpecObject): void {
  s.spec.mode = 'underlay';
  s.spec.clusterCIDR = '198.51.100.128/25';
  delete s.spec.serviceCIDR;
  node(s, 0).podCIDR = '198.51.100.128/28';
  node(s, 1).podCIDR = '198.51.100.144/28';
  s.spec.pods = [{name: 'cache-1', node: 'node-a'}];
  s.spec.services = [];
}

function tooManyNodes(s: SpecObject, count: number): void {
  s.spec.clusterCIDR = '10.244.0.0/22';
  s.spec.nodes = Array.from({length: count}, (_, i) => ({name: `n${i}`, address: `198.51.100.${i + 1}`}));
  s.spec.pods = [];
  s.spec.services = [];
}

function addServices(s: SpecObject, count: number): void {
  s.spec.services = Array.from({length: count}, (_, i) => ({name: `s${i}`, endpoints: ['10.244.1.10'], ports: [{port: 80}]}));
}

describe('semantic rules', () => {
  it('accept the base spec', () => {
    expect(problems()).toEqual([]);
  });

  describe.each(rules)('%s', (_rule, breaks, expected, passes) => {
    it('reports a spec that breaks the rule', () => {
      const found = problems(breaks);
      if (!found.some((p) => p.includes(expected))) throw new Error(`expected "${expected}" in:\n${found.join('\n')}`);
    });
    it('accepts a close spec that keeps it', () => {
      expect(problems(passes).filter((p) => p.startsWith('error'))).toEqual([]);
    });
  });

  it('warns when a selector matches no pod', () => {
    expect(problems((s) => (service(s, 0).selector = {app: 'nope'}))).toEqual(['warning selector: the selector of service web matches no pod in namespace default']);
    expect(problems()).toEqual([]);
  });

  it('takes service port names as Kubernetes does: DNS labels, longer than a pod port\'s IANA names may be', () => {
    expect(problems((s) => ((ports(s, 0)[0]!.name = 'http-metrics-endpoint')))).toEqual([]);
    expect(problems((s) => ((ports(s, 0)[0]!.name = 'Http')))).toEqual([expect.stringMatching(/^error schema: .*DNS label/)]);
  });

  it('warns that session affinity does nothing on a headless service (Kubernetes accepts it)', () => {
    expect(problems((s) => { service(s, 0).clusterIP = 'None'; delete ports(s, 0)[0]!.nodePort; service(s, 0).sessionAffinity = 'ClientIP'; }))
      .toEqual(['warning headless: service web is headless (clusterIP: None): clients reach its pods directly, so sessionAffinity has no effect']);
  });

  it('warns about a service with neither selector nor endpoints', () => {
    expect(problems((s) => delete service(s, 0).selector)).toEqual(['warning selector: service web has neither a selector nor endpoints, so nothing answers on it']);
  });

  it('takes an empty selector for no selector, as Kubernetes does: it selects no pod', () => {
    expect(problems((s) => (service(s, 0).selector = {}))).toEqual([
      'warning selector: the selector of service web is empty, which selects no pod (as in Kubernetes: a service without a selector), and it has no endpoints, so nothing answers on it',
    ]);
    const {cluster, diagnostics} = check((s) => {
      service(s, 0).selector = {};
      service(s, 0).endpoints = ['198.51.100.50'];
    });
    expect(diagnostics).toEqual([]);
    expect(cluster?.services[0]?.endpoints.map(formatAddress)).toEqual(['198.51.100.50']);
  });

  it('does not check layer 2 offline when addresses carry no prefix', () => {
    expect(problems((s) => {
      s.spec.mode = 'routing';
      node(s, 0).address = '198.51.100.1';
      node(s, 1).address = '203.0.113.2';
    })).toEqual([]);
  });

  it('locates every problem in the file', () => {
    const {diagnostics} = check((s) => (pod(s, 1).node = 'nope'));
    expect(diagnostics).toEqual([expect.objectContaining({path: ['spec', 'pods', 1, 'node'], line: expect.any(Number), column: expect.any(Number)})]);
  });

  it('resolves endpoints from selectors and extra endpoints', () => {
    const {cluster} = check((s) => (service(s, 0).endpoints = ['198.51.100.50', '10.244.1.10']));
    expect(cluster?.services[0]?.endpoints).toHaveLength(3);
  });

  it('selects pods of the service\'s own namespace only', () => {
    const {cluster} = check((s) => {
      pod(s, 1).namespace = 'shop';
      s.spec.services.push({name: 'web', namespace: 'shop', clusterIP: '10.96.0.11', selector: {app: 'web'}, ports: [{port: 80}]});
    });
    expect(cluster?.services.map((x) => [x.namespace, x.endpoints.length])).toEqual([['default', 1], ['shop', 1]]);
    expect(cluster?.namespaces).toEqual([
      {name: 'default', labels: {'kubernetes.io/metadata.name': 'default'}},
      {name: 'shop', labels: {'kubernetes.io/metadata.name': 'shop'}},
    ]);
  });

  it('gives every namespace its kubernetes.io/metadata.name label, whatever the spec says', () => {
    const {cluster} = check((s) => (s.spec.namespaces = [{name: 'shop', labels: {team: 'blue', 'kubernetes.io/metadata.name': 'other'}}]));
    expect(cluster?.namespaces[0]).toEqual({name: 'shop', labels: {team: 'blue', 'kubernetes.io/metadata.name': 'shop'}});
  });

  it('resolves a named targetPort on each pod; a pod without it is no endpoint of that port', () => {
    const {cluster, diagnostics} = check((s) => {
      pod(s, 0).ports = [{name: 'http', containerPort: 8080}];
      pod(s, 1).ports = [{name: 'http', containerPort: 9090}, {name: 'dns', containerPort: 53, protocol: 'UDP'}];
      service(s, 0).ports = [{name: 'http', port: 80, targetPort: 'http'}, {name: 'dns', port: 53, protocol: 'UDP', targetPort: 'dns'}];
    });
    expect(diagnostics).toEqual([]);
    const [http, dns] = cluster!.services[0]!.ports;
    expect(http!.endpoints.map((e) => e.port)).toEqual([8080, 9090]);
    expect(dns!.endpoints).toEqual([{ip: cluster!.pods[1]!.ip, port: 53}]);
  });

  it('warns when no selected pod declares a named targetPort (same protocol)', () => {
    expect(problems((s) => {
      pod(s, 0).ports = [{name: 'http', containerPort: 8080, protocol: 'UDP'}];
      service(s, 0).ports = [{name: 'http', port: 80, targetPort: 'http'}];
    })).toEqual(['warning port: no pod selected by service web declares a TCP port named http, so this port has no endpoints']);
  });

  it('takes the ClientIP affinity timeout from sessionAffinityConfig.clientIP.timeoutSeconds, 10800 s by default', () => {
    expect(check((s) => (service(s, 0).sessionAffinity = 'ClientIP')).cluster?.services[0]?.sessionAffinityTimeout).toBe(10800);
    expect(check((s) => {
      service(s, 0).sessionAffinity = 'ClientIP';
      service(s, 0).sessionAffinityConfig = {clientIP: {timeoutSeconds: 600}};
    }).cluster?.services[0]?.sessionAffinityTimeout).toBe(600);
    expect(problems((s) => {
      service(s, 0).sessionAffinity = 'ClientIP';
      service(s, 0).sessionAffinityConfig = {clientIP: {timeoutSeconds: 86401}};
    })).toEqual([expect.stringMatching(/^error schema: .*86400/)]);
  });

  it('gives a headless service no cluster IP', () => {
    const {cluster} = check((s) => {
      service(s, 0).clusterIP = 'None';
      delete ports(s, 0)[0]!.nodePort;
    });
    expect(cluster?.services[0]?.clusterIP).toBeUndefined();
    expect(cluster?.services[0]?.endpoints).toHaveLength(2);
  });

  it('takes a dns block with Kubernetes\' default domain', () => {
    expect(check((s) => (s.spec.dns = {})).cluster?.dns).toEqual({domain: 'cluster.local', upstream: undefined});
    expect(check((s) => (s.spec.dns = {domain: 'example.internal', upstream: ['192.0.2.53']})).cluster?.dns).toEqual({domain: 'example.internal', upstream: ['192.0.2.53']});
    expect(check().cluster?.dns).toBeUndefined();
  });

  it('merges ssh settings field by field', () => {
    const {cluster} = check((s) => {
      s.spec.ssh = {user: 'ops', port: 22};
      node(s, 1).ssh = {port: 2222};
    });
    expect(cluster?.nodes.map((n) => n.ssh)).toEqual([{user: 'ops', port: 22}, {user: 'ops', port: 2222}]);
  });

  it('derives the pod MTU from the mode', () => {
    expect(check().cluster?.podMTU).toBe(1450);
    expect(check((s) => (s.spec.mode = 'routing')).cluster?.podMTU).toBe(1500);
  });
});
