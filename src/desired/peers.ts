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
  readonly kinds: number;
  readonly total: bigint;
}

export function peerEntries(cluster: ClusterNetwork, entriesOf: (peer: Node) => readonly HostRoute[]): PeerEntries {
  const byNode = new Map<string, Entry[]>();
  let total = 0n;
  let kinds = 0;
  for (const peer of cluster.nodes) {
    const entries = entriesOf(peer).map((resource) => {
      const key = keyOf(resource);
      return {key, resource, hash: entryHash(resource, key)};
    });
    kinds = entries.length;
    for (const entry of entries) total = addDigests(total, entry.hash);
    byNode.set(peer.name, entries);
  }
  return {byNode, kinds, total};
}

/** The unit of the node: every other node's entries, kind by kind. */
export function peersOfNode(entries: PeerEntries, node: string): HostRoutes {
  let digest = entries.total;
  for (const own of entries.byNode.get(node) ?? []) digest = subtractDigests(digest, own.hash);
  // The entries themselves are listed only when asked for: a node whose digest matches is never
  // compared entry by entry, and listing every peer's entries for every node is the cluster squared.
  let listed: {resources: HostRoute[]; keys: string[]} | undefined;
  const list = () => {
    if (listed !== undefined) return listed;
    listed = {resources: [], keys: []};
    for (let kind = 0; kind < entries.kinds; kind++) {
      for (const [peer, peerEntries] of entries.byNode) {
        if (peer === node) continue;
        listed.resources.push(peerEntries[kind]!.resource);
        listed.keys.push(peerEntries[kind]!.key);
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
    digest,
  };
}
