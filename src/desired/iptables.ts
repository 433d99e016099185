/** Building blocks of netctl's iptables chains. */
import {hash} from 'node:crypto';
import type {IptablesResource} from '../resources/iptables.js';
import type {IptablesTable} from '../resources/model.js';
import {formatAddress} from '../net/ipv4.js';
import type {Endpoint} from '../spec/types.js';

export const comment = (text: string) => ['-m', 'comment', '--comment', text];

/**
 * Node ports are served on a node's addresses but not on 127.0.0.0/8: a connection to localhost that
 * is DNATed to a pod is a martian the kernel drops (unless route_localnet is set, which kube-proxy's
 * iptables mode does and its nftables mode does not), so it would hang instead of being refused.
 */
export const NOT_LOOPBACK = ['!', '-d', '127.0.0.0/8'];

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

/** An endpoint as DNAT takes it and the rules' comments name it: `ip:port`. */
export const endpointText = (e: Endpoint) => `${formatAddress(e.ip)}:${e.port}`;
