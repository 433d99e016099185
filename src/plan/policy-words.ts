/**
 * Network policy chains read as policies, for plans: from the comment-only label rules netctl writes in
 * them (desired/policies.ts), so that a chain read back from a node says the same as the spec.
 */
import {BLOCK_LABEL, POD_LABEL, PORTS_LABEL, POLICY_CHAIN, POLICY_LABEL, RULE_LABEL} from '../desired/policies.js';
import type {IptablesChain} from '../resources/model.js';

const POLICY_CHAINS = /^NETCTL-(PI|PE|PB|PR|ING|EGR)-[0-9A-F]{16}$/;

/** A label rule is a comment and nothing else: `-m comment --comment TEXT`. */
function labels(chain: IptablesChain): string[] {
  return chain.rules.filter((r) => r.length === 4 && r[0] === '-m' && r[1] === 'comment' && r[2] === '--comment').map((r) => r[3]!);
}

/** `policy shop/db ingress: allow shop/app=client -> app=db TCP 5432`, or undefined for other chains. */
export function describePolicyChain(chain: IptablesChain): string | undefined {
  if (chain.chain === POLICY_CHAIN) {
    const pods = chain.rules.length - 1;
    return `network policy dispatch: ${pods} isolated pod direction${pods === 1 ? '' : 's'}`;
  }
  if (!POLICY_CHAINS.test(chain.chain)) return undefined;
  const [first, ...rest] = labels(chain);
  if (first?.startsWith(POLICY_LABEL) === true) {
    const rules = rest.filter((l) => l.startsWith(RULE_LABEL)).map((l) => `allow ${l.slice(RULE_LABEL.length)}`);
    return `policy ${first.slice(POLICY_LABEL.length)}: ${rules.length === 0 ? 'allows nothing' : rules.join('; ')}`;
  }
  if ([POD_LABEL, BLOCK_LABEL, PORTS_LABEL].some((prefix) => first?.startsWith(prefix) === true)) return first!.slice('netctl: '.length);
  return undefined;
}
