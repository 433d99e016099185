/** Many new chains are created by restores of their own, each after the chains it jumps to. */
import {describe, expect, it} from '@jest/globals';
import {NEW_CHAINS_PER_RESTORE, newChainRestores} from '../../src/apply/new-chains.js';
import {applyScript} from '../../src/apply/script.js';
import type {Change} from '../../src/plan/diff.js';
import type {IptablesChain, IptablesRule} from '../../src/resources/model.js';

const chain = (name: string, rules: string[][] = [], table: 'filter' | 'nat' = 'nat'): IptablesChain => ({kind: 'iptables-chain', ns: '', table, chain: name, rules});
const create = (c: IptablesChain | IptablesRule): Change => ({action: 'create', key: `${c.kind} ${c.chain}`, kind: c.kind, after: c, reason: 'missing on the node'});
const update = (c: IptablesChain): Change => ({action: 'update', key: `${c.kind} ${c.chain}`, kind: c.kind, before: chain(c.chain, [], c.table), after: c, reason: 'rules differ'});
/** A service chain jumping to its endpoint chains, as netctl writes them. */
function service(i: number): IptablesChain[] {
  const endpoints = [0, 1].map((e) => chain(`NETCTL-SEP-${i}-${e}`, [['-p', 'tcp', '-j', 'DNAT', '--to-destination', `10.244.0.${e + 1}:80`]]));
  return [chain(`NETCTL-SVC-${i}`, endpoints.map((e) => ['-j', e.chain])), ...endpoints];
}

describe('new chains in restores of their own', () => {
  it('leave fewer new chains than the limit in the one restore', () => {
    const changes = Array.from({length: 300}, (_, i) => service(i)).flat().map(create);
    expect(changes.length).toBeLessThan(NEW_CHAINS_PER_RESTORE);
    expect(newChainRestores(changes)).toEqual({groups: [], rest: changes});
  });

  it('create every new chain once, after the new chains it jumps to, in groups of at most the limit', () => {
    const chains = Array.from({length: 800}, (_, i) => service(i)).flat();
    const dispatch = chain('NETCTL-SERVICES', chains.filter((c) => c.chain.startsWith('NETCTL-SVC-')).map((c) => ['-j', c.chain]));
    const jump: IptablesRule = {kind: 'iptables-rule', ns: '', table: 'nat', chain: 'PREROUTING', rule: ['-j', 'NETCTL-SERVICES']};
    const changed = chain('NETCTL-FORWARD', [['-j', 'ACCEPT']], 'filter');
    const changes = [...chains.map(create), create(dispatch), create(jump), update(changed)];
    const {groups, rest} = newChainRestores(changes);
    expect(groups.map((g) => g.length)).toEqual([1000, 1000, 401]);
    const position = new Map(groups.flat().map((c, i) => [c.chain, i]));
    expect(position.size).toBe(chains.length + 1);
    for (const c of [...chains, dispatch]) {
      for (const rule of c.rules) expect(position.get(c.chain)).toBeGreaterThan(position.get(rule[rule.indexOf('-j') + 1]!) ?? -1);
    }
    // What traffic reaches changes in the last restore: jumps from built-in chains, chains that exist.
    expect(rest).toEqual([create(jump), update(changed)]);
  });

  it('leave chains that jump to each other in a loop in the one restore', () => {
    const loop = [chain('NETCTL-A', [['-j', 'NETCTL-B']]), chain('NETCTL-B', [['-j', 'NETCTL-A']])];
    const changes = [...loop, ...Array.from({length: NEW_CHAINS_PER_RESTORE}, (_, i) => chain(`NETCTL-X-${i}`))].map(create);
    expect(newChainRestores(changes).groups).toEqual([]);
  });

  it('make the apply script run a restore per group before the last one', () => {
    const chains = Array.from({length: 400}, (_, i) => service(i)).flat();
    const script = applyScript([...chains.map(create), create({kind: 'iptables-rule', ns: '', table: 'nat', chain: 'PREROUTING', rule: ['-j', 'NETCTL-SVC-0']})]);
    expect(script.match(/^iptables-restore --noflush <<'NETCTL_EOF'$/gm)).toHaveLength(3);
    expect(script.match(/^:NETCTL-/gm)).toHaveLength(chains.length);
    expect(script).toContain("iptables-restore --noflush <<'NETCTL_EOF'\n*nat\n-I PREROUTING 1 -j NETCTL-SVC-0\nCOMMIT\nNETCTL_EOF");
  });
});
