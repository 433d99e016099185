/**
 * The generic diff: desired and observed resources of one node in, ordered changes out.
 * Apply branches only on `action`; `reason` is for people.
 */
import {rulesMissingIn, sameRules} from '../resources/iptables.js';
import {byKey, compareRank, createRank, parentLink, type IptablesChain, type Keyed, type Kind, type Link, type Rank, type Resource} from '../resources/model.js';

/**
 * - create: `after` is missing on the node (or goes with a replaced link, and `before` is what was);
 * - update: `before` is on the node and changes in place into `after`;
 * - replace: `before` cannot change in place; it is deleted and `after` created;
 * - delete: `before` is netctl's and not in the spec.
 */
export type Action = 'create' | 'update' | 'replace' | 'delete';

export interface Change {
  readonly action: Action;
  readonly key: string;
  readonly kind: Kind;
  readonly before?: Resource;
  readonly after?: Resource;
  readonly reason: string;
}

/** The reason of a plain creation, which plan text leaves out. */
export const MISSING = 'missing on the node';

/** A foreign object stands where a netctl object must go. */
export interface Conflict {
  readonly key: string;
  readonly foreign: string;
}

/** Kinds netctl sets but never removes: a sysctl has no owner, and other software may rely on it. */
const NEVER_DELETED: ReadonlySet<Kind> = new Set(['sysctl']);

export interface Observed {
  readonly resources: readonly Resource[] | Keyed;
  readonly foreign: ReadonlyMap<string, string>;
}

export function diff(desired: readonly Resource[] | Keyed, observed: Observed): {changes: Change[]; conflicts: Conflict[]} {
  const actual = byKey(observed.resources);
  const wanted = byKey(desired);
  const changes: Change[] = [];
  const conflicts: Conflict[] = [];
  const blockedNamespaces = new Set<string>();
  let matched = 0;

  wanted.forEach((after, key) => {
    const before = actual.get(key);
    if (before === undefined) {
      const foreign = observed.foreign.get(key);
      if (foreign !== undefined) {
        conflicts.push({key, foreign});
        if (after.kind === 'netns') blockedNamespaces.add(after.name);
        return;
      }
      changes.push({action: 'create', key, kind: after.kind, after, reason: MISSING});
      return;
    }
    matched++;
    const difference = compare(before, after);
    if (difference !== undefined) changes.push({...difference, key, kind: after.kind, before, after});
  });
  // Everything on the node is wanted when every object on it was matched.
  if (matched < actual.size) {
    actual.forEach((before, key) => {
      if (!wanted.has(key) && !NEVER_DELETED.has(before.kind)) {
        changes.push({action: 'delete', key, kind: before.kind, before, reason: 'not in the spec'});
      }
    });
  }
  const unblocked = blockedNamespaces.size === 0 ? changes : changes.filter((c) => c.after === undefined || !blockedNamespaces.has(c.after.ns));
  return {changes: order(cascade(unblocked, wanted, actual)), conflicts};
}

