/**
 * Kubernetes' traffic policies in the service rules: Local sends cluster IP traffic to the endpoints
 * of the node it comes from, and node-port traffic from outside to those of the node it arrives at,
 * with rules that are the same on every node.
 */
import {describe, expect, it} from '@jest/globals';
import {desiredIptables} from '../../src/desired/index.js';
import {MARK_MASQ_CHAIN, NODEPORTS_CHAIN, REJECT_CHAIN, externalChain, serviceChain} from '../../src/desired/services.js';
import {localChain} from '../../src/desired/traffic-policy.js';
import {groupServiceChanges} from '../../src/plan/service-changes.js';
import {diff} from '../../src/plan/diff.js';
import {check, type SpecObject} from './spec-builders.js';
import {rulesOf, targets, webOnThreeNodes as cluster} from './service-rules.js';

describe('internalTrafficPolicy Local', () => {
  const c = cluster({internalTrafficPolicy: 'Local'});
  const web = c.services[0]!;
  const port = web.ports[0]!;
  const [a, b] = [localChain(web, port, 'node-a'), localChain(web, port, 'node-b')];

  it('sends cluster IP traffic by the node it comes from (its pods\' CIDR or its address) to that node\'s endpoints', () => {
    const rules = rulesOf(c, 'nat', serviceChain(web, port))!;
    expect(rules.slice(1)).toEqual([
      `-s 10.244.1.0/24 -m comment --comment netctl: web/http cluster IP -j ${a}`,
      `-s 198.51.100.1/32 -m comment --comment netctl: web/http cluster IP -j ${a}`,
      `-s 10.244.2.0/24 -m comment --comment netctl: web/http cluster IP -j ${b}`,
      `-s 198.51.100.2/32 -m comment --comment netctl: web/http cluster IP -j ${b}`,
    ]);
    expect(rules[0]).toContain(`-j ${MARK_MASQ_CHAIN}`);
    expect(rulesOf(c, 'nat', a)).toHaveLength(2);
    expect(rulesOf(c, 'nat', a)!.map((r) => r.includes('--probability 0.5'))).toEqual([true, false]);
    expect(rulesOf(c, 'nat', b)).toHaveLength(1);
    expect(rulesOf(c, 'nat', localChain(web, port, 'node-c'))).toBeUndefined();
  });

  it('drops what no endpoint of its node took, as kube-proxy does', () => {
    expect(rulesOf(c, 'filter', REJECT_CHAIN)).toEqual(['-d 10.96.0.10/32 -p tcp -m comment --comment netctl: web/http has no local endpoints -m tcp --dport 80 -j DROP']);
  });

  it('leaves node ports from outside on every endpoint, through a chain of their own', () => {
    const ext = externalChain(web, port);
    expect(targets(rulesOf(c, 'nat', NODEPORTS_CHAIN))).toEqual([MARK_MASQ_CHAIN, ext]);
    expect(rulesOf(c, 'nat', ext)).toHaveLength(3);
  });

  it('leaves external IPs on every endpoint too, through that chain, even without a node port', () => {
    const noNodePort = cluster({internalTrafficPolicy: 'Local'});
    const plain = check((s: SpecObject) => {
      Object.assign(s.spec.services[0]!, {internalTrafficPolicy: 'Local', externalIPs: ['198.51.100.50']});
      delete (s.spec.services[0]!.ports as Record<string, unknown>[])[0]!.nodePort;
    }).cluster!;
    expect(rulesOf(noNodePort, 'nat', externalChain(web, port))).toBeDefined();
    const ext = externalChain(plain.services[0]!, plain.services[0]!.ports[0]!);
    expect(targets(rulesOf(plain, 'nat', 'NETCTL-SERVICES')!.filter((r) => r.includes('external IP')))).toEqual([MARK_MASQ_CHAIN, ext]);
    expect(rulesOf(plain, 'nat', ext)).toHaveLength(2);
  });

  it('reads in plans as changes of the service', () => {
    const before = cluster({});
    const {changes} = diff(desiredIptables(c).resources, {resources: desiredIptables(before).resources, foreign: new Map()});
    const {services, others} = groupServiceChanges(changes);
    expect(others).toEqual([]);
    expect(services.map((s) => s.service)).toEqual(['web/http']);
    const created = groupServiceChanges(diff(desiredIptables(cluster({internalTrafficPolicy: 'Local', externalTrafficPolicy: 'Local'})).resources, {resources: [], foreign: new Map()}).changes).services;
    expect(created.map((s) => s.description)).toEqual([expect.stringContaining('internalTrafficPolicy Local, externalTrafficPolicy Local')]);
  });
});

describe('externalTrafficPolicy Local', () => {
  const c = cluster({externalTrafficPolicy: 'Local'});
  const web = c.services[0]!;
  const port = web.ports[0]!;
  const svc = serviceChain(web, port);

  it('sends node-port traffic from outside to the endpoints of the node it arrives at, without masquerade', () => {
    const rules = rulesOf(c, 'nat', NODEPORTS_CHAIN)!;
    const outside = rules.filter((r) => r.startsWith('-d '));
    expect(outside).toEqual([
      `-d 198.51.100.1/32 -p tcp -m comment --comment netctl: web/http node port -m tcp --dport 30080 -j ${localChain(web, port, 'node-a')}`,
      `-d 198.51.100.2/32 -p tcp -m comment --comment netctl: web/http node port -m tcp --dport 30080 -j ${localChain(web, port, 'node-b')}`,
    ]);
    // Masquerade only for the node's own traffic, which goes on as to the cluster IP.
    expect(rules.filter((r) => r.endsWith(`-j ${MARK_MASQ_CHAIN}`))).toEqual([expect.stringContaining('--src-type LOCAL')]);
    expect(targets(rules.slice(0, 5))).toEqual([svc, 'RETURN', MARK_MASQ_CHAIN, svc, 'RETURN']);
    expect(rules[0]).toMatch(/^-s 10\.244\.0\.0\/16 /);
  });

  it('drops node-port traffic that no endpoint of its node took; cluster IP traffic still goes to every endpoint', () => {
    expect(rulesOf(c, 'filter', REJECT_CHAIN)).toEqual(['! -d 127.0.0.0/8 -p tcp -m comment --comment netctl: web/http has no local endpoints -m addrtype --dst-type LOCAL -m tcp --dport 30080 -j DROP']);
    expect(rulesOf(c, 'nat', svc)).toHaveLength(4);
  });
});

it('Cluster policies keep the rules as they were', () => {
  const plain = desiredIptables(cluster({})).digest;
  expect(desiredIptables(cluster({internalTrafficPolicy: 'Cluster', externalTrafficPolicy: 'Cluster'})).digest).toBe(plain);
});
