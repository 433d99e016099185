/**
 * Network policies as filter chains of netctl's own, the same on every node. NETCTL-FORWARD jumps to
 * NETCTL-POLICY before it accepts pod traffic, so bridged (br_netfilter), routed, overlay and DNATed
 * service traffic all pass it, after DNAT: pod IPs and target ports.
 *
 *   NETCTL-POLICY       replies and established connections return at once; then a jump per isolated
 *                       pod: `-d POD -j NETCTL-ING-<pod>`, `-s POD -j NETCTL-EGR-<pod>`
 *   NETCTL-ING-<pod>    clears the allow mark, lets the pod reach itself, jumps to the chain of each
 *                       policy that isolates it and returns once one set the mark; else REJECT
 *                       (a TCP reset for TCP that no service rewrote on its way in over the bridge)
 *   NETCTL-PI-<policy>  the policy's ingress rules (NETCTL-PE-: egress), shared by every pod it
 *                       selects: each admitted peer and port sets the allow mark
 *   NETCTL-PR-<...>     a rule's ports, when it has several peers and several ports: each peer
 *                       jumps there, so rules grow as peers + ports, not peers × ports
 *   NETCTL-PB-<...>     an ipBlock with `except`: the excepted blocks return, the rest is admitted
 *
 * Chain names are hashes of what they stand for (policy, pod), so a change rewrites only the chains it
 * touches. Every chain starts with a comment-only rule saying what it is, and each policy rule with
 * one in policy words, which plans show instead of iptables text.
 */
import {formatAddress, formatCidr} from '../net/ipv4.js';
import type {IptablesResource} from '../resources/iptables.js';
import type {Sysctl} from '../resources/model.js';
import {
  isolatingPolicies,
  namedPort,
  peerSelectsPod,
  policyName,
  ruleDestinations,
  selectedPods,
  type Direction,
} from '../spec/policy-semantics.js';
import {selectorText} from '../spec/selectors.js';
import type {ClusterNetwork, NetworkPolicy, Pod, PolicyPeer, PolicyPort, PolicyRule} from '../spec/types.js';
import {comment, hashedChain, ownChain} from './iptables.js';

export const POLICY_CHAIN = 'NETCTL-POLICY';
/** The packet mark bit a policy chain sets when one of its rules admits the packet. */
export const ALLOW_MARK = '0x20000';
const SET_ALLOWED = ['-j', 'MARK', '--set-xmark', `${ALLOW_MARK}/${ALLOW_MARK}`];
const CLEAR_ALLOWED = ['-j', 'MARK', '--set-xmark', `0x0/${ALLOW_MARK}`];
const IF_ALLOWED = ['-m', 'mark', '--mark', `${ALLOW_MARK}/${ALLOW_MARK}`];
/** iptables keeps comments up to 256 bytes. */
const MAX_COMMENT = 255;

/** What a label rule (a comment, no target) of a policy chain starts with. */
export const POLICY_LABEL = 'netctl: policy ';
export const RULE_LABEL = 'netctl: allow ';
export const POD_LABEL = 'netctl: isolated ';
export const BLOCK_LABEL = 'netctl: ipBlock of policy ';
export const PORTS_LABEL = 'netctl: ports of policy ';

export function hasPolicies(cluster: ClusterNetwork): boolean {
  return cluster.networkPolicies.length > 0;
}

export const policyChain = (policy: NetworkPolicy, direction: Direction) => hashedChain(direction === 'ingress' ? 'NETCTL-PI-' : 'NETCTL-PE-', policyName(policy));
export const podChain = (pod: Pod, direction: Direction) => hashedChain(direction === 'ingress' ? 'NETCTL-ING-' : 'NETCTL-EGR-', `${pod.namespace}/${pod.name}`);
const blockChain = (policy: NetworkPolicy, direction: Direction, rule: number, peer: number) => hashedChain('NETCTL-PB-', `${policyName(policy)}/${direction}/${rule}/${peer}`);

const label = (text: string): string[] => comment(text.length > MAX_COMMENT ? `${text.slice(0, MAX_COMMENT - 3)}...` : text);
const host = (ip: number) => `${formatAddress(ip)}/32`;

/** Bridged traffic between pods of one node passes iptables only with br_netfilter and this sysctl. */
export function policySysctls(cluster: ClusterNetwork): Sysctl[] {
  if (!hasPolicies(cluster) || cluster.mode === 'underlay') return [];
  return [{kind: 'sysctl', ns: '', key: 'net/bridge/bridge-nf-call-iptables', value: '1'}];
}