function compare(before: Resource, after: Resource): {action: 'update' | 'replace'; reason: string} | undefined {
  let replaced: string[] | undefined;
  let updated: string[] | undefined;
  const differs = (was: unknown, is: unknown) =>
    was !== is && (typeof was !== 'object' || typeof is !== 'object' || JSON.stringify(was) !== JSON.stringify(is));
  const check = (list: 'replaced' | 'updated', field: string, was: unknown, is: unknown) => {
    if (!differs(was, is)) return;
    const line = `${field} ${show(was)} → ${show(is)}`;
    if (list === 'replaced') (replaced ??= []).push(line);
    else (updated ??= []).push(line);
  };
  switch (after.kind) {
    case 'link': {
      const b = before as Link;
      check('replaced', 'type', b.type, after.type);
      check('replaced', 'mac', b.mac, after.mac);
      check('replaced', 'vxlan', b.vxlan, after.vxlan);
      check('replaced', 'peer', b.peer, after.peer);
      check('updated', 'mtu', b.mtu, after.mtu);
      check('updated', 'up', b.up, after.up);
      check('updated', 'master', b.master, after.master);
      check('updated', 'hairpin', b.hairpin ?? false, after.hairpin ?? false);
      break;
    }
    case 'route': {
      const b = before as typeof after;
      check('updated', 'dev', b.dev, after.dev);
      check('updated', 'via', b.via, after.via);
      check('updated', 'onlink', b.onlink ?? false, after.onlink ?? false);
      break;
    }
    case 'neighbour':
      check('updated', 'lladdr', (before as typeof after).mac, after.mac);
      break;
    case 'sysctl':
      check('updated', 'value', (before as typeof after).value, after.value);
      break;
    case 'iptables-chain': {
      const rules = compareRules(before as IptablesChain, after);
      if (rules !== undefined) (updated ??= []).push(rules);
      break;
    }
    case 'dns-hosts': {
      const was = new Set((before as typeof after).lines);
      const is = new Set(after.lines);
      const added = after.lines.filter((l) => !was.has(l)).length;
      const removed = [...was].filter((l) => !is.has(l)).length;
      if (added + removed > 0) (updated ??= []).push(`addresses +${added} -${removed}`);
      break;
    }
    case 'dns-server': {
      const b = before as typeof after;
      check('updated', 'listen', b.listen, after.listen);
      check('updated', 'domain', b.domain, after.domain);
      check('updated', 'upstream', b.upstream, after.upstream);
      check('updated', 'reverse zones', b.reverseZones, after.reverseZones);
      if (differs(b.srv, after.srv)) (updated ??= []).push('SRV records');
      if (b.edited === true) (updated ??= []).push('configuration edited by hand');
      break;
    }
    case 'pod-resolver': {
      const b = before as typeof after;
      check('updated', 'nameservers', b.nameservers, after.nameservers);
      check('updated', 'search', b.search, after.search);
      check('updated', 'options', b.options, after.options);
      break;
    }
    case 'netns':
    case 'address':
    case 'fdb':
    case 'iptables-rule':
      break;
  }
  if (replaced !== undefined) return {action: 'replace', reason: `${[...replaced, ...(updated ?? [])].join(', ')} (cannot change in place)`};
  if (updated !== undefined) return {action: 'update', reason: updated.join(', ')};
  return undefined;
}

/** `rules +1 -2`, or `rules reordered`; undefined when the chain holds exactly the wanted rules. */
function compareRules(before: IptablesChain, after: IptablesChain): string | undefined {
  if (sameRules(before, after)) return undefined;
  const added = rulesMissingIn(after, before).length;
  const removed = rulesMissingIn(before, after).length;
  return added + removed === 0 ? 'rules reordered' : `rules +${added} -${removed}`;
}

function show(value: unknown): string {
  if (value === undefined) return 'none';
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',');
  }
  return JSON.stringify(value);
}

/**
 * Deleting a link takes its addresses, routes, neighbours and FDB entries with it (and a veth its
 * peer): when a link is replaced, the desired objects that hang on it are created again.
 */
function cascade(changes: Change[], wanted: Keyed, actual: Keyed): Change[] {
  const replacedLinks = new Set<string>();
  for (const change of changes) {
    if (change.action !== 'replace' || change.after?.kind !== 'link') continue;
    replacedLinks.add(change.key);
    const peer = change.after.peer;
    if (peer !== undefined) replacedLinks.add(`link ${peer.ns === '' ? '' : `${peer.ns}:`}${peer.name}`);
  }
  if (replacedLinks.size === 0) return changes;
  const changed = new Map(changes.map((c) => [c.key, c]));
  for (const [key, after] of wanted) {
    const parent = after.kind === 'link' ? key : parentLink(after);
    if (parent === undefined || !replacedLinks.has(parent) || !actual.has(key)) continue;
    const existing = changed.get(key);
    if (existing === undefined || existing.action === 'update') {
      // `before` stays known: a rollback creates it again the way it was.
      changed.set(key, {action: 'create', key, kind: after.kind, before: actual.get(key)!, after, reason: 'created again with its link'});
    }
  }
  return [...changed.values()];
}

/**
 * Deletions first, children before parents; then creations, parents before children. Within a rank,
 * changes keep the order they came in (the spec's, or the node's), so sorting an already ordered list
 * costs one pass.
 */
export function order(changes: readonly Change[]): Change[] {
  const ranked = changes.map((change) => ({change, rank: createRank((change.after ?? change.before)!)}));
  const deletions = ranked.filter((c) => c.change.action === 'delete');
  const others = ranked.filter((c) => c.change.action !== 'delete');
  const ascending = (a: {rank: Rank}, b: {rank: Rank}) => compareRank(a.rank, b.rank);
  if (!isSorted(others, ascending)) others.sort(ascending);
  deletions.sort((a, b) => ascending(b, a));
  return [...deletions, ...others].map((c) => c.change);
}

function isSorted<T>(items: readonly T[], compare: (a: T, b: T) => number): boolean {
  for (let i = 1; i < items.length; i++) if (compare(items[i - 1]!, items[i]!) > 0) return false;
  return true;
}
