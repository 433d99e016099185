/**
 * Preflight: whether a host can carry the spec, judged from the node's read round trip. Each check
 * says what it found and, when it fails, how to fix it. Failures that apply cannot get past are the
 * node's errors in plan and apply too; `netctl preflight` shows every check.
 */
import {hasServices, portLabel} from '../desired/services.js';
import {perCluster, peersOf} from '../desired/context.js';
import {cidrContaining, formatAddress, formatCidr, overlaps, parseAddress, type Cidr} from '../net/ipv4.js';
import type {NodeObservation} from '../observe/parse.js';
import type {Link} from '../resources/model.js';
import type {ProbedLinkType} from '../observe/script.js';
import type {ClusterNetwork, Node} from '../spec/types.js';
import {podRef} from '../spec/namespaces.js';
import {ownerCheck} from './owner.js';

export type CheckStatus = 'pass' | 'warn' | 'fail';

export interface HostCheck {
  /** What is checked: tools, cluster, kernel, interface, peers, mtu, overlap, pod addresses, ssh port, ip_forward, rp_filter, vxlan. */
  readonly check: string;
  readonly status: CheckStatus;
  readonly detail: string;
  /** How to fix a failure or a warning. */
  readonly fix?: string;
  /** A failure apply cannot get past: the node's error in plan and apply. */
  readonly blocking?: boolean;
}

/** VXLAN adds 50 bytes to every pod packet (outer Ethernet, IPv4, UDP and VXLAN headers). */
export const VXLAN_OVERHEAD = 50;

const REQUIRED_TOOLS = [
  {tool: 'ip', package: 'iproute2'},
  {tool: 'bridge', package: 'iproute2'},
  {tool: 'iptables-save', package: 'iptables'},
  {tool: 'iptables-restore', package: 'iptables'},
];

/** The link types a node's kernel must be able to create for the spec. */
export function neededLinkTypes(cluster: ClusterNetwork): ProbedLinkType[] {
  if (cluster.mode === 'underlay') return cluster.underlay.driver === 'routed' ? ['veth'] : [cluster.underlay.driver];
  return ['veth', 'bridge', ...(cluster.mode === 'overlay' ? ['vxlan' as const] : [])];
}

/** The interface that carries the node's traffic to its peers, or why there is none. */
export function uplinkOf(node: Node, observed: NodeObservation): {uplink: string} | {error: HostCheck} {
  const address = formatAddress(node.address);
  if (node.interface !== undefined) {
    if (observed.hostLinks.has(node.interface)) return {uplink: node.interface};
    return {error: {check: 'interface', status: 'fail', blocking: true, detail: `interface ${node.interface} (spec.nodes[].interface) does not exist on the node`, fix: 'name an interface of the node, or leave interface out to use the one that holds its address'}};
  }
  const uplink = observed.hostAddresses.find((a) => a.address === address)?.dev;
  if (uplink !== undefined) return {uplink};
  return {error: {check: 'interface', status: 'fail', blocking: true, detail: `no interface of the node holds its address ${address}`, fix: 'check the address or set interface'}};
}

/** Whether the spec needs UDP conntrack entries flushed when an endpoint goes. */
export const needsConntrack = perCluster((cluster) => cluster.services.some((s) => s.ports.some((p) => p.protocol === 'UDP')));

export function hostChecks(cluster: ClusterNetwork, node: Node, observed: NodeObservation): HostCheck[] {
  const tools = toolsCheck(cluster, observed);
  if (tools.status === 'fail' && (observed.missingTools.includes('ip') || observed.missingTools.includes('bridge'))) return [tools];
  const found = uplinkOf(node, observed);
  const uplink = 'uplink' in found ? found.uplink : undefined;
  const own = ownHostLinks(observed);
  return [
    tools,
    ownerCheck(cluster, observed),
    kernelCheck(cluster, observed),
    'error' in found ? found.error : {check: 'interface', status: 'pass', detail: `${uplink} holds ${formatAddress(node.address)}`},
    ...(uplink === undefined ? [] : [peersCheck(cluster, node, observed, uplink), mtuCheck(cluster, observed, uplink)]),
    overlapCheck(cluster, observed, own),
    underlayAddressCheck(cluster, node, observed),
    sshPortCheck(cluster, node, observed),
    ipForwardCheck(observed, own),
    rpFilterCheck(observed, uplink, own),
  ].filter((c): c is HostCheck => c !== undefined);
}

/** The tools every run needs (destroy too), when one is missing. */
export function requiredToolsMissing(observed: NodeObservation): HostCheck | undefined {
  const absent = REQUIRED_TOOLS.filter((t) => observed.missingTools.includes(t.tool));
  if (absent.length === 0) return undefined;
  const packages = [...new Set(absent.map((t) => t.package))];
  return {check: 'tools', status: 'fail', blocking: true, detail: `the node has no ${absent.map((t) => t.tool).join(', ')} command`, fix: `install ${packages.join(' and ')}`};
}

