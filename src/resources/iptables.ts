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
  /** sha256 of every object's key and, for chains, their rules as iptables-save prints them. */
  readonly digest: string;
}

export function isIptables(r: Resource): r is IptablesResource {
  return r.kind === 'iptables-chain' || r.kind === 'iptables-rule';
}

/** A rule as one line of words, as keys and comparisons use it. */
function ruleText(rule: readonly string[]): string {
  return rule.join(' ');
}

/** A text computed from a chain once per chain object, or recorded for it. */
function perChain(compute: (chain: IptablesChain) => string) {
  const texts = new WeakMap<IptablesChain, string>();
  return {
    get(chain: IptablesChain): string {
      let text = texts.get(chain);
      if (text === undefined) {
        text = compute(chain);
        texts.set(chain, text);
      }
      return text;
    },
    set(chain: IptablesChain, text: string): void {
      texts.set(chain, text);
    },
  };
}

const wordTexts = perChain((chain) => chain.rules.map(ruleText).join('\n'));

/** The chain's rules as text, computed once per chain object. */
function chainText(chain: IptablesChain): string {
  return wordTexts.get(chain);
}

/** Joins words into a rule line iptables-restore reads back into the same words. */
export function joinWords(words: readonly string[]): string {
  return words.map((w) => (/^[^\s"\\]+$/.test(w) ? w : `"${w.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`)).join(' ');
}

const savedTexts = perChain((chain) => chain.rules.map(joinWords).join('\n'));

/** Records the chain's rules as iptables-save printed them (one per line, without `-A CHAIN `). */
export function rememberSavedText(chain: IptablesChain, text: string): void {
  savedTexts.set(chain, text);
}

/**
 * The chain's rules as iptables-save prints them: as read from the node, or as netctl writes them.
 * Equal saved texts mean equal rules, found without splitting and joining every rule again; unequal
 * ones may still hold the same words (a quoting difference), which chainText decides.
 */
export function savedText(chain: IptablesChain): string {
  return savedTexts.get(chain);
}

/** The rules of `from` that `to` does not hold (as many times), in order. */
export function rulesMissingIn(from: IptablesChain, to: IptablesChain | undefined): (readonly string[])[] {
  const left = new Map<string, number>();
  for (const rule of to?.rules ?? []) left.set(ruleText(rule), (left.get(ruleText(rule)) ?? 0) + 1);
  return from.rules.filter((rule) => {
    const n = left.get(ruleText(rule)) ?? 0;
    if (n > 0) left.set(ruleText(rule), n - 1);
    return n === 0;
  });
}

/** The same rules in the same order. */
export function sameRules(a: IptablesChain, b: IptablesChain): boolean {
  return savedText(a) === savedText(b) || chainText(a) === chainText(b);
}

export function iptablesState(resources: readonly IptablesResource[]): IptablesState {
  const lines = resources.map((r) => (r.kind === 'iptables-chain' ? `${keyOf(r)}\n${savedText(r)}` : keyOf(r))).sort();
  const hash = createHash('sha256');
  for (const line of lines) hash.update(line).update('\0');
  return {resources, digest: hash.digest('hex')};
}

/**
 * What iptables and iptables-restore are told to wait for the xtables lock, as kube-proxy does: with the
 * legacy backend another program changing the ruleset (Docker, a firewall) holds it, and a command
 * that does not wait fails at once. The nf_tables backend has no such lock and ignores it.
 */
export const IPTABLES_WAIT = '-w 5';
