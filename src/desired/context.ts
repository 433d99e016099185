import {formatAddress, formatCidr} from '../net/ipv4.js';
import type {HostResolvConf} from '../resources/dns.js';
import type {ClusterNetwork, Node, Pod} from '../spec/types.js';

/** Facts about a node that the desired state depends on, learnt by observing it. */
export interface NodeFacts {
  /** The node's uplink: `interface` from the spec, else the interface holding the node address. */
  readonly uplink: string;
  /** The nameservers of the node's /etc/resolv.conf: cluster DNS forwards other names there by default. */
  readonly nameservers: readonly string[];
  /** The resolv.conf its pods start from, as a kubelet's (desired/pod-resolvers.ts); undefined: /etc/resolv.conf's name servers alone. */
  readonly hostResolvConf?: HostResolvConf;
}

export interface NodeContext {
  readonly cluster: ClusterNetwork;
  readonly node: Node;
  readonly facts: NodeFacts;
}

export function peersOf(cluster: ClusterNetwork, node: Node): readonly Node[] {
  return cluster.nodes.filter((n) => n.name !== node.name);
}

/**
 * A cluster-wide value computed once per cluster: every node's desired state asks for the same
 * lookups (its pods, its peers' addresses), and a plan of 1,000 nodes must not redo them 1,000 times.
 */
export function perCluster<T>(compute: (cluster: ClusterNetwork) => T): (cluster: ClusterNetwork) => T {
  const values = new WeakMap<ClusterNetwork, T>();
  return (cluster) => {
    let value = values.get(cluster);
    if (value === undefined) {
      value = compute(cluster);
      values.set(cluster, value);
    }
    return value;
  };
}

const podsByNode = perCluster((cluster) => {
  const byNode = new Map<string, Pod[]>();
  for (const pod of cluster.pods) {
    const pods = byNode.get(pod.node);
    if (pods === undefined) byNode.set(pod.node, [pod]);
    else pods.push(pod);
  }
  return byNode;
});

export function podsOf(cluster: ClusterNetwork, node: Node): readonly Pod[] {
  return podsByNode(cluster).get(node.name) ?? [];
}

/** A node's address and pod CIDR as text, as its peers route to them. */
export interface NodeAddresses {
  readonly address: string;
  readonly podCIDR: string;
}

export const nodeAddresses = perCluster((cluster) =>
  new Map<string, NodeAddresses>(cluster.nodes.map((n) => [n.name, {address: formatAddress(n.address), podCIDR: formatCidr(n.podCIDR)}])));