function toolsCheck(cluster: ClusterNetwork, observed: NodeObservation): HostCheck {
  const missing = observed.missingTools;
  const required = requiredToolsMissing(observed);
  if (required !== undefined) return required;
  if (cluster.dns !== undefined && missing.includes('dnsmasq')) {
    return {check: 'tools', status: 'fail', blocking: true, detail: 'cluster DNS needs dnsmasq on the node', fix: 'install dnsmasq-base'};
  }
  const mode = observed.host.iptablesMode ?? observed.iptablesBackend;
  const backend = mode === undefined ? 'iptables' : `iptables (${mode})`;
  const present = ['ip', 'bridge', backend, ...(missing.includes('conntrack') ? [] : ['conntrack']), ...(cluster.dns === undefined ? [] : ['dnsmasq'])];
  if (needsConntrack(cluster) && missing.includes('conntrack')) {
    return {check: 'tools', status: 'warn', detail: `${present.join(', ')}; no conntrack: when a UDP endpoint goes away, clients keep sending to it until their conntrack entries expire`, fix: 'install conntrack'};
  }
  return {check: 'tools', status: 'pass', detail: present.join(', ')};
}

function kernelCheck(cluster: ClusterNetwork, observed: NodeObservation): HostCheck {
  const types = neededLinkTypes(cluster);
  const unsupported = types.filter((t) => observed.linkTypes.get(t)?.supported === false);
  if (unsupported.length > 0) {
    const words = unsupported.map((t) => `${t} links (${observed.linkTypes.get(t)?.detail || 'unknown error'})`).join(', ');
    const underlay = unsupported.some((t) => t === 'ipvlan' || t === 'macvlan');
    return {check: 'kernel', status: 'fail', blocking: true, detail: `this node's kernel cannot create ${words}`, fix: underlay ? `load the ${cluster.underlay.driver} module or use underlay.driver: routed` : `load the ${unsupported.join(' and ')} module${unsupported.length === 1 ? '' : 's'} (modprobe), or install your kernel's extra modules`};
  }
  const bridged = hasServices(cluster) || cluster.networkPolicies.length > 0;
  if (bridged && observed.brNetfilter === 'missing') {
    return {check: 'kernel', status: 'fail', blocking: true, detail: 'the br_netfilter kernel module is not loaded and modprobe cannot load it; services and network policies need it for traffic between pods of one node (it takes bridged traffic through iptables)', fix: 'install your kernel\'s modules (on Ubuntu, linux-modules-extra-$(uname -r)) or load it by hand'};
  }
  const probed = types.filter((t) => observed.linkTypes.get(t)?.supported === true);
  const netfilter = bridged && observed.brNetfilter !== undefined ? [`br_netfilter ${observed.brNetfilter}`] : [];
  return {check: 'kernel', status: 'pass', detail: [...(probed.length === 0 ? [] : [`creates ${probed.join(', ')} links`]), ...netfilter].join('; ') || 'nothing to probe'};
}

function peersCheck(cluster: ClusterNetwork, node: Node, observed: NodeObservation, uplink: string): HostCheck | undefined {
  if (cluster.mode === 'overlay') return undefined;
  const problems: string[] = [];
  for (const peer of peersOf(cluster, node)) {
    const target = formatAddress(peer.address);
    const route = observed.routesToPeers.get(target);
    if (route === undefined) continue;
    if (route.error !== undefined || route.gateway !== undefined || route.dev !== uplink) {
      const how = route.error ?? (route.gateway !== undefined ? `through gateway ${route.gateway} on ${route.dev ?? '?'}` : `on ${route.dev ?? '?'}, not on ${uplink}`);
      problems.push(`reaches ${peer.name} (${target}) ${how}`);
    }
  }
  if (problems.length > 0) {
    return {check: 'peers', status: 'fail', blocking: true, detail: `${cluster.mode} mode needs every node on one layer-2 subnet, but this node ${problems.join(', ')}`, fix: 'use mode: overlay'};
  }
  return {check: 'peers', status: 'pass', detail: `every peer is on-link on ${uplink}`};
}