/** The jump NETCTL-FORWARD makes before it accepts pod traffic. */
export function policyJump(cluster: ClusterNetwork): string[][] {
  return hasPolicies(cluster) ? [[...comment('netctl: network policies'), '-j', POLICY_CHAIN]] : [];
}

export function policies(cluster: ClusterNetwork): IptablesResource[] {
  if (!hasPolicies(cluster)) return [];
  const chains: IptablesResource[] = [];
  const dispatch: string[][] = [[...comment('netctl: replies and established connections'), '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'RETURN']];
  for (const policy of cluster.networkPolicies) {
    const selected = selectedPods(cluster, policy);
    for (const direction of directionsOf(policy)) chains.push(...policyChains(cluster, policy, direction, selected));
  }
  // A TCP reset fails the client's connect at once (an ICMP error that comes back while connect() still
  // holds its socket is dropped: TCP waits for its first SYN retry, 1 s). But for a connection a service
  // rewrote that came in over the bridge, the kernel sends the reset straight out of the bridge port,
  // without undoing the DNAT: it comes from the endpoint, the client ignores it and hangs until its own
  // timeout. The ICMP error is translated back, so such connections get that.
  const resettable = cluster.mode === 'underlay' ? [] : ['-m', 'conntrack', '!', '--ctstate', 'DNAT'];
  for (const direction of ['ingress', 'egress'] as const) {
    for (const pod of cluster.pods) {
      const isolating = isolatingPolicies(cluster, pod, direction);
      if (isolating.length === 0) continue;
      const chain = podChain(pod, direction);
      const self = direction === 'ingress' ? '-s' : '-d';
      dispatch.push([direction === 'ingress' ? '-d' : '-s', host(pod.ip), ...comment(`netctl: ${direction} of ${pod.namespace}/${pod.name}`), '-j', chain]);
      chains.push(...ownChain('filter', chain, undefined, [
        label(`${POD_LABEL}${direction} of ${pod.namespace}/${pod.name} by ${isolating.map(policyName).join(', ')}`),
        CLEAR_ALLOWED,
        [self, host(pod.ip), ...comment('netctl: the pod itself, through its own service'), '-j', 'RETURN'],
        ...isolating.flatMap((policy) => [['-j', policyChain(policy, direction)], [...IF_ALLOWED, '-j', 'RETURN']]),
        ['-p', 'tcp', ...resettable, ...comment(`netctl: ${direction} not allowed by any policy`), '-j', 'REJECT', '--reject-with', 'tcp-reset'],
        [...comment(`netctl: ${direction} not allowed by any policy`), '-j', 'REJECT', '--reject-with', 'icmp-port-unreachable'],
      ]));
    }
  }
  return [...ownChain('filter', POLICY_CHAIN, undefined, dispatch), ...chains];
}

function directionsOf(policy: NetworkPolicy): Direction[] {
  return [...(policy.policyTypes.includes('Ingress') ? ['ingress' as const] : []), ...(policy.policyTypes.includes('Egress') ? ['egress' as const] : [])];
}

function policyChains(cluster: ClusterNetwork, policy: NetworkPolicy, direction: Direction, selected: readonly Pod[]): IptablesResource[] {
  const rules: string[][] = [label(`${POLICY_LABEL}${policyName(policy)} ${direction}`)];
  const blocks: IptablesResource[] = [];
  policy[direction].forEach((rule, j) => {
    rules.push(label(`${RULE_LABEL}${ruleWords(policy, direction, rule)}`));
    const {matches, subchains} = ruleMatches(cluster, policy, direction, rule, j, selected);
    rules.push(...matches);
    blocks.push(...subchains);
  });
  return [...ownChain('filter', policyChain(policy, direction), undefined, rules), ...blocks];
}

function portWords(port: PolicyPort, number?: number): string[] {
  const proto = port.protocol.toLowerCase();
  const value = number ?? port.port;
  if (value === undefined) return ['-p', proto];
  const range = typeof value === 'number' && port.endPort !== undefined && port.endPort !== value ? `${value}:${port.endPort}` : String(value);
  return ['-p', proto, '-m', proto, '--dport', range];
}

/**
 * The rules that admit what one policy rule admits, in two steps when it has several peers and several
 * ports: each peer jumps to the rule's ports chain, so the rules grow as peers + ports, not peers ×
 * ports. A named port resolves on the destination: for ingress the selected pods, for egress the pods
 * the peers cover.
 */
function ruleMatches(cluster: ClusterNetwork, policy: NetworkPolicy, direction: Direction, rule: PolicyRule, j: number, selected: readonly Pod[]): {matches: string[][]; subchains: IptablesResource[]} {
  const peerFlag = direction === 'ingress' ? '-s' : '-d';
  const destinations = direction === 'ingress' ? selected : ruleDestinations(cluster, policy, direction, rule);
  const portRules: string[][] = rule.ports.length === 0 ? [[]] : rule.ports.flatMap((port) => {
    if (typeof port.port !== 'string') return [portWords(port)];
    const name = port.port;
    return destinations.flatMap((pod) => {
      const number = namedPort(pod, name, port.protocol);
      return number === undefined ? [] : [['-d', host(pod.ip), ...portWords(port, number)]];
    });
  });
  if (portRules.length === 0) return {matches: [], subchains: []};
  const subchains: IptablesResource[] = [];
  // After a peer matched: set the mark inline when one port rule says it all (and names no
  // destination an egress peer match already names), else jump to the ports chain.
  const inline = portRules.length === 1 && (direction === 'ingress' || !portRules[0]!.includes('-d'));
  let admit: string[] = inline ? [...portRules[0]!, ...SET_ALLOWED] : [];
  if (!inline) {
    const chain = hashedChain('NETCTL-PR-', `${policyName(policy)}/${direction}/${j}`);
    admit = ['-j', chain];
    subchains.push(...ownChain('filter', chain, undefined, [
      label(`${PORTS_LABEL}${policyName(policy)} ${direction}[${j}]`),
      ...portRules.map((words) => [...words, ...SET_ALLOWED]),
    ]));
  }
  if (rule.peers.length === 0) return {matches: [admit], subchains};
  const matches: string[][] = [];
  rule.peers.forEach((peer, k) => {
    if (peer.kind === 'pods') {
      for (const pod of cluster.pods.filter((p) => peerSelectsPod(cluster, policy, peer, p))) matches.push([peerFlag, host(pod.ip), ...admit]);
      return;
    }
    // No IPv4 packet comes from or goes to an IPv6 block.
    if (peer.kind === 'ipv6Block') return;
    // Every address is no match at all: iptables prints `-d 0.0.0.0/0` back as nothing.
    const block = peer.cidr.prefix === 0 ? [] : [peerFlag, formatCidr(peer.cidr)];
    if (peer.except.length === 0) {
      matches.push([...block, ...admit]);
      return;
    }
    const chain = blockChain(policy, direction, j, k);
    matches.push([...block, '-j', chain]);
    subchains.push(...ownChain('filter', chain, undefined, [
      label(`${BLOCK_LABEL}${policyName(policy)} ${direction}: ${blockWords(peer)}`),
      ...peer.except.map((e) => [peerFlag, formatCidr(e), '-j', 'RETURN']),
      admit,
    ]));
  });
  return {matches, subchains};
}

function blockWords(peer: Extract<PolicyPeer, {kind: 'ipBlock' | 'ipv6Block'}>): string {
  const [cidr, except] = peer.kind === 'ipBlock' ? [formatCidr(peer.cidr), peer.except.map(formatCidr)] : [peer.cidr, peer.except];
  return `${cidr}${except.length === 0 ? '' : ` except ${except.join(', ')}`}`;
}

function peerWords(policy: NetworkPolicy, peer: PolicyPeer): string {
  if (peer.kind !== 'pods') return blockWords(peer);
  const pods = peer.podSelector === undefined ? undefined : selectorText(peer.podSelector) || 'all pods';
  if (peer.namespaceSelector === undefined) return `${policy.namespace}/${pods!}`;
  const namespaces = selectorText(peer.namespaceSelector);
  const where = namespaces === '' ? 'every namespace' : `namespaces ${namespaces}`;
  return pods === undefined ? `${where}` : `${pods} in ${where}`;
}

function portText(port: PolicyPort): string {
  if (port.port === undefined) return `${port.protocol} any port`;
  return `${port.protocol} ${port.port}${port.endPort !== undefined && port.endPort !== port.port ? `-${port.endPort}` : ''}`;
}

/** `shop/app=client -> app=db TCP 5432`: one policy rule in words. */
export function ruleWords(policy: NetworkPolicy, direction: Direction, rule: PolicyRule): string {
  const peers = rule.peers.length === 0 ? 'anyone' : rule.peers.map((p) => peerWords(policy, p)).join(', ');
  const pods = selectorText(policy.podSelector) || `all pods of ${policy.namespace}`;
  const ports = rule.ports.length === 0 ? 'any port' : rule.ports.map(portText).join(', ');
  return direction === 'ingress' ? `${peers} -> ${pods} ${ports}` : `${pods} -> ${peers} ${ports}`;
}
