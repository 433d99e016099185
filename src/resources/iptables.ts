/**
 * netctl's iptables objects on a node as one unit with a digest. With kube-proxy semantics every node
 * carries every service's chains, so the desired unit is built once per cluster and shared by all
 * nodes, and two units with the same digest hold the same chains, rules and jumps.
 */
import {createHash} from 'node:crypto';
import {keyOf, type IptablesChain, type IptablesRule, type Resource} from './model.js';

export type IptablesResource = IptablesChain | IptablesRule;

export interface IptablesState {
  readonly resources: readonly IptablesResource[];
  /** sha256 of every object's key and, for chains, their rules. */
  readonly digest: string;
}

export function isIptables(r: Resource): r is IptablesResource {
  return r.kind === 'iptables-chain' || r.kind === 'iptables-rule';
}

/** A rule as one line of words, as keys and comparisons use it. */
export function ruleText(rule: readonly string[]): string {
  return rule.join(' ');
}

const texts = new WeakMap<IptablesChain, string>();

/** The chain's rules as text, computed once per chain object. */
export function chainText(chain: IptablesChain): string {
  let text = texts.get(chain);
  if (text === undefined) {
    text = chain.rules.map(ruleText).join('\n');
    texts.set(chain, text);
  }
  return text;
}

export function iptablesState(resources: readonly IptablesResource[]): IptablesState {
  const lines = resources.map((r) => (r.kind === 'iptables-chain' ? `${keyOf(r)}\n${chainText(r)}` : keyOf(r))).sort();
  const hash = createHash('sha256');
  for (const line of lines) hash.update(line).update('\0');
  return {resources, digest: hash.digest('hex')};
}