function mtuCheck(cluster: ClusterNetwork, observed: NodeObservation, uplink: string): HostCheck {
  const mtu = observed.host.linkMtus.get(uplink);
  const carried = cluster.mode === 'overlay' ? `pods ${cluster.podMTU} + ${VXLAN_OVERHEAD} of VXLAN = ${cluster.mtu}` : `pods ${cluster.podMTU}`;
  if (mtu === undefined || mtu === 0) return {check: 'mtu', status: 'warn', detail: `the MTU of ${uplink} could not be read; the spec needs ${cluster.mtu}`};
  if (mtu < cluster.mtu) {
    return {check: 'mtu', status: 'fail', blocking: true, detail: `${uplink} has MTU ${mtu}, smaller than the spec's mtu ${cluster.mtu} (${carried}): bigger packets would be dropped`, fix: `set spec.mtu: ${mtu}, or raise the MTU of ${uplink}`};
  }
  return {check: 'mtu', status: 'pass', detail: `${uplink} MTU ${mtu} carries ${carried}`};
}

/** The links netctl created in the node's own namespace, by name. */
function ownHostLinks(observed: NodeObservation): Map<string, Link> {
  const links = new Map<string, Link>();
  for (const r of observed.resources.values()) if (r.kind === 'link' && r.ns === '') links.set(r.name, r);
  return links;
}

/** A route destination or an address with its prefix, as a range. */
function rangeOf(text: string): Cidr | undefined {
  if (text === 'default') return undefined;
  const [address = '', prefix = '32'] = text.split('/');
  const first = parseAddress(address);
  return first === undefined ? undefined : cidrContaining(first, Number(prefix));
}

function overlapCheck(cluster: ClusterNetwork, observed: NodeObservation, own: ReadonlyMap<string, Link>): HostCheck | undefined {
  // Underlay pods take addresses of the node network: there the host's own subnet holds clusterCIDR.
  const ranges = [...(cluster.mode === 'underlay' ? [] : [{name: 'clusterCIDR', cidr: cluster.clusterCIDR}]), ...(cluster.serviceCIDR === undefined ? [] : [{name: 'serviceCIDR', cidr: cluster.serviceCIDR}])];
  const clashes: string[] = [];
  const candidates = [
    ...observed.host.foreignAddresses.map((a) => ({what: `address ${a.cidr} on ${a.dev}`, dev: a.dev, text: a.cidr})),
    ...observed.host.foreignRoutes.map((r) => ({what: `route ${r.dst}${r.dev === undefined ? '' : ` dev ${r.dev}`}`, dev: r.dev, text: r.dst})),
  ];
  for (const candidate of candidates) {
    if (candidate.dev !== undefined && own.has(candidate.dev)) continue;
    const range = rangeOf(candidate.text);
    if (range === undefined || range.prefix === 0) continue;
    const hit = ranges.find((r) => overlaps(r.cidr, range));
    if (hit !== undefined) clashes.push(`${candidate.what} overlaps ${hit.name} ${formatCidr(hit.cidr)}`);
  }
  // Reached through the default route, netctl's own address is no other route's: inside clusterCIDR, the
  // node would route its answers to netctl into the pod network.
  const client = observed.host.sshClient === undefined ? undefined : parseAddress(observed.host.sshClient);
  if (client !== undefined && cluster.mode !== 'underlay' && overlaps(cluster.clusterCIDR, cidrContaining(client, 32))) {
    clashes.push(`the address netctl's SSH connection comes from, ${observed.host.sshClient!}, is inside clusterCIDR ${formatCidr(cluster.clusterCIDR)}`);
  }
  if (ranges.length === 0) return undefined;
  const checked = ranges.map((r) => `${r.name} ${formatCidr(r.cidr)}`).join(' and ');
  if (clashes.length > 0) {
    return {check: 'overlap', status: 'fail', blocking: true, detail: [...new Set(clashes)].join('; '), fix: 'pick clusterCIDR and serviceCIDR ranges the hosts do not use, or remove those addresses and routes'};
  }
  return {check: 'overlap', status: 'pass', detail: `no address or route of the host overlaps ${checked}`};
}

/**
 * Underlay pods take addresses of the node network, where other hosts live. A pod that takes the
 * node's gateway, or the address netctl's SSH connection comes from, takes that address over (its
 * node answers ARP for it and routes it to the pod) and cuts the node off: netctl could not even
 * undo it but by the node's own watchdog. Any pod of the cluster: they all share that network.
 */
