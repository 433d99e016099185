import {describe, expect, it} from '@jest/globals';
import {cidrContaining, formatAddress, formatCidr, parseAddress, parseCidr, type Cidr} from '../../src/net/ipv4.js';
import {allocateAddresses, allocatePodCIDRs} from '../../src/spec/allocate.js';
import {check} from './spec-builders.js';

const cidr = (text: string): Cidr => {
  const parsed = parseCidr(text);
  if (!parsed.ok) throw new Error(text);
  return parsed.cidr;
};
const names = (n: number, prefix = 'node') => Array.from({length: n}, (_, i) => `${prefix}-${i}`);

function podCIDRsByName(list: string[], pinned: Cidr[] = []): Map<string, string> {
  const {cidrs} = allocatePodCIDRs(cidr('10.244.0.0/16'), 24, pinned, list);
  return new Map(list.map((name, i) => [name, formatCidr(cidrs[i]!)]));
}

describe('allocation', () => {
  it('is deterministic', () => {
    expect(podCIDRsByName(names(50))).toEqual(podCIDRsByName(names(50)));
  });

  it('hands out distinct pod CIDRs inside the cluster CIDR', () => {
    const all = [...podCIDRsByName(names(256)).values()];
    expect(new Set(all).size).toBe(256);
    expect(all.every((c) => c.startsWith('10.244.') && c.endsWith('/24'))).toBe(true);
  });

  it('never moves an existing node when one is added at the end', () => {
    const before = podCIDRsByName(names(100));
    const after = podCIDRsByName([...names(100), 'newcomer']);
    for (const [name, value] of before) expect(after.get(name)).toBe(value);
  });

  it('moves no node that did not collide with a removed or inserted one', () => {
    const list = names(30);
    const before = podCIDRsByName(list);
    const removed = list[7]!;
    const after = podCIDRsByName(list.filter((n) => n !== removed));
    const moved = [...after].filter(([name, value]) => before.get(name) !== value);
    // With 256 slots and 30 names a collision with the removed node is possible but rare; any move
    // must be a node that had been pushed off its preferred slot.
    expect(moved.length).toBeLessThanOrEqual(1);
    const inserted = podCIDRsByName(['first', ...list]);
    expect([...before].filter(([name, value]) => inserted.get(name) !== value).length).toBeLessThanOrEqual(1);
  });

  it('does not depend on the order of items except among colliding ones', () => {
    const list = names(20);
    const forward = podCIDRsByName(list);
    const backward = podCIDRsByName([...list].reverse());
    const differing = [...forward].filter(([name, value]) => backward.get(name) !== value);
    expect(differing.length).toBeLessThanOrEqual(2);
  });

  it('keeps clear of pinned pod CIDRs', () => {
    const pinned = [cidr('10.244.0.0/17')];
    const all = [...podCIDRsByName(names(100), pinned).values()];
    expect(all.every((c) => Number(c.split('.')[2]) >= 128)).toBe(true);
  });

  it('skips reserved and pinned addresses', () => {
    const range = cidr('10.244.1.0/29');
    const {addresses, usable} = allocateAddresses('pod', range, 2, 1, [cidr('10.244.1.3/32').first], names(4, 'pod'));
    expect(usable).toBe(5);
    const texts = addresses.map((a) => formatAddress(a!)).sort();
    expect(texts).toEqual(['10.244.1.2', '10.244.1.4', '10.244.1.5', '10.244.1.6']);
  });

  it('reports exhaustion as undefined', () => {
    const {addresses} = allocateAddresses('pod', cidr('10.244.1.0/30'), 2, 1, [], names(2, 'pod'));
    expect(addresses.filter((a) => a === undefined)).toHaveLength(1);
  });

  it('gives a pod the same IP whatever other pods come and go on its node', () => {
    const ipOf = (extra: number) => check((s) => {
      s.spec.pods = [{name: 'stable', node: 'node-a'}, ...names(extra, 'pod').map((name) => ({name, node: 'node-a'}))];
      s.spec.services = [];
    }).cluster?.pods.find((p) => p.name === 'stable')?.ip;
    expect(ipOf(0)).toBeDefined();
    expect(ipOf(0)).toBe(ipOf(3));
  });
});

describe('ipv4', () => {
  it('names the network meant when host bits are set', () => {
    expect(parseCidr('10.244.1.5/24')).toEqual({ok: false, reason: 'host-bits', network: '10.244.1.0/24'});
  });

  it('rejects what is not an IPv4 CIDR', () => {
    for (const bad of ['10.244.1.0', '10.244.1.0/33', '300.1.1.0/24', 'fd00::/64', ' 10.0.0.0/8']) {
      expect(parseCidr(bad)).toEqual({ok: false, reason: 'invalid'});
    }
  });

  it('reads dotted quads, and nothing that tools could read otherwise', () => {
    expect(['0.0.0.0', '10.244.1.10', '255.255.255.255'].map(parseAddress)).toEqual([0, 183763210, 4294967295]);
    for (const bad of ['01.2.3.4', '1.2.3', '1.2.3.4.5', '256.1.1.1', 'a.b.c.d', ' 1.2.3.4', '1.2.3.4/32']) expect(parseAddress(bad)).toBeUndefined();
  });

  it('parses a network address', () => {
    const parsed = parseCidr('10.244.0.0/16');
    expect(parsed.ok && formatCidr(parsed.cidr)).toBe('10.244.0.0/16');
  });

  it('finds the network of a prefix around an address, as the library parses it', () => {
    for (const [address, prefix] of [['198.51.100.7', 24], ['10.244.1.5', 16], ['255.255.255.255', 1], ['0.0.0.0', 0], ['203.0.113.9', 32], ['172.16.31.200', 20]] as const) {
      const expected = parseCidr(`${address}/${prefix}`);
      const network = expected.ok || expected.reason !== 'host-bits' ? expected : parseCidr(expected.network);
      expect(cidrContaining(parseAddress(address)!, prefix)).toEqual(network.ok && network.cidr);
    }
    expect(() => cidrContaining(0, 33)).toThrow('cannot form a /33 around 0.0.0.0');
  });
});
