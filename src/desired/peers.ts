/**
 * The host routes, neighbour and FDB entries by which nodes reach their peers. They are the same
 * objects on every node but the peer's own, so they are built (and hashed) once per cluster, and a
 * node's unit is every peer's entries but its own.
 */
import {addDigests, entryHash, subtractDigests, type HostRoute, type HostRoutes} from '../resources/host-routes.js';
import {keyOf} from '../resources/model.js';
import type {ClusterNetwork, Node} from '../spec/types.js';

interface Entry {
  readonly key: string;
  readonly resource: HostRoute;
  readonly hash: bigint;
}

export interface PeerEntries {
  /** Each node's entries, in the same kind order for every node (routes, neighbours, FDB entries). */
  readonly byNode: ReadonlyMap<string, readonly Entry[]>;
  /** Every node's entry of each kind, in the spec's node order, with each node's place in them. */
  readonly byKind: readonly {readonly resources: readonly HostRoute[]; readonly keys: readonly string[]}[];
  readonly place: ReadonlyMap<string, number>;
  readonly total: bigint;
}

export function peerEntries(cluster: ClusterNetwork, entriesOf: (peer: Node) => readonly HostRoute[]): PeerEntries {
  const byNode = new Map<string, Entry[]>();
  const byKind: {resources: HostRoute[]; keys: string[]}[] = [];
  const place = new Map<string, number>();
  let total = 0n;
  for (const peer of cluster.nodes) {
    const entries = entriesOf(peer).map((resource) => {
      const key = keyOf(resource);
      return {key, resource, hash: entryHash(resource, key)};
    });
    entries.forEach((entry, kind) => {
      total = addDigests(total, entry.hash);
      const column = (byKind[kind] ??= {resources: [], keys: []});
      column.resources.push(entry.resource);
      column.keys.push(entry.key);
    });
    place.set(peer.name, place.size);
    byNode.set(peer.name, entries);
  }
  return {byNode, byKind, place, total};
}

/** The unit of the node: every other node's entries, kind by kind. */
export function peersOfNode(entries: PeerEntries, node: string): HostRoutes {
  let digest = entries.total;
  for (const own of entries.byNode.get(node) ?? []) digest = subtractDigests(digest, own.hash);
  const at = entries.place.get(node) ?? -1;
  const runs = entries.byKind.flatMap((column) =>
    at < 0 ? [{...column, start: 0, end: column.keys.length}] : [{...column, start: 0, end: at}, {...column, start: at + 1, end: column.keys.length}]);
  // The entries themselves are listed only when asked for: a node whose digest matches is never
  // compared entry by entry, and listing every peer's entries for every node is the cluster squared.
  let listed: {resources: HostRoute[]; keys: string[]} | undefined;
  const list = () => {
    if (listed !== undefined) return listed;
    listed = {resources: [], keys: []};
    for (const run of runs) {
      for (let i = run.start; i < run.end; i++) {
        listed.resources.push(run.resources[i]!);
        listed.keys.push(run.keys[i]!);
      }
    }
    return listed;
  };
  return {
    get resources() {
      return list().resources;
    },
    get keys() {
      return list().keys;
    },
    runs,
    digest,
  };
}
