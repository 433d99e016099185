/** Many new (or dropped) chains are created (or removed) by restores of their own, around the main one. */
import {describe, expect, it} from '@jest/globals';
import {CHAINS_PER_RESTORE, chainRestores} from '../../src/apply/chain-restores.js';
import {applyScript} from '../../src/apply/script.js';
import type {Change} from '../../src/plan/diff.js';
import type {IptablesChain, IptablesRule} from '../../src/resources/model.js';

const chain = (name: string, rules: string[][] = [], table: 'filter' | 'nat' = 'nat'): IptablesChain => ({kind: 'iptables-chain', ns: '', table, chain: name, rules});
const create = (c: IptablesChain | IptablesRule): Change => ({action: 'create', key: `${c.kind} ${c.chain}`, kind: c.kind, after: c, reason: 'missing on the node'});
const remove = (c: IptablesChain | IptablesRule): Change => ({action: 'delete', key: `${c.kind} ${c.chain}`, kind: c.kind, before: c, reason: 'not in the spec'});
const update = (c: IptablesChain): Change => ({action: 'update', key: `${c.kind} ${c.chain}`, kind: c.kind, before: chain(c.chain, [], c.table), after: c, reason: 'rules differ'});
/** A service chain jumping to its endpoint chains, as netctl writes them. */
function service(i: number): IptablesChain[] {
  const endpoints = [0, 1].map((e) => chain(`NETCTL-SEP-${i}-${e}`, [['-p', 'tcp', '-j', 'DNAT', '--to-destination', `10.244.0.${e + 1}:80`]]));
  return [chain(`NETCTL-SVC-${i}`, endpoints.map((e) => ['-j', e.chain])), ...endpoints];
}

/** 800 services' chains, the dispatch chain jumping to them, its jump from PREROUTING, and a chain that stays. */
function manyServices() {
  const chains = Array.from({length: 800}, (_, i) => service(i)).flat();
  const dispatch = chain('NETCTL-SERVICES', chains.filter((c) => c.chain.startsWith('NETCTL-SVC-')).map((c) => ['-j', c.chain]));
  const jump: IptablesRule = {kind: 'iptables-rule', ns: '', table: 'nat', chain: 'PREROUTING', rule: ['-j', 'NETCTL-SERVICES']};
  return {chains, dispatch, jump, changed: chain('NETCTL-FORWARD', [['-j', 'ACCEPT']], 'filter')};
}

