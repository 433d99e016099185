/**
 * A node's diff, with two parts taken as units that are mostly the same on every node: its host routes,
 * neighbour and FDB entries (its peers'), and netctl's iptables chains (every service's). A unit whose
 * digest matches what the node holds is not compared object by object; the iptables changes are
 * computed once per distinct pair of desired and observed state and shared by every node whose tables
 * hold the same. Planning 1,000 nodes that hold what they should costs a few digest comparisons each.
 */
import type {DesiredState} from '../desired/index.js';
import type {HostRoute, HostRouteRun, HostRoutes} from '../resources/host-routes.js';
import type {IptablesState} from '../resources/iptables.js';
import type {Keyed, Resource} from '../resources/model.js';
import {ChangeList, type Run} from './change-list.js';
import {MISSING, diff, type Change, type Conflict} from './diff.js';

export interface ObservedState {
  /** netctl's objects on the node other than its host routes and iptables. */
  readonly resources: Keyed;
  readonly hostRoutes: HostRoutes;
  readonly iptables: IptablesState;
  readonly foreign: ReadonlyMap<string, string>;
}

interface SplitChanges {
  readonly deletions: readonly Change[];
  readonly others: readonly Change[];
}

const NO_FOREIGN: ReadonlyMap<string, string> = new Map();
const NONE: SplitChanges = {deletions: [], others: []};
const split = (changes: readonly Change[]): SplitChanges =>
  ({deletions: changes.filter((c) => c.action === 'delete'), others: changes.filter((c) => c.action !== 'delete')});

const shared = new WeakMap<IptablesState, Map<string, SplitChanges>>();

function iptablesChanges(desired: IptablesState, observed: IptablesState): SplitChanges {
  if (desired.digest === observed.digest) return NONE;
  let byObserved = shared.get(desired);
  if (byObserved === undefined) {
    byObserved = new Map();
    shared.set(desired, byObserved);
  }
  let changes = byObserved.get(observed.digest);
  if (changes === undefined) {
    changes = split(diff(desired.resources, {resources: observed.resources, foreign: NO_FOREIGN}).changes);
    byObserved.set(observed.digest, changes);
  }
  return changes;
}

function keyed(unit: HostRoutes): Map<string, Resource> {
  const map = new Map<string, Resource>();
  unit.resources.forEach((r, i) => map.set(unit.keys[i]!, r));
  return map;
}

const creations = new WeakMap<readonly HostRoute[], Change[]>();

/** A creation for each entry of the run, made once per array and shared by every node whose run it is in. */
function createRun(run: HostRouteRun): Run {
  let items = creations.get(run.resources);
  if (items === undefined) {
    items = run.resources.map((after, i): Change => ({action: 'create', key: run.keys[i]!, kind: after.kind, after, reason: MISSING}));
    creations.set(run.resources, items);
  }
  return {items, start: run.start, end: run.end};
}

interface HostRouteChanges {
  readonly deletions: readonly Change[];
  readonly others: ChangeList;
}

const NO_HOST_CHANGES: HostRouteChanges = {deletions: [], others: ChangeList.EMPTY};

function hostRouteChanges(desired: HostRoutes, observed: HostRoutes, foreign: ReadonlyMap<string, string>): {changes: HostRouteChanges; conflicts: Conflict[]} {
  if (desired.digest === observed.digest) return {changes: NO_HOST_CHANGES, conflicts: []};
  // A node that holds none of them yet: all are created, in order, unless something foreign is in the way.
  if (observed.resources.length === 0 && !(foreign.size > 0 && desired.keys.some((key) => foreign.has(key)))) {
    const runs = desired.runs ?? [{resources: desired.resources, keys: desired.keys, start: 0, end: desired.keys.length}];
    return {changes: {deletions: [], others: ChangeList.join(runs.map(createRun))}, conflicts: []};
  }
  const {changes, conflicts} = diff(keyed(desired), {resources: keyed(observed), foreign});
  const parts = split(changes);
  return {changes: {deletions: parts.deletions, others: ChangeList.of(parts.others)}, conflicts};
}

/**
 * The node's ordered changes. Host routes come after everything else of the node's in creation order,
 * and iptables objects after those (and the other way round for deletions), so the parts go around
 * one another. When a link is replaced, what hangs on it is created again, so the node's objects and
 * its host routes are then compared together.
 */
export function diffNode(desired: DesiredState, observed: ObservedState): {changes: ChangeList; conflicts: Conflict[]} {
  const own = diff(desired.node, observed);
  const iptables = iptablesChanges(desired.iptables, observed.iptables);
  if (own.changes.some((c) => c.action === 'replace' && c.kind === 'link')) {
    const together = diff(
      new Map([...desired.node, ...keyed(desired.hostRoutes)]),
      {resources: new Map([...observed.resources, ...keyed(observed.hostRoutes)]), foreign: observed.foreign},
    );
    const parts = split(together.changes);
    return {changes: ChangeList.join([iptables.deletions, parts.deletions, parts.others, iptables.others]), conflicts: together.conflicts};
  }
  const host = hostRouteChanges(desired.hostRoutes, observed.hostRoutes, observed.foreign);
  if (iptables === NONE && host.changes === NO_HOST_CHANGES) return {changes: ChangeList.of(own.changes), conflicts: own.conflicts};
  const ownParts = split(own.changes);
  return {
    changes: ChangeList.join([iptables.deletions, host.changes.deletions, ownParts.deletions, ownParts.others, host.changes.others, iptables.others]),
    conflicts: [...own.conflicts, ...host.conflicts],
  };
}