function underlayAddressCheck(cluster: ClusterNetwork, node: Node, observed: NodeObservation): HostCheck | undefined {
  if (cluster.mode !== 'underlay') return undefined;
  const taken = new Map<number, string>();
  for (const route of observed.host.foreignRoutes) {
    const gateway = route.gateway === undefined ? undefined : parseAddress(route.gateway);
    if (gateway !== undefined) taken.set(gateway, `${node.name}'s gateway (route ${route.dst} via ${route.gateway!})`);
  }
  const client = observed.host.sshClient === undefined ? undefined : parseAddress(observed.host.sshClient);
  if (client !== undefined) taken.set(client, `the address ${node.name} sees netctl's SSH connection come from`);
  const clashes = cluster.pods.filter((p) => taken.has(p.ip)).map((p) => `pod ${podRef(p)} has ${formatAddress(p.ip)}, ${taken.get(p.ip)!}: it would take that address over and cut ${node.name} off`);
  if (clashes.length > 0) return {check: 'pod addresses', status: 'fail', blocking: true, detail: clashes.join('; '), fix: 'give those pods other addresses (ip), or a podCIDR that leaves them out'};
  return {check: 'pod addresses', status: 'pass', detail: `no pod takes ${node.name}'s gateway or the address netctl connects from`};
}

/** The service ports on each TCP node port, built once per cluster (every node's check asks). */
const tcpNodePorts = perCluster((cluster: ClusterNetwork) => {
  const byPort = new Map<number, string[]>();
  for (const service of cluster.services) {
    for (const port of service.ports) {
      if (port.protocol === 'TCP' && port.nodePort !== undefined) byPort.set(port.nodePort, [...(byPort.get(port.nodePort) ?? []), portLabel(service, port)]);
    }
  }
  return byPort;
});

/**
 * A TCP node port is served on every address of every node: one on the port netctl's SSH connection
 * comes to would send new connections to it (the confirmation's, the next run's) to a pod instead.
 */
function sshPortCheck(cluster: ClusterNetwork, node: Node, observed: NodeObservation): HostCheck | undefined {
  const port = observed.host.sshPort;
  if (port === undefined) return undefined;
  const taking = tcpNodePorts(cluster).get(port) ?? [];
  if (taking.length === 0) return {check: 'ssh port', status: 'pass', detail: `no node port takes TCP ${port}, where netctl reaches ${node.name}`};
  return {check: 'ssh port', status: 'fail', blocking: true, detail: `node port ${port} of ${taking.join(', ')} is the TCP port netctl's SSH connection to ${node.name} comes to: new connections to it would go to a pod, and netctl would be cut off`, fix: 'give the service another nodePort (netctl allocates them from nodePortRange, default 30000-32767)'};
}

function ipForwardCheck(observed: NodeObservation, own: ReadonlyMap<string, Link>): HostCheck {
  const value = observed.resources.get('sysctl net/ipv4/ip_forward');
  const on = value?.kind === 'sysctl' && value.value === '1';
  if (on) return {check: 'ip_forward', status: 'pass', detail: 'net.ipv4.ip_forward = 1'};
  const applied = own.size > 0;
  return {
    check: 'ip_forward',
    // On a node netctl built, forwarding off drops pod traffic between nodes now; before the first
    // apply it is how hosts come, and apply turns it on.
    status: applied ? 'fail' : 'warn',
    detail: applied ? 'net.ipv4.ip_forward = 0: the node drops pod traffic to and from other nodes' : 'net.ipv4.ip_forward = 0; apply turns it on',
    fix: 'netctl apply sets it to 1; to keep it over reboots and other tools: echo net.ipv4.ip_forward=1 > /etc/sysctl.d/90-netctl.conf',
  };
}

function rpFilterCheck(observed: NodeObservation, uplink: string | undefined, own: ReadonlyMap<string, Link>): HostCheck | undefined {
  const rp = observed.host.rpFilter;
  if (rp.size === 0) return undefined;
  // The kernel applies the larger of conf/all and conf/<interface>.
  const effective = (dev: string) => Math.max(rp.get('all') ?? 0, rp.get(dev) ?? 0);
  const devs = [...new Set([...(uplink === undefined ? [] : [uplink]), ...[...own.values()].filter((l) => l.type !== 'veth').map((l) => l.name)])];
  const strict = devs.filter((d) => effective(d) === 1);
  if (strict.length > 0) {
    return {check: 'rp_filter', status: 'warn', detail: `strict reverse-path filtering on ${strict.join(', ')}: pod packets that arrive on an interface other than the one their source is routed through (several uplinks, asymmetric routes) are dropped`, fix: 'set net.ipv4.conf.all.rp_filter and the interface\'s to 2 (loose) if pods talk across such paths'};
  }
  return {check: 'rp_filter', status: 'pass', detail: devs.length === 0 ? 'off or loose' : devs.map((d) => `${d} ${effective(d) === 2 ? 'loose' : 'off'}`).join(', ')};
}

/** The failures plan and apply stop at, as the node's error lines. */
export function blockingErrors(checks: readonly HostCheck[]): string[] {
  return checks.filter((c) => c.status === 'fail' && c.blocking === true).map((c) => (c.fix === undefined ? c.detail : `${c.detail}; ${c.fix}`));
}
