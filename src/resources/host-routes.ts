/**
 * The routes, neighbour and FDB entries of a node's host namespace as one unit with an additive
 * digest: the sum of every object's hash. In overlay and routing mode a node's unit is its peers'
 * entries, the same objects on every node but for its own share, so its digest is the cluster's sum
 * less that share, found without visiting the peers; the observed digest is summed while parsing.
 * Equal digests, equal objects (for every property the diff compares).
 */
import {hash} from 'node:crypto';
import {keyOf, type FdbEntry, type Neighbour, type Resource, type Route} from './model.js';

export type HostRoute = Route | Neighbour | FdbEntry;

export interface HostRoutes {
  /** In creation order: routes, then neighbours, then FDB entries. */
  readonly resources: readonly HostRoute[];
  readonly keys: readonly string[];
  readonly digest: bigint;
  /** The same objects as runs of arrays that nodes share (`start` up to `end`), when built that way. */
  readonly runs?: readonly HostRouteRun[];
}

export interface HostRouteRun {
  readonly resources: readonly HostRoute[];
  readonly keys: readonly string[];
  readonly start: number;
  readonly end: number;
}

export function isHostRoute(r: Resource): r is HostRoute {
  return r.ns === '' && (r.kind === 'route' || r.kind === 'neighbour' || r.kind === 'fdb');
}

/** What the diff compares of each kind, with the identity key: the same text, no change. */
function comparedText(r: HostRoute, key: string): string {
  switch (r.kind) {
    case 'route': return `${key}|${r.dev}|${r.via ?? ''}|${r.onlink === true}`;
    case 'neighbour': return `${key}|${r.mac}`;
    case 'fdb': return key;
  }
}

const SUM_BITS = 128;

export function entryHash(r: HostRoute, key: string): bigint {
  return BigInt(`0x${hash('sha256', comparedText(r, key), 'hex').slice(0, SUM_BITS / 4)}`);
}

export function addDigests(a: bigint, b: bigint): bigint {
  return BigInt.asUintN(SUM_BITS, a + b);
}

export function subtractDigests(a: bigint, b: bigint): bigint {
  return BigInt.asUintN(SUM_BITS, a - b);
}

const RANK: Record<HostRoute['kind'], number> = {route: 0, neighbour: 1, fdb: 2};

/** A unit from objects and their keys, in any order. */
export function hostRoutes(resources: readonly HostRoute[]): HostRoutes {
  const sorted = resources.map((r) => ({r, key: keyOf(r)})).sort((a, b) => RANK[a.r.kind] - RANK[b.r.kind]);
  let digest = 0n;
  for (const {r, key} of sorted) digest = addDigests(digest, entryHash(r, key));
  return {resources: sorted.map((e) => e.r), keys: sorted.map((e) => e.key), digest};
}
