/** A node's diff with its host routes and iptables objects taken as units behind digests. */
import {describe, expect, it} from '@jest/globals';
import {desiredResources, desiredState} from '../../src/desired/index.js';
import {ChangeList} from '../../src/plan/change-list.js';
import type {Change} from '../../src/plan/diff.js';
import {planNode} from '../../src/plan/node-plan.js';
import {hostRoutes} from '../../src/resources/host-routes.js';
import type {Resource} from '../../src/resources/model.js';
import {check} from './spec-builders.js';
import {emptyNode, nodeHolding} from './observation-builders.js';

const cluster = check((s) => {
  s.spec.nodes.push({name: 'node-c', address: '198.51.100.3/24', podCIDR: '10.244.3.0/24'});
}).cluster!;
const [nodeA, nodeB] = cluster.nodes;
const desiredOf = (node = nodeA!) => desiredResources(desiredState({cluster, node, facts: {uplink: 'eth0', nameservers: ['192.0.2.53']}}));
const holding = (resources: readonly Resource[]) => nodeHolding('198.51.100.1', resources);

describe('diffNode', () => {
  it("gives a node's peer routes the digest of summing them one by one", () => {
    for (const node of cluster.nodes) {
      const unit = desiredState({cluster, node, facts: {uplink: 'eth0', nameservers: ['192.0.2.53']}}).hostRoutes;
      expect(unit.resources).toHaveLength(3 * (cluster.nodes.length - 1));
      expect(unit.digest).toBe(hostRoutes([...unit.resources].reverse()).digest);
    }
  });

  it('plans nothing for a node that holds its desired state', () => {
    expect(planNode(cluster, nodeA!, holding(desiredOf()), 'apply').changes.toArray()).toEqual([]);
  });

  it('finds one drifted route among the peers, and nothing else', () => {
    const drifted = desiredOf().map((r) => (r.kind === 'route' && r.dst === '10.244.2.0/24' ? {...r, via: '10.244.9.9'} : r));
    const {changes} = planNode(cluster, nodeA!, holding(drifted), 'apply');
    expect(changes.map((c) => `${c.action} ${c.key}: ${c.reason}`)).toEqual(['update route 10.244.2.0/24: via "10.244.9.9" → "10.244.2.0"']);
  });

  it('deletes the entries of a node that left the spec', () => {
    const wider = check((s) => {
      s.spec.nodes.push({name: 'node-c', address: '198.51.100.3/24', podCIDR: '10.244.3.0/24'}, {name: 'node-d', address: '198.51.100.4/24', podCIDR: '10.244.4.0/24'});
    }).cluster!;
    const before = desiredResources(desiredState({cluster: wider, node: wider.nodes[0]!, facts: {uplink: 'eth0', nameservers: ['192.0.2.53']}}));
    const {changes} = planNode(cluster, nodeA!, holding(before), 'apply');
    expect(changes.map((c) => `${c.action} ${c.kind}`)).toEqual(['delete fdb', 'delete neighbour', 'delete route']);
  });

  it('reports a foreign route in the way on a node that holds nothing yet', () => {
    const observed = {...emptyNode('198.51.100.1'), foreign: new Map([['route 10.244.2.0/24', 'route 10.244.2.0/24 via 198.51.100.9 dev eth0 proto boot']])};
    const plan = planNode(cluster, nodeA!, observed, 'apply');
    expect(plan.errors).toEqual([expect.stringContaining('route 10.244.2.0/24 via 198.51.100.9 dev eth0 proto boot is in the way of route 10.244.2.0/24')]);
    expect(plan.changes.map((c) => c.key)).not.toContain('route 10.244.2.0/24');
  });

  it('shares the iptables changes between nodes that hold the same', () => {
    const a = planNode(cluster, nodeA!, emptyNode('198.51.100.1'), 'apply').changes.filter((c) => c.kind === 'iptables-chain');
    const b = planNode(cluster, nodeB!, emptyNode('198.51.100.2'), 'apply').changes.filter((c) => c.kind === 'iptables-chain');
    expect(a.length).toBeGreaterThan(0);
    expect(b).toEqual(a);
    expect(b[0]).toBe(a[0]);
  });

  it("gives nodes from empty their peers' entries, each node all but its own, as the same change objects", () => {
    const plans = cluster.nodes.map((node, i) => planNode(cluster, node, emptyNode(`198.51.100.${i + 1}`), 'apply'));
    const routes = plans.map((plan) => plan.changes.filter((c) => c.kind === 'route' && c.key.startsWith('route 10.244.')));
    expect(routes.map((list) => list.map((c) => c.key))).toEqual([
      ['route 10.244.2.0/24', 'route 10.244.3.0/24'],
      ['route 10.244.1.0/24', 'route 10.244.3.0/24'],
      ['route 10.244.1.0/24', 'route 10.244.2.0/24'],
    ]);
    expect(routes[1]![1]).toBe(routes[0]![1]);
    const kinds = plans[1]!.changes.filter((c) => ['route', 'neighbour', 'fdb'].includes(c.kind) && c.after?.ns === '' && c.key.includes('10.244.')).map((c) => c.kind);
    expect(kinds).toEqual([...kinds].sort((a, b) => ['route', 'neighbour', 'fdb'].indexOf(a) - ['route', 'neighbour', 'fdb'].indexOf(b)));
  });
});

describe('ChangeList', () => {
  const change = (key: string): Change => ({action: 'create', key, kind: 'netns', after: {kind: 'netns', ns: '', name: key}, reason: 'missing on the node'});
  const [a, b, c, d] = ['a', 'b', 'c', 'd'].map(change);

  it('is its parts one after the other, runs cut where they say, without copying them', () => {
    const shared = [a!, b!, c!];
    const list = ChangeList.join([[d!], {items: shared, start: 0, end: 1}, ChangeList.of([]), {items: shared, start: 2, end: 3}]);
    expect(list.length).toBe(3);
    expect([...list].map((x) => x.key)).toEqual(['d', 'a', 'c']);
    expect(list.toArray()[1]).toBe(a);
    expect(JSON.parse(JSON.stringify({changes: list}))).toEqual({changes: [d, a, c]});
    expect(list.some((x) => x.key === 'b')).toBe(false);
    expect(ChangeList.EMPTY.length).toBe(0);
    expect([...ChangeList.EMPTY]).toEqual([]);
  });
});