describe('many new or dropped chains in restores of their own', () => {
  it('leave fewer new chains than the limit in the main restore', () => {
    const changes = Array.from({length: 300}, (_, i) => service(i)).flat().map(create);
    expect(changes.length).toBeLessThan(CHAINS_PER_RESTORE);
    expect(chainRestores(changes)).toEqual({created: [], rest: changes, dropped: []});
  });

  it('create every new chain once, after the new chains it jumps to, in groups of at most the limit', () => {
    const {chains, dispatch, jump, changed} = manyServices();
    const changes = [...chains.map(create), create(dispatch), create(jump), update(changed)];
    const {created: groups, rest, dropped} = chainRestores(changes);
    expect(groups.map((g) => g.length)).toEqual([1000, 1000, 401]);
    const position = new Map(groups.flat().map((c, i) => [c.chain, i]));
    expect(position.size).toBe(chains.length + 1);
    for (const c of [...chains, dispatch]) {
      for (const rule of c.rules) expect(position.get(c.chain)).toBeGreaterThan(position.get(rule[rule.indexOf('-j') + 1]!) ?? -1);
    }
    // What traffic reaches changes in the last restore: jumps from built-in chains, chains that exist.
    expect(rest).toEqual([create(jump), update(changed)]);
    expect(dropped).toEqual([]);
  });

  it('leave chains that jump to each other in a loop in the main restore', () => {
    const loop = [chain('NETCTL-A', [['-j', 'NETCTL-B']]), chain('NETCTL-B', [['-j', 'NETCTL-A']])];
    const changes = [...loop, ...Array.from({length: CHAINS_PER_RESTORE}, (_, i) => chain(`NETCTL-X-${i}`))].map(create);
    expect(chainRestores(changes).created).toEqual([]);
  });

  it('make the apply script run a restore per group of new chains before the main one', () => {
    const chains = Array.from({length: 400}, (_, i) => service(i)).flat();
    const script = applyScript([...chains.map(create), create({kind: 'iptables-rule', ns: '', table: 'nat', chain: 'PREROUTING', rule: ['-j', 'NETCTL-SVC-0']})]);
    expect(script.match(/^iptables-restore -w 5 --noflush <<'NETCTL_EOF'$/gm)).toHaveLength(3);
    expect(script.match(/^:NETCTL-/gm)).toHaveLength(chains.length);
    expect(script).toContain("iptables-restore -w 5 --noflush <<'NETCTL_EOF'\n*nat\n-I PREROUTING 1 -j NETCTL-SVC-0\nCOMMIT\nNETCTL_EOF");
  });

  it('remove every dropped chain once, after the main restore, before the dropped chains it jumps to', () => {
    const {chains, dispatch, jump, changed} = manyServices();
    const changes = [...chains.map(remove), remove(dispatch), remove(jump), update(changed)];
    const {created, rest, dropped} = chainRestores(changes);
    expect(created).toEqual([]);
    expect(dropped.map((g) => g.length)).toEqual([401, 1000, 1000]);
    const group = new Map(dropped.flatMap((g, i) => g.map((c) => [c.chain, i] as const)));
    expect(group.size).toBe(chains.length + 1);
    // A chain still jumped to cannot be deleted: every referrer goes in an earlier group or the same one.
    for (const c of [...chains, dispatch]) {
      for (const rule of c.rules) expect(group.get(c.chain)).toBeLessThanOrEqual(group.get(rule[rule.indexOf('-j') + 1]!) ?? Infinity);
    }
    expect(group.get('NETCTL-SERVICES')).toBe(0);
    // The jump from the built-in chain goes in the main restore, before any dropped chain is removed.
    expect(rest).toEqual([remove(jump), update(changed)]);
  });

  it('leave fewer dropped chains than the limit, or a loop of them, in the main restore', () => {
    const few = Array.from({length: 300}, (_, i) => service(i)).flat().map(remove);
    expect(chainRestores(few)).toEqual({created: [], rest: few, dropped: []});
    const loop = [chain('NETCTL-A', [['-j', 'NETCTL-B']]), chain('NETCTL-B', [['-j', 'NETCTL-A']])];
    const looped = [...loop, ...Array.from({length: CHAINS_PER_RESTORE}, (_, i) => chain(`NETCTL-X-${i}`))].map(remove);
    expect(chainRestores(looped).dropped).toEqual([]);
  });

  it('make the apply script run the main restore, then a restore per group of dropped chains', () => {
    const chains = Array.from({length: 400}, (_, i) => service(i)).flat();
    const jump: IptablesRule = {kind: 'iptables-rule', ns: '', table: 'nat', chain: 'PREROUTING', rule: ['-j', 'NETCTL-SVC-0']};
    const script = applyScript([...chains.map(remove), remove(jump)]);
    const payloads = [...script.matchAll(/^iptables-restore -w 5 --noflush <<'NETCTL_EOF'\n([^]*?)\nNETCTL_EOF$/gm)].map((m) => m[1]!);
    expect(payloads).toHaveLength(3);
    expect(payloads[0]).toBe('*nat\n-D PREROUTING -j NETCTL-SVC-0\nCOMMIT');
    for (const payload of payloads.slice(1)) {
      const declared = payload.match(/^:(\S+) - \[0:0\]$/gm)!.map((line) => line.slice(1, line.indexOf(' ')));
      const deleted = payload.match(/^-X (\S+)$/gm)!.map((line) => line.slice(3));
      expect(deleted).toEqual(declared);
    }
    expect(payloads.slice(1).join('\n').match(/^-X /gm)).toHaveLength(chains.length);
  });
});
