/** Building blocks of netctl's iptables chains. */
import {hash} from 'node:crypto';
import type {IptablesResource} from '../resources/iptables.js';
import type {IptablesTable} from '../resources/model.js';

export const comment = (text: string) => ['-m', 'comment', '--comment', text];

/** A chain of netctl's with its rules in order, and a jump to it first in each given built-in chain. */
export function ownChain(table: IptablesTable, chain: string, jumpedFrom: readonly string[] | undefined, rules: readonly (readonly string[])[]): IptablesResource[] {
  return [
    {kind: 'iptables-chain', ns: '', table, chain, rules},
    ...(jumpedFrom ?? []).map((builtin): IptablesResource => ({kind: 'iptables-rule', ns: '', table, chain: builtin, rule: [...comment('netctl'), '-j', chain]})),
  ];
}

/**
 * A chain name that stands for `identity`: the prefix and 16 hex digits of its sha256 (iptables allows
 * 28 characters). The same identity always gives the same name, so a change rewrites only its chains.
 */
export function hashedChain(prefix: string, identity: string): string {
  return `${prefix}${hash('sha256', identity, 'hex').slice(0, 16).toUpperCase()}`;
}
