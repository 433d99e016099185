/**
 * What the network policies of a spec allow, as Kubernetes defines it: a pod is isolated in a
 * direction once any policy of that type selects it; an isolated pod's traffic in that direction is
 * allowed when any rule of those policies admits it (the union); a connection needs both its source's
 * egress and its destination's ingress. A rule admits a peer when any of its peers matches (no peers:
 * every peer) and a port when any of its ports matches (no ports: every port); a named port is the
 * destination pod's port of that name and protocol. Beyond that, as netctl enforces it: a pod's own node
 * may always reach it, a pod reaching itself (through its own service) is allowed, and ipBlocks match
 * any address, pod IPs included. The iptables rules (desired/policies.ts) are built from the same
 * functions, and `netctl policy check` and `verify` ask `decide`.
 */
import {contains} from '../net/ipv4.js';
import {matches} from './selectors.js';
import type {ClusterNetwork, NetworkPolicy, Node, Pod, PolicyPeer, PolicyPort, PolicyProtocol, PolicyRule, PolicyType} from './types.js';

export type Direction = 'ingress' | 'egress';

const TYPE: Record<Direction, PolicyType> = {ingress: 'Ingress', egress: 'Egress'};

/** The pods of the policy's namespace its podSelector selects. */
export function selectedPods(cluster: ClusterNetwork, policy: NetworkPolicy): Pod[] {
  return cluster.pods.filter((pod) => pod.namespace === policy.namespace && matches(policy.podSelector, pod.labels));
}

/** The policies of the given direction that select the pod: none means the pod is not isolated that way. */
export function isolatingPolicies(cluster: ClusterNetwork, pod: Pod, direction: Direction): NetworkPolicy[] {
  return cluster.networkPolicies.filter((policy) =>
    policy.policyTypes.includes(TYPE[direction]) && policy.namespace === pod.namespace && matches(policy.podSelector, pod.labels));
}

function namespaceLabels(cluster: ClusterNetwork, namespace: string): Readonly<Record<string, string>> {
  return cluster.namespaces.find((n) => n.name === namespace)?.labels ?? {};
}

/** Whether a pods peer (podSelector and/or namespaceSelector) of a policy matches the pod. */
export function peerSelectsPod(cluster: ClusterNetwork, policy: NetworkPolicy, peer: Extract<PolicyPeer, {kind: 'pods'}>, pod: Pod): boolean {
  const inNamespaces = peer.namespaceSelector === undefined
    ? pod.namespace === policy.namespace
    : matches(peer.namespaceSelector, namespaceLabels(cluster, pod.namespace));
  return inNamespaces && (peer.podSelector === undefined || matches(peer.podSelector, pod.labels));
}

/** Whether an ipBlock holds the address: inside its cidr and outside each of its excepts. */
export function blockHolds(peer: Extract<PolicyPeer, {kind: 'ipBlock'}>, ip: number): boolean {
  return contains(peer.cidr, ip) && !peer.except.some((e) => contains(e, ip));
}

/**
 * The pods a rule's named ports resolve on: for ingress the pods the policy selects, for egress the pods
 * its peers cover (every pod when it has none).
 */
export function ruleDestinations(cluster: ClusterNetwork, policy: NetworkPolicy, direction: Direction, rule: PolicyRule): Pod[] {
  if (direction === 'ingress') return selectedPods(cluster, policy);
  if (rule.peers.length === 0) return [...cluster.pods];
  return cluster.pods.filter((pod) => rule.peers.some((peer) => (peer.kind === 'pods' ? peerSelectsPod(cluster, policy, peer, pod) : peer.kind === 'ipBlock' && blockHolds(peer, pod.ip))));
}

/** The port a named port stands for on the pod, with that protocol; undefined when the pod has none. */
export function namedPort(pod: Pod, name: string, protocol: PolicyProtocol): number | undefined {
  return pod.ports.find((p) => p.name === name && p.protocol === protocol)?.containerPort;
}

/** One end of a connection: a pod, a node (its host), or another address. */
export interface Party {
  readonly ip: number;
  readonly pod?: Pod;
  readonly node?: Node;
}

export interface Connection {
  readonly from: Party;
  readonly to: Party;
  readonly protocol: PolicyProtocol;
  readonly port: number;
}

export interface RuleRef {
  readonly policy: NetworkPolicy;
  readonly direction: Direction;
  /** Index in the policy's ingress or egress list. */
  readonly rule: number;
}

