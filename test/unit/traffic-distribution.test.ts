/**
 * Kubernetes' trafficDistribution in the service rules: PreferSameNode sends a client on a node with
 * endpoints of the port to those, and any other client to every endpoint; PreferSameZone and
 * PreferClose have no effect on nodes without zones, and validate says so.
 */
import {describe, expect, it} from '@jest/globals';
import {desiredIptables} from '../../src/desired/index.js';
import {MARK_MASQ_CHAIN, NODEPORTS_CHAIN, externalChain, serviceChain} from '../../src/desired/services.js';
import {localChain} from '../../src/desired/traffic-policy.js';
import {groupServiceChanges} from '../../src/plan/service-changes.js';
import {diff} from '../../src/plan/diff.js';
import {check, type SpecObject} from './spec-builders.js';
import {rulesOf, targets, webOnThreeNodes as cluster} from './service-rules.js';

describe('trafficDistribution PreferSameNode', () => {
  const c = cluster({trafficDistribution: 'PreferSameNode'});
  const web = c.services[0]!;
  const port = web.ports[0]!;
  const [a, b] = [localChain(web, port, 'node-a'), localChain(web, port, 'node-b')];

  it('sends cluster IP traffic from a node with endpoints (its pods\' CIDR or its address) to them, and the rest to every endpoint', () => {
    const rules = rulesOf(c, 'nat', serviceChain(web, port))!;
    expect(rules.slice(1, 5)).toEqual([
      `-s 10.244.1.0/24 -m comment --comment netctl: web/http prefer same node -j ${a}`,
      `-s 198.51.100.1/32 -m comment --comment netctl: web/http prefer same node -j ${a}`,
      `-s 10.244.2.0/24 -m comment --comment netctl: web/http prefer same node -j ${b}`,
      `-s 198.51.100.2/32 -m comment --comment netctl: web/http prefer same node -j ${b}`,
    ]);
    expect(targets(rules.slice(5))).toHaveLength(3);
    expect(rules.slice(5).every((r) => r.includes('web/http -> 10.244.'))).toBe(true);
    expect(rulesOf(c, 'nat', a)).toHaveLength(2);
    expect(rulesOf(c, 'nat', b)).toHaveLength(1);
    expect(rulesOf(c, 'nat', localChain(web, port, 'node-c'))).toBeUndefined();
  });

  it('sends node-port traffic to the endpoints of the node it arrives at, masqueraded, and the rest to every endpoint', () => {
    const rules = rulesOf(c, 'nat', NODEPORTS_CHAIN)!;
    expect(rules).toEqual([
      `-p tcp -m comment --comment netctl: web/http node port -m tcp --dport 30080 -j ${MARK_MASQ_CHAIN}`,
      `-d 198.51.100.1/32 -p tcp -m comment --comment netctl: web/http prefer same node -m tcp --dport 30080 -j ${a}`,
      `-d 198.51.100.2/32 -p tcp -m comment --comment netctl: web/http prefer same node -m tcp --dport 30080 -j ${b}`,
      `-p tcp -m comment --comment netctl: web/http node port -m tcp --dport 30080 -j ${serviceChain(web, port)}`,
    ]);
  });

  it('leaves external IPs on every endpoint: no address tells the node their traffic arrived at', () => {
    const withExternal = cluster({trafficDistribution: 'PreferSameNode', externalIPs: ['198.51.100.50']});
    const service = withExternal.services[0]!;
    expect(targets(rulesOf(withExternal, 'nat', 'NETCTL-SERVICES')!.filter((r) => r.includes('external IP')))).toEqual([MARK_MASQ_CHAIN, serviceChain(service, service.ports[0]!)]);
  });

  it('gives way to traffic policy Local, which keeps traffic on the node whatever the distribution', () => {
    const local = cluster({trafficDistribution: 'PreferSameNode', internalTrafficPolicy: 'Local', externalTrafficPolicy: 'Local'});
    const plainLocal = cluster({internalTrafficPolicy: 'Local', externalTrafficPolicy: 'Local'});
    expect(desiredIptables(local).digest).toBe(desiredIptables(plainLocal).digest);
  });

  it('prefers the node for node ports under internalTrafficPolicy Local, whose cluster IP is Local already', () => {
    const internalLocal = cluster({trafficDistribution: 'PreferSameNode', internalTrafficPolicy: 'Local'});
    const service = internalLocal.services[0]!;
    expect(targets(rulesOf(internalLocal, 'nat', NODEPORTS_CHAIN))).toEqual([MARK_MASQ_CHAIN, a, b, externalChain(service, service.ports[0]!)]);
  });

  it('makes no preference when an endpoint is no pod, as kube-proxy without a node hint on every endpoint', () => {
    const extra = cluster({trafficDistribution: 'PreferSameNode', endpoints: ['192.0.2.10']});
    const plain = cluster({endpoints: ['192.0.2.10']});
    expect(desiredIptables(extra).digest).toBe(desiredIptables(plain).digest);
  });

  it('reads in plans as a change of the service', () => {
    const created = groupServiceChanges(diff(desiredIptables(c).resources, {resources: [], foreign: new Map()}).changes).services;
    expect(created.map((s) => s.description)).toEqual([expect.stringContaining('trafficDistribution PreferSameNode')]);
    const {services, others} = groupServiceChanges(diff(desiredIptables(c).resources, {resources: desiredIptables(cluster({})).resources, foreign: new Map()}).changes);
    expect(others).toEqual([]);
    expect(services.map((s) => s.service)).toEqual(['web/http']);
  });
});

describe('trafficDistribution without effect', () => {
  it.each(['PreferSameZone', 'PreferClose'])('%s changes no rule, and validate warns that nodes have no zones', (value) => {
    expect(desiredIptables(cluster({trafficDistribution: value})).digest).toBe(desiredIptables(cluster({})).digest);
    const result = check((s: SpecObject) => Object.assign(s.spec.services[0]!, {trafficDistribution: value}));
    expect(result.diagnostics).toEqual([expect.objectContaining({severity: 'warning', code: 'traffic-distribution', message: expect.stringContaining('no zones')})]);
  });

  it.each<[Record<string, unknown>, string]>([
    [{trafficDistribution: 'PreferSameNode', clusterIP: 'None'}, 'headless'],
    [{trafficDistribution: 'PreferSameNode', endpoints: ['192.0.2.10']}, 'endpoints that are not pods'],
  ])('%j: a warning (%s)', (fields, why) => {
    const result = check((s: SpecObject) => {
      Object.assign(s.spec.services[0]!, fields);
      if (fields['clusterIP'] === 'None') delete (s.spec.services[0]!.ports as Record<string, unknown>[])[0]!.nodePort;
    });
    expect(result.diagnostics.filter((d) => d.code === 'traffic-distribution')).toEqual([expect.objectContaining({severity: 'warning', message: expect.stringContaining(why)})]);
  });

  it('refuses a value Kubernetes does not know', () => {
    const result = check((s: SpecObject) => Object.assign(s.spec.services[0]!, {trafficDistribution: 'PreferNearby'}));
    expect(result.diagnostics).toEqual([expect.objectContaining({severity: 'error', path: ['spec', 'services', 0, 'trafficDistribution']})]);
  });
});
