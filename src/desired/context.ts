import type {ClusterNetwork, Node} from '../spec/types.js';

/** Facts about a node that the desired state depends on, learnt by observing it. */
export interface NodeFacts {
  /** The node's uplink: `interface` from the spec, else the interface holding the node address. */
  readonly uplink: string;
}

export interface NodeContext {
  readonly cluster: ClusterNetwork;
  readonly node: Node;
  readonly facts: NodeFacts;
}

export function peersOf(cluster: ClusterNetwork, node: Node): readonly Node[] {
  return cluster.nodes.filter((n) => n.name !== node.name);
}

export function podsOf(cluster: ClusterNetwork, node: Node) {
  return cluster.pods.filter((p) => p.node === node.name);
}