export interface DirectionVerdict {
  /** The policies that isolate the pod in this direction; none: not isolated, so allowed. */
  readonly isolatedBy: readonly NetworkPolicy[];
  /** The rules that admit the connection. */
  readonly allowedBy: readonly RuleRef[];
}

export interface Decision {
  readonly allowed: boolean;
  /** One sentence: what decided. */
  readonly reason: string;
  readonly egress?: DirectionVerdict;
  readonly ingress?: DirectionVerdict;
}

function peerMatches(cluster: ClusterNetwork, policy: NetworkPolicy, peer: PolicyPeer, party: Party): boolean {
  if (peer.kind === 'ipBlock') return blockHolds(peer, party.ip);
  if (peer.kind === 'ipv6Block') return false;
  return party.pod !== undefined && peerSelectsPod(cluster, policy, peer, party.pod);
}

export function portMatches(port: PolicyPort, connection: Connection): boolean {
  if (port.protocol !== connection.protocol) return false;
  if (port.port === undefined) return true;
  if (typeof port.port === 'number') return connection.port >= port.port && connection.port <= (port.endPort ?? port.port);
  return connection.to.pod !== undefined && namedPort(connection.to.pod, port.port, port.protocol) === connection.port;
}

function verdict(cluster: ClusterNetwork, pod: Pod, direction: Direction, connection: Connection): DirectionVerdict {
  const isolatedBy = isolatingPolicies(cluster, pod, direction);
  const other = direction === 'ingress' ? connection.from : connection.to;
  const allowedBy: RuleRef[] = [];
  for (const policy of isolatedBy) {
    policy[direction].forEach((rule, i) => {
      const peerOk = rule.peers.length === 0 || rule.peers.some((peer) => peerMatches(cluster, policy, peer, other));
      const portOk = rule.ports.length === 0 || rule.ports.some((port) => portMatches(port, connection));
      if (peerOk && portOk) allowedBy.push({policy, direction, rule: i});
    });
  }
  return {isolatedBy, allowedBy};
}

const allowedIn = (v: DirectionVerdict | undefined) => v === undefined || v.isolatedBy.length === 0 || v.allowedBy.length > 0;

export function policyName(policy: NetworkPolicy): string {
  return `${policy.namespace}/${policy.name}`;
}

export function ruleName(ref: RuleRef): string {
  return `${policyName(ref.policy)} ${ref.direction}[${ref.rule}]`;
}

export function decide(cluster: ClusterNetwork, connection: Connection): Decision {
  const {from, to} = connection;
  if (from.pod !== undefined && from.pod === to.pod) return {allowed: true, reason: 'a pod may always reach itself, through its own service too'};
  if (to.pod !== undefined && from.node !== undefined && from.node.name === to.pod.node) return {allowed: true, reason: `a pod's own node (${from.node.name}) may always reach it`};
  if (from.pod !== undefined && to.node !== undefined && to.node.name === from.pod.node) return {allowed: true, reason: `a pod may always reach its own node (${to.node.name})`};
  const egress = from.pod === undefined ? undefined : verdict(cluster, from.pod, 'egress', connection);
  const ingress = to.pod === undefined ? undefined : verdict(cluster, to.pod, 'ingress', connection);
  const allowed = allowedIn(egress) && allowedIn(ingress);
  const says = (v: DirectionVerdict | undefined, direction: Direction, pod: Pod | undefined): string | undefined => {
    if (v === undefined || v.isolatedBy.length === 0) return undefined;
    const name = `${pod!.namespace}/${pod!.name}`;
    if (v.allowedBy.length > 0) return `${direction} of ${name} allowed by ${v.allowedBy.map(ruleName).join(', ')}`;
    return `${direction} of ${name} is isolated by ${v.isolatedBy.map(policyName).join(', ')} and no rule of ${v.isolatedBy.length === 1 ? 'it' : 'them'} admits this connection`;
  };
  const parts = [says(egress, 'egress', from.pod), says(ingress, 'ingress', to.pod)].filter((p): p is string => p !== undefined);
  if (allowed && parts.length === 0) return {allowed, reason: 'no policy isolates either end', ...(egress === undefined ? {} : {egress}), ...(ingress === undefined ? {} : {ingress})};
  // A denial names only the direction that denied it.
  const reason = allowed ? parts.join('; ') : parts.filter((p) => p.includes('isolated by')).join('; ');
  return {allowed, reason, ...(egress === undefined ? {} : {egress}), ...(ingress === undefined ? {} : {ingress})};
}
