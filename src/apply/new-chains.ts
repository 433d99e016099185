/**
 * Many new chains are created by restores of their own, before the restore that holds everything
 * else. iptables-restore (nf_tables) takes time that grows with the square of what one payload holds:
 * 1,000 services' 11,000 chains and 32,000 rules restore in 2.6 s as one payload and in 0.96 s as ten;
 * 3,000 services' in 45 s as one and 7 s as three (docs/performance.md). A new chain is reached by no
 * packet until a chain that already exists, or a built-in chain, jumps to it, and those jumps stay in
 * the last restore, so what traffic sees still changes in one transaction. Each new chain is created
 * after the new chains it jumps to.
 */
import type {Change} from '../plan/diff.js';
import type {IptablesChain} from '../resources/model.js';

/** New chains per restore of their own; fewer new chains than this stay in the one restore. */
export const NEW_CHAINS_PER_RESTORE = 1000;

export interface NewChainRestores {
  /** Groups of new chains, each for a restore of its own, in the order to run them. */
  readonly groups: readonly (readonly IptablesChain[])[];
  /** Every other iptables change, for the last restore. */
  readonly rest: readonly Change[];
}

export function newChainRestores(changes: readonly Change[], ordered: (chains: readonly string[]) => string[]): NewChainRestores {
  const created = changes.filter((c) => c.action === 'create' && c.after?.kind === 'iptables-chain');
  if (created.length < NEW_CHAINS_PER_RESTORE) return {groups: [], rest: changes};
  const groups: IptablesChain[][] = [];
  for (const table of ['filter', 'nat'] as const) {
    const chains = new Map<string, IptablesChain>();
    for (const change of created) {
      const chain = change.after as IptablesChain;
      if (chain.table === table) chains.set(chain.chain, chain);
    }
    const order = targetsFirst(chains, ordered);
    if (order === undefined) return {groups: [], rest: changes};
    for (let i = 0; i < order.length; i += NEW_CHAINS_PER_RESTORE) groups.push(order.slice(i, i + NEW_CHAINS_PER_RESTORE));
  }
  const early = new Set(created);
  return {groups, rest: changes.filter((c) => !early.has(c))};
}

/**
 * The chains, each after the chains of the same set it jumps to (`-j`, `-g`), otherwise in `ordered`
 * order; undefined if they jump to each other in a loop (the kernel refuses that, and so does the
 * last restore, where they then stay).
 */
function targetsFirst(chains: ReadonlyMap<string, IptablesChain>, ordered: (chains: readonly string[]) => string[]): IptablesChain[] | undefined {
  const order: IptablesChain[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string): boolean => {
    const seen = state.get(name);
    if (seen !== undefined) return seen === 'done';
    state.set(name, 'visiting');
    const chain = chains.get(name)!;
    for (const target of jumpTargets(chain)) {
      if (chains.has(target) && !visit(target)) return false;
    }
    state.set(name, 'done');
    order.push(chain);
    return true;
  };
  return ordered([...chains.keys()]).every(visit) ? order : undefined;
}

function jumpTargets(chain: IptablesChain): string[] {
  return chain.rules.flatMap((rule) => {
    const at = rule.findIndex((word) => word === '-j' || word === '-g');
    const target = at === -1 ? undefined : rule[at + 1];
    return target === undefined ? [] : [target];
  });
}
