/** The ends of a connection as `netctl policy check` takes them: a pod, a node, or an address. */
import {formatAddress, parseAddress} from '../net/ipv4.js';
import type {Party} from '../spec/policy-semantics.js';
import type {ClusterNetwork, Pod, PolicyProtocol} from '../spec/types.js';

/**
 * `shop/client-1` or `client-1` (a pod), `node:node1` (a node's host), or an IPv4 address (the pod or
 * node holding it, if any). Returns the party, or why there is none.
 */
export function partyOf(cluster: ClusterNetwork, text: string): Party | string {
  if (text.startsWith('node:')) {
    const node = cluster.nodes.find((n) => n.name === text.slice('node:'.length));
    return node === undefined ? `no node ${text.slice('node:'.length)} in the spec; nodes: ${cluster.nodes.map((n) => n.name).join(', ')}` : {ip: node.address, node};
  }
  const ip = parseAddress(text);
  if (ip !== undefined) {
    const pod = cluster.pods.find((p) => p.ip === ip);
    // A node's pod gateway is the node too: its pods reach it without crossing FORWARD, as its address.
    const node = cluster.nodes.find((n) => n.address === ip || (cluster.mode !== 'underlay' && n.podCIDR.first + 1 === ip));
    return {ip, ...(pod === undefined ? {} : {pod}), ...(node === undefined ? {} : {node})};
  }
  const pod = podByRef(cluster, text);
  if (typeof pod === 'string') return `${pod}, node:NODE or an IPv4 address`;
  return {ip: pod.ip, pod};
}

/**
 * The pod `NAMESPACE/POD` or `POD` names, or why there is none. A name alone is the pod of that name
 * in whatever namespace, as long as only one namespace has one.
 */
export function podByRef(cluster: ClusterNetwork, text: string): Pod | string {
  const slash = text.indexOf('/');
  const namespace = slash < 0 ? undefined : text.slice(0, slash);
  const name = slash < 0 ? text : text.slice(slash + 1);
  const found = cluster.pods.filter((p) => p.name === name && (namespace === undefined || p.namespace === namespace));
  if (found.length === 1) return found[0]!;
  if (found.length === 0) return `no pod ${text} in the spec; write NAMESPACE/POD`;
  return `pods named ${name} run in namespaces ${found.map((p) => p.namespace).join(', ')}; write NAMESPACE/POD`;
}

export function partyName(party: Party): string {
  if (party.pod !== undefined) return `${party.pod.namespace}/${party.pod.name} (${formatAddress(party.ip)})`;
  if (party.node !== undefined) return `node ${party.node.name} (${formatAddress(party.ip)})`;
  return formatAddress(party.ip);
}

/** `5432/tcp`, `53/udp`, `5432` (TCP). */
export function portOf(text: string): {port: number; protocol: PolicyProtocol} | string {
  const match = /^(\d{1,5})(?:\/(tcp|udp|sctp))?$/i.exec(text);
  const port = Number(match?.[1]);
  if (match === null || port < 1 || port > 65535) return `--port ${text} is not PORT[/tcp|udp|sctp] with PORT 1-65535`;
  return {port, protocol: (match[2]?.toUpperCase() ?? 'TCP') as PolicyProtocol};
}
