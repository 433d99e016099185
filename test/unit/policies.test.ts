/** Network policies: Kubernetes' semantics as a table, validation with locations, and the chains they become. */
import {describe, expect, it} from '@jest/globals';
import {stringify} from 'yaml';
import {applyScript} from '../../src/apply/script.js';
import {desiredIptables} from '../../src/desired/index.js';
import {formatAddress, parseAddress} from '../../src/net/ipv4.js';
import {partyOf} from '../../src/cli/party.js';
import {checkSpecText} from '../../src/spec/check.js';
import {describe as describeResource} from '../../src/plan/describe.js';
import {order} from '../../src/plan/diff.js';
import {planNode} from '../../src/plan/node-plan.js';
import {decide, type Party} from '../../src/spec/policy-semantics.js';
import type {ClusterNetwork, PolicyProtocol} from '../../src/spec/types.js';
import {emptyNode} from './observation-builders.js';

type PolicyObject = Record<string, unknown>;

function specWith(policies: PolicyObject[]) {
  return {
    apiVersion: 'netctl/v1', kind: 'ClusterNetwork', metadata: {name: 'policies'},
    spec: {
      mode: 'overlay', clusterCIDR: '10.244.0.0/16', serviceCIDR: '10.96.0.0/16',
      namespaces: [{name: 'shop', labels: {team: 'blue'}}, {name: 'jobs', labels: {team: 'blue'}}, {name: 'bank', labels: {team: 'red'}}],
      nodes: [{name: 'node-a', address: '198.51.100.1/24'}, {name: 'node-b', address: '198.51.100.2/24'}],
      pods: [
        {name: 'db', node: 'node-a', namespace: 'shop', labels: {app: 'db'}, ports: [{name: 'pg', containerPort: 5432}, {name: 'metrics', containerPort: 9187}, {name: 'stats', containerPort: 8125, protocol: 'UDP'}]},
        {name: 'client', node: 'node-b', namespace: 'shop', labels: {app: 'client'}},
        {name: 'web', node: 'node-b', namespace: 'shop', labels: {app: 'web', tier: 'front'}, ports: [{name: 'metrics', containerPort: 9100}]},
        {name: 'batch', node: 'node-b', namespace: 'jobs', labels: {app: 'batch'}},
        {name: 'teller', node: 'node-a', namespace: 'bank', labels: {app: 'batch'}},
      ],
      networkPolicies: policies,
    },
  };
}

function cluster(policies: PolicyObject[]): ClusterNetwork {
  const result = checkSpecText(stringify(specWith(policies)));
  if (result.cluster === undefined) throw new Error(result.diagnostics.map((d) => d.message).join('; '));
  return result.cluster;
}

