/**
 * How chains are created and removed: in which order a payload declares them, and, when there are many
 * new or many dropped ones, by restores of their own around the restore that holds everything else.
 * iptables-restore (nf_tables) takes time that grows with the square of what one payload holds:
 * 1,000 services' 11,000 chains and 32,000 rules restore in 2.6 s as one payload and in 0.96 s as ten;
 * 3,000 services' in 45 s as one and 7 s as three; removing 3,000 services' 33,000 chains takes 8.5 s
 * as one payload and 1.7-2.1 s as 1,000-chain groups (docs/performance.md). A chain is reached by no
 * packet unless a built-in chain, or a chain reached from one, jumps to it; those jumps stay in the
 * main restore, so what traffic sees still changes in one transaction. New chains are created before
 * it, each after the new chains it jumps to; dropped chains are removed after it, each before the
 * dropped chains it jumps to.
 */
import type {Change} from '../plan/diff.js';
import type {IptablesChain} from '../resources/model.js';

/** Chains per restore of their own; fewer new (or dropped) chains than this stay in the main restore. */
export const CHAINS_PER_RESTORE = 1000;

/** Chains declared in one iptables-restore payload are interleaved by this stride (see creationOrder). */
const CREATION_STRIDE = 256;

/**
 * The order in which a payload declares, and so creates, chains. iptables-nft keeps chains in a list
 * sorted by name and inserts into it one by one, so the kernel's creation order decides how fast every
 * later iptables-save is: with 11,000 chains created in name order it takes 1.3 s, in random order
 * 0.3 s; but a restore creating them in random order takes 5 s instead of 2 s. Sorted names taken in
 * strides of 256 get both: 0.3 s reads and a 2.4 s first restore (measured with iptables 1.8.9; strides
 * of 64 and 512 restore in 2.6 s).
 */
export function creationOrder(chains: readonly string[]): string[] {
  const sorted = [...chains].sort();
  const order: string[] = [];
  for (let start = 0; start < CREATION_STRIDE; start++) {
    for (let i = start; i < sorted.length; i += CREATION_STRIDE) order.push(sorted[i]!);
  }
  return order;
}

export interface ChainRestores {
  /** Groups of new chains, each for a restore of its own before the main one, in the order to run them. */
  readonly created: readonly (readonly IptablesChain[])[];
  /** Every other iptables change, for the main restore. */
  readonly rest: readonly Change[];
  /** Groups of dropped chains, each for a restore of its own after the main one, in the order to run them. */
  readonly dropped: readonly (readonly IptablesChain[])[];
}

export function chainRestores(changes: readonly Change[]): ChainRestores {
  const created = manyChains(changes, 'create');
  const dropped = manyChains(changes, 'delete');
  const early = new Set(created.changes);
  const late = new Set(dropped.changes);
  return {
    created: created.groups,
    rest: early.size + late.size === 0 ? changes : changes.filter((c) => !early.has(c) && !late.has(c)),
    // Each removed before the chains it jumps to, which it no longer holds on to once gone.
    dropped: dropped.groups.map((group) => [...group].reverse()).reverse(),
  };
}

/**
 * Chains created (or deleted) by the changes, in groups of CHAINS_PER_RESTORE, each after the chains
 * of its table it jumps to; none if there are fewer than that or if they jump to each other in a loop.
 */
function manyChains(changes: readonly Change[], action: 'create' | 'delete'): {groups: IptablesChain[][]; changes: Change[]} {
  const chainOf = (c: Change) => (action === 'create' ? c.after : c.before);
  const matching = changes.filter((c) => c.action === action && chainOf(c)?.kind === 'iptables-chain');
  if (matching.length < CHAINS_PER_RESTORE) return {groups: [], changes: []};
  const groups: IptablesChain[][] = [];
  for (const table of ['filter', 'nat'] as const) {
    const chains = new Map<string, IptablesChain>();
    for (const change of matching) {
      const chain = chainOf(change) as IptablesChain;
      if (chain.table === table) chains.set(chain.chain, chain);
    }
    const order = targetsFirst(chains);
    if (order === undefined) return {groups: [], changes: []};
    for (let i = 0; i < order.length; i += CHAINS_PER_RESTORE) groups.push(order.slice(i, i + CHAINS_PER_RESTORE));
  }
  return {groups, changes: matching};
}

/**
 * The chains, each after the chains of the same set it jumps to (`-j`, `-g`), otherwise in creation
 * order; undefined if they jump to each other in a loop (the kernel refuses that, and so does the
 * main restore, where they then stay).
 */
function targetsFirst(chains: ReadonlyMap<string, IptablesChain>): IptablesChain[] | undefined {
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
  return creationOrder([...chains.keys()]).every(visit) ? order : undefined;
}

function jumpTargets(chain: IptablesChain): string[] {
  return chain.rules.flatMap((rule) => {
    const at = rule.findIndex((word) => word === '-j' || word === '-g');
    const target = at === -1 ? undefined : rule[at + 1];
    return target === undefined ? [] : [target];
  });
}
