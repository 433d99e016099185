/**
 * Kubernetes' traffic policies `Local` in service rules that stay the same on every node. For each
 * service port, NETCTL-SVL-<hash> per node with endpoints balances over that node's endpoints, and
 * the node traffic comes from or arrives at is told by its addresses:
 * - internalTrafficPolicy Local: the port's chain sends cluster IP traffic by its source, the node's
 *   pod CIDR (its pods, its bridge) or the node's address, to that node's chain;
 * - externalTrafficPolicy Local: NETCTL-NODEPORTS sends node-port traffic from outside by its
 *   destination, the node's address, to that node's chain, unmasqueraded (the endpoint sees the
 *   client); pods and the node itself go on as to the cluster IP (kube-proxy's short-circuit).
 * What no endpoint of its node took is dropped in NETCTL-REJECT, as kube-proxy drops it ("has no
 * local endpoints").
 */
import {formatAddress, formatCidr} from '../net/ipv4.js';
import type {IptablesResource} from '../resources/iptables.js';
import type {ClusterNetwork, Endpoint, Node, Service, ServicePort} from '../spec/types.js';
import {namespacedName} from '../spec/namespaces.js';
import {perCluster} from './context.js';
import {endpointText, hashedChain, NOT_LOOPBACK, ownChain} from './iptables.js';

/** One service port as services.ts builds its rules. */
export interface PolicedPort {
  readonly service: Service;
  readonly port: ServicePort;
  /** `CLUSTER-IP/32`. */
  readonly clusterIP: string;
  /** The port's chain, where cluster IP traffic goes (NETCTL-SVC-<hash>). */
  readonly chain: string;
  /** The rule's comment: `netctl: <service port> <role>`. */
  said(role: string): string[];
  /** `-p PROTO`. */
  readonly protocol: readonly string[];
  /** The destination port match, as iptables prints it back. */
  match(dport: number): string[];
  /** The chain that marks for masquerade. */
  readonly markMasquerade: string;
  /** Rules that send a connection to one of these endpoints (`ip:port`). */
  balance(over: readonly string[]): string[][];
}

/** A node that holds endpoints of a service port, with the chain that balances over them. */
export interface NodeEndpoints {
  readonly node: Node;
  /** NETCTL-SVL-<hash> (localChain). */
  readonly chain: string;
  /** The node's address, `ADDRESS/32`. */
  readonly address: string;
  /** The node's pod CIDR, `NETWORK/PREFIX`. */
  readonly podCIDR: string;
  /** `ip:port`. */
  readonly endpoints: readonly string[];
}

/** What Local adds to a port's rules; a part left undefined stays as with Cluster. */
export interface LocalRules {
  /** Whether they send traffic to the chains of the port's endpoints per node (nodeChains). */
  readonly usesNodeChains: boolean;
  /** The port's chain after its masquerade rule, instead of balancing over every endpoint. */
  readonly clusterIP: readonly string[][] | undefined;
  /** NETCTL-NODEPORTS's rules for the port, instead of masquerading and balancing over every endpoint. */
  readonly nodePort: readonly string[][] | undefined;
  /** NETCTL-REJECT's rules for the port: what no endpoint of its node took is dropped. */
  readonly drop: readonly string[][];
}

/** The chain of a service port's endpoints on one node. */
export function localChain(service: Service, port: ServicePort, node: string): string {
  return hashedChain('NETCTL-SVL-', `${namespacedName(service.namespace, service.name)}/${port.protocol}/${port.port}/${port.name ?? ''}@${node}`);
}

/** Which node each pod IP runs on: an endpoint that is no pod of the spec is on none. */
const nodeOfPodIP = perCluster((cluster: ClusterNetwork) => new Map(cluster.pods.map((p) => [p.ip, p.node])));

/** Each node by name, with its place in the spec. */
const nodesByName = perCluster((cluster: ClusterNetwork) => new Map(cluster.nodes.map((node, i) => [node.name, {node, i}])));

/** The nodes that hold endpoints of the port, in spec order, each with its endpoints and their chain. */
export function nodeEndpoints(cluster: ClusterNetwork, p: PolicedPort): NodeEndpoints[] {
  const nodeOf = nodeOfPodIP(cluster);
  const onNode = new Map<string, Endpoint[]>();
  for (const e of p.port.endpoints) {
    const name = nodeOf.get(e.ip);
    if (name === undefined) continue;
    const held = onNode.get(name);
    if (held === undefined) onNode.set(name, [e]);
    else held.push(e);
  }
  const byName = nodesByName(cluster);
  return [...onNode]
    .map(([name, endpoints]) => ({...byName.get(name)!, endpoints}))
    .sort((a, b) => a.i - b.i)
    .map(({node, endpoints}) => ({
      node,
      chain: localChain(p.service, p.port, node.name),
      address: `${formatAddress(node.address)}/32`,
      podCIDR: formatCidr(node.podCIDR),
      endpoints: endpoints.map(endpointText),
    }));
}

/** The chains that balance over each node's endpoints of the port. */
export function nodeChains(p: PolicedPort, nodes: readonly NodeEndpoints[]): IptablesResource[] {
  return nodes.flatMap((l) => ownChain('nat', l.chain, undefined, p.balance(l.endpoints)));
}

/** The port's nodeEndpoints, computed once and only when asked for: most ports need none. */
export type NodesOf = () => readonly NodeEndpoints[];

export function localRules(cluster: ClusterNetwork, p: PolicedPort, nodesOf: NodesOf): LocalRules {
  const {service, port} = p;
  const internal = service.internalTrafficPolicy === 'Local';
  const external = port.nodePort !== undefined && service.externalTrafficPolicy === 'Local';
  if (!internal && !external) return {usesNodeChains: false, clusterIP: undefined, nodePort: undefined, drop: []};
  const nodes = nodesOf();
  const drop: string[][] = [];
  let clusterIP: string[][] | undefined;
  let nodePort: string[][] | undefined;
  if (internal) {
    clusterIP = nodes.flatMap((l) => [['-s', l.podCIDR, ...p.said('cluster IP'), '-j', l.chain], ['-s', l.address, ...p.said('cluster IP'), '-j', l.chain]]);
    drop.push(['-d', p.clusterIP, ...p.protocol, ...p.said('has no local endpoints'), ...p.match(port.port), '-j', 'DROP']);
  }
  if (external) {
    const pods = formatCidr(cluster.clusterCIDR);
    const nodePortOf = [...p.protocol, ...p.said('node port')];
    const dport = p.match(port.nodePort);
    const fromHere = ['-m', 'addrtype', '--src-type', 'LOCAL'];
    nodePort = [
      ['-s', pods, ...nodePortOf, ...dport, '-j', p.chain],
      ['-s', pods, ...nodePortOf, ...dport, '-j', 'RETURN'],
      [...nodePortOf, ...fromHere, ...dport, '-j', p.markMasquerade],
      [...nodePortOf, ...fromHere, ...dport, '-j', p.chain],
      [...nodePortOf, ...fromHere, ...dport, '-j', 'RETURN'],
      ...nodes.map((l) => ['-d', l.address, ...nodePortOf, ...dport, '-j', l.chain]),
    ];
    drop.push([...NOT_LOOPBACK, ...p.protocol, ...p.said('has no local endpoints'), '-m', 'addrtype', '--dst-type', 'LOCAL', ...dport, '-j', 'DROP']);
  }
  return {usesNodeChains: true, clusterIP, nodePort, drop};
}