function problems(policies: PolicyObject[]): string[] {
  return checkSpecText(stringify(specWith(policies))).diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.path.join('.')}: ${d.message}`);
}

function party(c: ClusterNetwork, name: string): Party {
  const pod = c.pods.find((p) => p.name === name);
  if (pod !== undefined) return {ip: pod.ip, pod};
  const node = c.nodes.find((n) => n.name === name);
  if (node !== undefined) return {ip: node.address, node};
  return {ip: parseAddress(name)!};
}

/** `from -> to port[/proto]` of each connection, judged. */
function judge(c: ClusterNetwork, ...connections: string[]): Record<string, boolean> {
  return Object.fromEntries(connections.map((text) => {
    const [from, , to, portText] = text.split(' ');
    const [port, protocol = 'tcp'] = portText!.split('/');
    return [text, decide(c, {from: party(c, from!), to: party(c, to!), port: Number(port), protocol: protocol.toUpperCase() as PolicyProtocol}).allowed];
  }));
}

const dbSelector = {matchLabels: {app: 'db'}};

describe('network policy semantics', () => {
  it('default policyTypes: Ingress, plus Egress when egress rules are given', () => {
    const c = cluster([
      {name: 'a', namespace: 'shop', podSelector: dbSelector},
      {name: 'b', namespace: 'shop', podSelector: dbSelector, egress: [{}]},
      {name: 'c', namespace: 'shop', podSelector: dbSelector, policyTypes: ['Egress']},
      {name: 'd', namespace: 'shop', podSelector: dbSelector, egress: []},
    ]);
    expect(c.networkPolicies.map((p) => p.policyTypes)).toEqual([['Ingress'], ['Ingress', 'Egress'], ['Egress'], ['Ingress']]);
  });

  it('leaves pods no policy selects open, and isolates a selected pod per direction', () => {
    const c = cluster([{name: 'deny-in', namespace: 'shop', podSelector: dbSelector, ingress: []}]);
    expect(judge(c, 'client -> db 5432', 'db -> client 80', 'client -> web 80')).toEqual({'client -> db 5432': false, 'db -> client 80': true, 'client -> web 80': true});
  });

  it('allows the union of every rule of every policy that selects the pod', () => {
    const c = cluster([
      {name: 'from-client', namespace: 'shop', podSelector: dbSelector, ingress: [{from: [{podSelector: {matchLabels: {app: 'client'}}}]}]},
      {name: 'from-web', namespace: 'shop', podSelector: dbSelector, ingress: [{from: [{podSelector: {matchLabels: {app: 'web'}}}], ports: [{port: 5432}]}]},
    ]);
    expect(judge(c, 'client -> db 1', 'web -> db 5432', 'web -> db 1', 'batch -> db 5432')).toEqual({'client -> db 1': true, 'web -> db 5432': true, 'web -> db 1': false, 'batch -> db 5432': false});
  });

  it('ANDs podSelector and namespaceSelector in one peer, ORs separate peers; a podSelector alone stays in the policy\'s namespace', () => {
    const and = cluster([{name: 'p', namespace: 'shop', podSelector: dbSelector, ingress: [{from: [{namespaceSelector: {matchLabels: {team: 'blue'}}, podSelector: {matchLabels: {app: 'batch'}}}]}]}]);
    expect(judge(and, 'batch -> db 1', 'teller -> db 1', 'client -> db 1')).toEqual({'batch -> db 1': true, 'teller -> db 1': false, 'client -> db 1': false});
    const or = cluster([{name: 'p', namespace: 'shop', podSelector: dbSelector, ingress: [{from: [{namespaceSelector: {matchLabels: {team: 'blue'}}}, {podSelector: {matchLabels: {app: 'batch'}}}]}]}]);
    expect(judge(or, 'batch -> db 1', 'teller -> db 1', 'client -> db 1')).toEqual({'batch -> db 1': true, 'teller -> db 1': false, 'client -> db 1': true});
  });

  it('matches matchExpressions: In, NotIn, Exists, DoesNotExist', () => {
    const c = cluster([{name: 'p', namespace: 'shop', podSelector: dbSelector, ingress: [{from: [{podSelector: {matchExpressions: [
      {key: 'app', operator: 'In', values: ['web', 'client']}, {key: 'tier', operator: 'DoesNotExist'},
    ]}}]}, {from: [{namespaceSelector: {matchExpressions: [{key: 'team', operator: 'NotIn', values: ['blue']}]}, podSelector: {matchExpressions: [{key: 'app', operator: 'Exists'}]}}]}]}]);
    expect(judge(c, 'client -> db 1', 'web -> db 1', 'batch -> db 1', 'teller -> db 1')).toEqual({'client -> db 1': true, 'web -> db 1': false, 'batch -> db 1': false, 'teller -> db 1': true});
  });

  it('trims an ipBlock by its except only: another peer can still admit the excepted addresses', () => {
    const one = cluster([{name: 'p', namespace: 'shop', podSelector: dbSelector, ingress: [{from: [{ipBlock: {cidr: '192.0.2.0/24', except: ['192.0.2.8/29']}}]}]}]);
    expect(judge(one, '192.0.2.1 -> db 1', '192.0.2.9 -> db 1', '192.0.3.1 -> db 1')).toEqual({'192.0.2.1 -> db 1': true, '192.0.2.9 -> db 1': false, '192.0.3.1 -> db 1': false});
    const two = cluster([{name: 'p', namespace: 'shop', podSelector: dbSelector, ingress: [{from: [{ipBlock: {cidr: '192.0.2.0/24', except: ['192.0.2.8/29']}}, {ipBlock: {cidr: '192.0.2.8/30'}}]}]}]);
    expect(judge(two, '192.0.2.9 -> db 1', '192.0.2.13 -> db 1')).toEqual({'192.0.2.9 -> db 1': true, '192.0.2.13 -> db 1': false});
  });

  it('takes an IPv6 ipBlock, as an IPv4-only cluster does: it matches nothing, and a rule of such peers alone admits nothing', () => {
    const dual = cluster([{name: 'p', namespace: 'shop', podSelector: dbSelector, policyTypes: ['Egress'], egress: [
      {to: [{ipBlock: {cidr: '::/0', except: ['fd00::/8']}}]},
      {to: [{ipBlock: {cidr: '198.51.100.0/24'}}, {ipBlock: {cidr: '2001:db8::/32'}}], ports: [{port: 443}]},
    ]}]);
    expect(judge(dual, 'db -> 203.0.113.9 80', 'db -> 198.51.100.9 443', 'db -> 198.51.100.9 80')).toEqual({'db -> 203.0.113.9 80': false, 'db -> 198.51.100.9 443': true, 'db -> 198.51.100.9 80': false});
    const warnings = checkSpecText(stringify(specWith([{name: 'p', namespace: 'shop', podSelector: dbSelector, ingress: [{from: [{ipBlock: {cidr: '::/0'}}]}]}]))).diagnostics;
    expect(warnings.map((d) => `${d.severity} ${d.message}`)).toEqual(["warning ipBlock ::/0 is IPv6 and matches nothing: netctl's pod network is IPv4 only (as on an IPv4-only Kubernetes cluster)"]);
    const rules = desiredIptables(dual).resources.flatMap((r) => (r.kind === 'iptables-chain' && /^NETCTL-PE-/.test(r.chain) ? r.rules.map((rule) => rule.join(' ')) : []));
    expect(rules.filter((rule) => !rule.startsWith('-m comment'))).toEqual(['-d 198.51.100.0/24 -p tcp -m tcp --dport 443 -j MARK --set-xmark 0x20000/0x20000']);
  });

  it('treats empty from and ports as everything, and endPort as an inclusive range', () => {
    const c = cluster([{name: 'p', namespace: 'shop', podSelector: dbSelector, ingress: [{ports: [{port: 8000, endPort: 8100}, {protocol: 'UDP', port: 53}]}]}]);
    expect(judge(c, 'teller -> db 8000', 'teller -> db 8100', 'teller -> db 8101', 'teller -> db 53/udp', 'teller -> db 53')).toEqual({
      'teller -> db 8000': true, 'teller -> db 8100': true, 'teller -> db 8101': false, 'teller -> db 53/udp': true, 'teller -> db 53': false,
    });
  });

  it('resolves a named port on the destination pod, with its protocol', () => {
    const ingress = cluster([{name: 'p', namespace: 'shop', podSelector: {}, ingress: [{ports: [{port: 'metrics'}, {port: 'stats'}, {protocol: 'UDP', port: 'stats'}]}]}]);
    expect(judge(ingress, 'client -> db 9187', 'client -> web 9100', 'client -> web 9187', 'client -> db 8125', 'client -> db 8125/udp')).toEqual({
      'client -> db 9187': true, 'client -> web 9100': true, 'client -> web 9187': false, 'client -> db 8125': false, 'client -> db 8125/udp': true,
    });
    const egress = cluster([{name: 'p', namespace: 'shop', podSelector: {matchLabels: {app: 'client'}}, policyTypes: ['Egress'], egress: [{ports: [{port: 'metrics'}]}]}]);
    expect(judge(egress, 'client -> db 9187', 'client -> web 9100', 'client -> web 9187', 'client -> 192.0.2.1 9187')).toEqual({
      'client -> db 9187': true, 'client -> web 9100': true, 'client -> web 9187': false, 'client -> 192.0.2.1 9187': false,
    });
  });

  it('needs both the source\'s egress and the destination\'s ingress', () => {
    const c = cluster([
      {name: 'client-out', namespace: 'shop', podSelector: {matchLabels: {app: 'client'}}, egress: [{to: [{podSelector: dbSelector}]}]},
      {name: 'db-in', namespace: 'shop', podSelector: dbSelector, ingress: [{from: [{podSelector: {matchLabels: {app: 'web'}}}]}]},
    ]);
    expect(judge(c, 'client -> db 1', 'web -> db 1', 'client -> web 1')).toEqual({'client -> db 1': false, 'web -> db 1': true, 'client -> web 1': false});
  });

  it('always lets a pod\'s own node and the pod itself in; other nodes are peers like any address', () => {
    const c = cluster([{name: 'deny', namespace: 'shop', podSelector: {}, ingress: []}]);
    expect(judge(c, 'node-a -> db 1', 'node-b -> db 1', 'db -> db 5432')).toEqual({'node-a -> db 1': true, 'node-b -> db 1': false, 'db -> db 5432': true});
  });

  it('always lets a pod reach its own node, at its address or its pod gateway, whatever egress says', () => {
    const c = cluster([{name: 'no-egress', namespace: 'shop', podSelector: {}, policyTypes: ['Egress']}]);
    expect(judge(c, 'db -> node-a 22', 'db -> node-b 22')).toEqual({'db -> node-a 22': true, 'db -> node-b 22': false});
    const gateway = (node: string) => formatAddress(c.nodes.find((n) => n.name === node)!.podCIDR.first + 1);
    const verdict = (to: string) => {
      const party = partyOf(c, to);
      if (typeof party === 'string') throw new Error(party);
      return decide(c, {from: {ip: c.pods[0]!.ip, pod: c.pods[0]!}, to: party, protocol: 'UDP', port: 53}).allowed;
    };
    expect([verdict(gateway('node-a')), verdict(gateway('node-b'))]).toEqual([true, false]);
  });

  it('says which policy and rule decided', () => {
    const c = cluster([{name: 'db-in', namespace: 'shop', podSelector: dbSelector, ingress: [{from: [{podSelector: {matchLabels: {app: 'web'}}}]}, {from: [{podSelector: {matchLabels: {app: 'client'}}}]}]}]);
    expect(decide(c, {from: party(c, 'client'), to: party(c, 'db'), port: 5432, protocol: 'TCP'}).reason).toBe('ingress of shop/db allowed by shop/db-in ingress[1]');
    expect(decide(c, {from: party(c, 'batch'), to: party(c, 'db'), port: 5432, protocol: 'TCP'}).reason).toBe('ingress of shop/db is isolated by shop/db-in and no rule of it admits this connection');
  });
});

describe('network policies written as Kubernetes manifests', () => {
  const flat = {name: 'db-in', namespace: 'shop', podSelector: dbSelector, policyTypes: ['Ingress'], ingress: [{from: [{podSelector: {matchLabels: {app: 'client'}}}], ports: [{port: 5432}]}]};
  const manifest = {
    apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy',
    // As kubectl exports it: fields the cluster set are taken and have no effect.
    metadata: {name: 'db-in', namespace: 'shop', uid: '6a1c', resourceVersion: '812', generation: 1, creationTimestamp: '2026-12-01T00:00:00Z', labels: {team: 'db'}, annotations: {owner: 'dba'}},
    spec: {podSelector: dbSelector, policyTypes: ['Ingress'], ingress: flat.ingress},
  };

  it('mean what the same policy written with its fields side by side means', () => {
    expect(cluster([manifest]).networkPolicies).toEqual(cluster([flat]).networkPolicies);
  });

  it('are located inside the manifest when wrong, and share names with the other form', () => {
    const wrong = {...manifest, spec: {...manifest.spec, ingress: [{ports: [{port: 80, endPort: 70}]}]}};
    expect(problems([wrong, flat])).toEqual([
      'spec.networkPolicies.0.spec.ingress.0.ports.0.endPort: endPort 70 is below port 80',
      'spec.networkPolicies.1.name: network policy shop/db-in is already defined at spec.networkPolicies[0]',
    ]);
    expect(problems([{...manifest, apiVersion: 'networking.k8s.io/v1beta1'}])).toEqual(['spec.networkPolicies.0.apiVersion: "networking.k8s.io/v1beta1" must be networking.k8s.io/v1']);
  });
});

describe('network policy validation', () => {
  const at = (rest: PolicyObject) => [{name: 'p', namespace: 'shop', podSelector: dbSelector, ...rest}];
  it.each([
    [{ingress: [{from: [{ipBlock: {cidr: '192.0.2.0/33'}}]}]}, 'spec.networkPolicies.0.ingress.0.from.0.ipBlock.cidr: "192.0.2.0/33" must be a CIDR like 10.244.0.0/16 (an IPv6 one such as ::/0 matches nothing: the pod network is IPv4)'],
    [{ingress: [{from: [{ipBlock: {cidr: '1::2::3/64'}}]}]}, 'spec.networkPolicies.0.ingress.0.from.0.ipBlock.cidr: 1::2::3/64 is not an IPv6 CIDR'],
    [{ingress: [{from: [{ipBlock: {cidr: 'fd00::/8', except: ['2001:db8::/32']}}]}]}, 'spec.networkPolicies.0.ingress.0.from.0.ipBlock.except.0: except 2001:db8::/32 must be an IPv6 CIDR strictly inside the ipBlock\'s cidr fd00::/8'],
    [{ingress: [{from: [{ipBlock: {cidr: '::/0', except: ['10.0.0.0/8']}}]}]}, 'spec.networkPolicies.0.ingress.0.from.0.ipBlock.except.0: except 10.0.0.0/8 must be an IPv6 CIDR strictly inside the ipBlock\'s cidr ::/0'],
    [{ingress: [{from: [{ipBlock: {cidr: '192.0.2.1/24'}}]}]}, 'spec.networkPolicies.0.ingress.0.from.0.ipBlock.cidr: 192.0.2.1/24 has host bits set; write its network address, 192.0.2.0/24'],
    [{ingress: [{from: [{ipBlock: {cidr: '192.0.2.0/24', except: ['192.0.3.0/28']}}]}]}, 'spec.networkPolicies.0.ingress.0.from.0.ipBlock.except.0: except 192.0.3.0/28 must lie strictly inside the ipBlock\'s cidr 192.0.2.0/24'],
    [{ingress: [{from: [{ipBlock: {cidr: '192.0.2.0/24', except: ['192.0.2.0/24']}}]}]}, 'spec.networkPolicies.0.ingress.0.from.0.ipBlock.except.0: except 192.0.2.0/24 must lie strictly inside the ipBlock\'s cidr 192.0.2.0/24'],
    [{ingress: [{ports: [{endPort: 90}]}]}, 'spec.networkPolicies.0.ingress.0.ports.0.endPort: endPort needs port, the first port of the range'],
    [{ingress: [{ports: [{port: 'pg', endPort: 90}]}]}, 'spec.networkPolicies.0.ingress.0.ports.0.endPort: endPort needs a numeric port, not the port name pg'],
    [{egress: [{ports: [{port: 100, endPort: 90}]}]}, 'spec.networkPolicies.0.egress.0.ports.0.endPort: endPort 90 is below port 100'],
    [{ingress: [{ports: [{protocol: 'ICMP', port: 1}]}]}, 'spec.networkPolicies.0.ingress.0.ports.0.protocol: "ICMP" must be one of TCP, UDP, SCTP (did you mean "TCP"?)'],
    [{podSelector: {matchExpressions: [{key: 'app', operator: 'In'}]}}, 'spec.networkPolicies.0.podSelector.matchExpressions.0.values: operator In needs at least one value'],
    [{podSelector: {matchExpressions: [{key: 'app', operator: 'Exists', values: ['x']}]}}, 'spec.networkPolicies.0.podSelector.matchExpressions.0.values: operator Exists takes no values'],
    [{podSelector: {matchExpressions: [{key: 'app', operator: 'Has'}]}}, 'spec.networkPolicies.0.podSelector.matchExpressions.0.operator: "Has" must be one of In, NotIn, Exists, DoesNotExist'],
    [{ingress: [{from: [{ipBlock: {cidr: '192.0.2.0/24'}, podSelector: {}}]}]}, 'spec.networkPolicies.0.ingress.0.from.0.ipBlock: a peer is either pods (podSelector, namespaceSelector) or an ipBlock, not both: list them as separate peers'],
    [{ingress: [{from: [{}]}]}, 'spec.networkPolicies.0.ingress.0.from.0: a peer needs podSelector, namespaceSelector or ipBlock'],
  ])('rejects %j', (policy, message) => {
    expect(problems(at(policy))).toEqual([message]);
  });
});

describe('named ports no destination declares', () => {
  const warnings = (policies: PolicyObject[]) => checkSpecText(stringify(specWith(policies))).diagnostics.filter((d) => d.severity === 'warning').map((d) => `${d.path.join('.')}: ${d.message}`);

  it('are warned of: the port admits nothing, as in Kubernetes', () => {
    expect(warnings([{name: 'p', namespace: 'shop', podSelector: dbSelector, ingress: [{ports: [{port: 'pg'}, {port: 'postgres'}, {port: 'pg', protocol: 'UDP'}]}]}])).toEqual([
      'spec.networkPolicies.0.ingress.0.ports.1.port: policy shop/p: no pod selected by the policy declares a TCP port named postgres, so this port admits nothing (as in Kubernetes)',
      'spec.networkPolicies.0.ingress.0.ports.2.port: policy shop/p: no pod selected by the policy declares a UDP port named pg, so this port admits nothing (as in Kubernetes)',
    ]);
    // Egress: the name resolves on the pods the rule's peers cover (web declares metrics, client does not).
    expect(warnings([{name: 'e', namespace: 'shop', podSelector: {}, policyTypes: ['Egress'], egress: [
      {to: [{podSelector: {matchLabels: {app: 'web'}}}], ports: [{port: 'metrics'}]},
      {to: [{podSelector: {matchLabels: {app: 'client'}}}], ports: [{port: 'metrics'}]},
    ]}])).toEqual([
      'spec.networkPolicies.0.egress.1.ports.0.port: policy shop/e: no pod this rule reaches declares a TCP port named metrics, so this port admits nothing (as in Kubernetes)',
    ]);
  });
});

describe('network policy chains', () => {
  const base = [
    {name: 'db-in', namespace: 'shop', podSelector: dbSelector, ingress: [{from: [{podSelector: {matchLabels: {app: 'client'}}}], ports: [{port: 5432}]}]},
    {name: 'web-in', namespace: 'shop', podSelector: {matchLabels: {app: 'web'}}, ingress: [{from: [{podSelector: {}}]}]},
  ];
  const chains = (c: ClusterNetwork) => new Map(desiredIptables(c).resources.flatMap((r) => (r.kind === 'iptables-chain' ? [[r.chain, JSON.stringify(r.rules)] as const] : [])));
  const changed = (a: ClusterNetwork, b: ClusterNetwork) => {
    const before = chains(a);
    const after = chains(b);
    return [...new Set([...before.keys(), ...after.keys()])].filter((k) => before.get(k) !== after.get(k)).map((k) => k.replace(/[0-9A-F]{16}$/, '*')).sort();
  };

  it('are shared per policy: a change of one policy rewrites that policy\'s chain only', () => {
    const edited: PolicyObject[] = structuredClone(base);
    edited[0] = {...base[0], ingress: [{from: base[0]!.ingress[0]!.from, ports: [{port: 5433}]}]};
    expect(changed(cluster(base), cluster(edited))).toEqual(['NETCTL-PI-*']);
  });

  it('give a newly selected pod its own chain and a jump; other policies\' chains stay', () => {
    const withPod = (c: ReturnType<typeof specWith>) => {
      c.spec.pods.push({name: 'web-2', node: 'node-a', namespace: 'shop', labels: {app: 'web'}});
      return checkSpecText(stringify(c)).cluster!;
    };
    // web-2 is selected by web-in, and is one of its peers (every pod of shop): its ingress chain comes,
    // web-in's chain gains a peer, the dispatch a jump; db-in's chain stays.
    expect(changed(cluster(base), withPod(specWith(base)))).toEqual(['NETCTL-ING-*', 'NETCTL-PI-*', 'NETCTL-POLICY']);
  });

  it('refuse with a TCP reset, except a connection a service rewrote over the bridge: an ICMP error, which the kernel translates back', () => {
    const rejects = (c: ClusterNetwork) => desiredIptables(c).resources.flatMap((r) => (r.kind === 'iptables-chain' && r.chain.startsWith('NETCTL-ING-') ? r.rules.filter((rule) => rule.includes('REJECT')).map((rule) => rule.join(' ')) : []));
    expect(rejects(cluster(base))[0]).toContain('-p tcp -m conntrack ! --ctstate DNAT -m comment');
    expect(rejects(cluster(base))[0]).toMatch(/-j REJECT --reject-with tcp-reset$/);
    expect(rejects(cluster(base))[1]).toMatch(/-j REJECT --reject-with icmp-port-unreachable$/);
    // Routed underlay pods have no bridge: the kernel undoes the DNAT on their resets.
    const underlay = specWith(base);
    Object.assign(underlay.spec, {mode: 'underlay', clusterCIDR: '198.51.100.128/25'});
    underlay.spec.nodes = [{name: 'node-a', address: '198.51.100.1/24', podCIDR: '198.51.100.128/27'} as never, {name: 'node-b', address: '198.51.100.2/24', podCIDR: '198.51.100.160/27'} as never];
    const routed = checkSpecText(stringify(underlay));
    expect(routed.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(rejects(routed.cluster!)[0]).not.toContain('DNAT');
  });

  it('match an ipBlock of 0.0.0.0/0 with no address at all, as iptables prints such a rule back', () => {
    const anywhere = cluster([
      {name: 'out', namespace: 'shop', podSelector: dbSelector, policyTypes: ['Egress'], egress: [{to: [{ipBlock: {cidr: '0.0.0.0/0', except: ['10.244.0.0/16']}}]}]},
      {name: 'in', namespace: 'shop', podSelector: dbSelector, ingress: [{from: [{ipBlock: {cidr: '0.0.0.0/0'}}], ports: [{port: 5432}]}]},
    ]);
    const rules = desiredIptables(anywhere).resources.flatMap((r) => (r.kind === 'iptables-chain' && /^NETCTL-(PI|PE|PB)-/.test(r.chain) ? r.rules.map((rule) => rule.join(' ')) : []));
    expect(rules.filter((rule) => !rule.startsWith('-m comment'))).toEqual([
      expect.stringMatching(/^-j NETCTL-PB-[0-9A-F]{16}$/),
      '-d 10.244.0.0/16 -j RETURN',
      '-j MARK --set-xmark 0x20000/0x20000',
      '-p tcp -m tcp --dport 5432 -j MARK --set-xmark 0x20000/0x20000',
    ]);
  });

  it('leave nothing behind once the last policy goes', () => {
    const policyChains = /^NETCTL-(POLICY|PI-|PE-|PB-|PR-|ING-|EGR-)/;
    expect(desiredIptables(cluster(base)).resources.filter((r) => policyChains.test(r.chain))).not.toEqual([]);
    expect(desiredIptables(cluster([])).resources.filter((r) => policyChains.test(r.chain) || (r.kind === 'iptables-chain' && r.rules.some((rule) => rule.includes('NETCTL-POLICY'))))).toEqual([]);
  });
});

describe('network policies on a node', () => {
  const c = cluster([{name: 'db-in', namespace: 'shop', podSelector: dbSelector, ingress: [{from: [{podSelector: {matchLabels: {app: 'client'}}}], ports: [{port: 5432}, {port: 'metrics'}]}]}]);
  const nodeA = c.nodes[0]!;

  it('are planned in policy words, not iptables text', () => {
    const plan = planNode(c, nodeA, emptyNode('198.51.100.1'), 'apply');
    const lines = plan.changes.map((change) => describeResource((change.after ?? change.before)!));
    expect(lines).toContain('policy shop/db-in ingress: allow shop/app=client -> app=db TCP 5432, TCP metrics');
    expect(lines).toContain('isolated ingress of shop/db by shop/db-in');
    expect(lines.filter((l) => /chain NETCTL-(PI|PE|ING|EGR)-/.test(l))).toEqual([]);
  });

  it('exist before a new pod\'s link joins the bridge: iptables first in the apply script', () => {
    const script = applyScript(order(planNode(c, nodeA, emptyNode('198.51.100.1'), 'apply').changes.toArray()));
    expect(script.indexOf('iptables-restore')).toBeGreaterThan(0);
    expect(script.indexOf('iptables-restore')).toBeLessThan(script.indexOf('master'));
  });

  it('need br_netfilter: a node that cannot load it cannot be planned, and says how to fix it', () => {
    const plan = planNode(c, nodeA, {...emptyNode('198.51.100.1'), brNetfilter: 'missing'}, 'apply');
    expect(plan.changes.toArray()).toEqual([]);
    expect(plan.errors[0]).toMatch(/^the br_netfilter kernel module is not loaded and modprobe cannot load it/);
    expect(planNode(c, nodeA, {...emptyNode('198.51.100.1'), brNetfilter: 'loadable'}, 'apply').errors).toEqual([]);
  });
});
