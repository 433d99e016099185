/**
 * A node's diff with netctl's iptables state taken as one unit. Every node carries the same chains
 * (kube-proxy semantics), so the iptables changes are computed once per distinct pair of desired and
 * observed state, and shared by every node whose tables hold the same: planning 1,000 nodes costs
 * one comparison of the service rules, not 1,000.
 */
import type {DesiredState} from '../desired/index.js';
import type {IptablesState} from '../resources/iptables.js';
import type {Keyed} from '../resources/model.js';
import {diff, type Change, type Conflict} from './diff.js';

export interface ObservedState {
  /** netctl's objects on the node other than iptables. */
  readonly node: Keyed;
  readonly iptables: IptablesState;
  readonly foreign: ReadonlyMap<string, string>;
}

const NO_FOREIGN: ReadonlyMap<string, string> = new Map();
interface IptablesChanges {
  readonly deletions: readonly Change[];
  readonly others: readonly Change[];
}

const NONE: IptablesChanges = {deletions: [], others: []};
const shared = new WeakMap<IptablesState, Map<string, IptablesChanges>>();

function iptablesChanges(desired: IptablesState, observed: IptablesState): IptablesChanges {
  if (desired.digest === observed.digest) return NONE;
  let byObserved = shared.get(desired);
  if (byObserved === undefined) {
    byObserved = new Map();
    shared.set(desired, byObserved);
  }
  let changes = byObserved.get(observed.digest);
  if (changes === undefined) {
    const all = diff(desired.resources, {resources: observed.resources, foreign: NO_FOREIGN}).changes;
    changes = {deletions: all.filter((c) => c.action === 'delete'), others: all.filter((c) => c.action !== 'delete')};
    byObserved.set(observed.digest, changes);
  }
  return changes;
}

/**
 * The node's ordered changes. iptables objects are created last and deleted first, so the shared
 * iptables changes go around the node's own.
 */
export function diffNode(desired: DesiredState, observed: ObservedState): {changes: Change[]; conflicts: Conflict[]} {
  const own = diff(desired.node, {resources: observed.node, foreign: observed.foreign});
  const iptables = iptablesChanges(desired.iptables, observed.iptables);
  if (iptables === NONE) return own;
  return {
    changes: iptables.deletions.concat(own.changes, iptables.others),
    conflicts: own.conflicts,
  };
}
