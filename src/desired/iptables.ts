/** Building blocks of netctl's iptables chains. */
import type {IptablesRule, IptablesTable, Resource} from '../resources/model.js';

export const comment = (text: string) => ['-m', 'comment', '--comment', text];

/** A chain of netctl's with its rules in order, and a jump to it first in each given built-in chain. */
export function ownChain(table: IptablesTable, chain: string, jumpedFrom: readonly string[] | undefined, rules: readonly (readonly string[])[]): Resource[] {
  return [
    {kind: 'iptables-chain', ns: '', table, chain},
    ...(jumpedFrom ?? []).map((builtin): IptablesRule => ({kind: 'iptables-rule', ns: '', table, chain: builtin, rule: [...comment('netctl'), '-j', chain]})),
    ...rules.map((rule, position): IptablesRule => ({kind: 'iptables-rule', ns: '', table, chain, rule, position})),
  ];
}
