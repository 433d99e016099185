/**
 * Semantic checks and resolution: from a schema-valid SpecDocument to a ClusterNetwork with every
 * default filled in and every address allocated, or diagnostics saying what is wrong and where.
 */
import {
  cidrContaining,
  contains,
  containsCidr,
  formatAddress,
  formatCidr,
  overlaps,
  parseAddress,
  parseCidr,
  type Cidr,
} from '../net/ipv4.js';
import {allocateAddresses, allocatePodCIDRs} from './allocate.js';
import {error, servicePath, warning, type Diagnostic, type SpecPath} from './diagnostics.js';
import {suggest} from './suggest.js';
import {
  DEFAULTS,
  MIN_MTU,
  VXLAN_OVERHEAD,
  type ClusterNetwork,
  type Labels,
  type Node,
  type Pod,
  type Service,
  type ContainerPort,
  type Endpoint,
  type ServiceDocument,
  type ServicePortDocument,
  type SpecDocument,
} from './types.js';
import {checkDnsNames, checkSubdomains, resolveDns} from './dns.js';
import {checkExternalIPs} from './external-ips.js';
import {checkTrafficDistribution} from './traffic-distribution.js';
import {checkIpFamilies, clusterIPPath, withClusterIP} from './ip-families.js';
import {resolveNamespaces, namespacedName, podRef} from './namespaces.js';
import {allocateNodePorts, checkServiceType} from './service-types.js';
import {specialAddress} from './special-ips.js';
import {checkPolicyPortNames} from './policy-port-names.js';
import {resolvePolicies} from './policies.js';
import {portEndpoints, resolvePodPorts} from './ports.js';
import {resolveProbe} from './probes.js';
import {resolvePodDns} from './pod-dns.js';

export interface CompileResult {
  /** Set when the spec has no errors (warnings allowed). */
  readonly cluster: ClusterNetwork | undefined;
  readonly diagnostics: Diagnostic[];
}

const SPEC = ['spec'] as const;
const nodePath = (i: number, ...rest: string[]): SpecPath => [...SPEC, 'nodes', i, ...rest];
const podPath = (i: number, ...rest: string[]): SpecPath => [...SPEC, 'pods', i, ...rest];

export function compileSpec(document: SpecDocument): CompileResult {
  const diagnostics: Diagnostic[] = [];
  const report = (d: Diagnostic) => diagnostics.push(d);
  const spec = document.spec;
  const pods = spec.pods ?? [];
  // As written, and with the cluster IP that `clusterIPs` gives when `clusterIP` is not written.
  const writtenServices = spec.services ?? [];
  const services = writtenServices.map(withClusterIP);
  const mtu = spec.mtu ?? DEFAULTS.mtu;
  const maskSize = spec.nodeCIDRMaskSize ?? DEFAULTS.nodeCIDRMaskSize;

  const clusterCIDR = cidrOf(spec.clusterCIDR, [...SPEC, 'clusterCIDR'], 'clusterCIDR', report);
  const serviceCIDR = spec.serviceCIDR === undefined
    ? undefined
    : cidrOf(spec.serviceCIDR, [...SPEC, 'serviceCIDR'], 'serviceCIDR', report);
  if (spec.serviceCIDR === undefined && services.length > 0) {
    report(error('cidr-outside', [...SPEC, 'services'], 'services need spec.serviceCIDR, the range cluster IPs are taken from (for example 10.96.0.0/16)'));
  }
  if (clusterCIDR !== undefined && serviceCIDR !== undefined && overlaps(clusterCIDR, serviceCIDR)) {
    report(error('cidr-overlap', [...SPEC, 'serviceCIDR'], `serviceCIDR ${formatCidr(serviceCIDR)} overlaps clusterCIDR ${formatCidr(clusterCIDR)}; pod and service addresses must not share a range`));
  }
  const allocatesPodCIDRs = spec.nodes.some((n) => n.podCIDR === undefined);
  if (clusterCIDR !== undefined && allocatesPodCIDRs && maskSize < clusterCIDR.prefix) {
    report(error('cidr-too-small', [...SPEC, 'nodeCIDRMaskSize'], `nodeCIDRMaskSize ${maskSize} is shorter than clusterCIDR's /${clusterCIDR.prefix}; node pod CIDRs are carved out of clusterCIDR, so use ${clusterCIDR.prefix} or more`));
  }
  if (spec.mode === 'overlay' && mtu - VXLAN_OVERHEAD < MIN_MTU) {
    report(error('mtu', [...SPEC, 'mtu'], `mtu ${mtu} leaves ${mtu - VXLAN_OVERHEAD} for pods after the ${VXLAN_OVERHEAD}-byte VXLAN header; overlay needs mtu ${MIN_MTU + VXLAN_OVERHEAD} or more`));
  }
  const nodePortRange = portRangeOf(spec.nodePortRange ?? DEFAULTS.nodePortRange, report);

  // Nodes
  const nodeIndex = new Map<string, number>();
  const addressOwner = new Map<number, number>();
  const addresses: ({address: number; prefix: number | undefined} | undefined)[] = [];
  const pinnedPodCIDRs: (Cidr | undefined)[] = [];
  let localNode: number | undefined;
  spec.nodes.forEach((node, i) => {
    firstUse(nodeIndex, node.name, i, nodePath(i, 'name'), 'node', 'nodes', report);
    const [addressText = '', prefixText] = node.address.split('/');
    const address = parseAddress(addressText);
    if (address === undefined) {
      report(error('duplicate-address', nodePath(i, 'address'), `${node.address} is not a valid IPv4 address`));
      addresses.push(undefined);
    } else {
      addresses.push({address, prefix: prefixText === undefined ? undefined : Number(prefixText)});
      const owner = addressOwner.get(address);
      if (owner === undefined) addressOwner.set(address, i);
      else report(error('duplicate-address', nodePath(i, 'address'), `address ${addressText} is already used by node ${spec.nodes[owner]?.name ?? ''} (spec.nodes[${owner}])`));
      if (clusterCIDR !== undefined && contains(clusterCIDR, address)) {
        report(error('cidr-overlap', nodePath(i, 'address'), `node address ${addressText} lies inside clusterCIDR ${formatCidr(clusterCIDR)}; pod addresses must not collide with node addresses`));
      }
      if (serviceCIDR !== undefined && contains(serviceCIDR, address)) {
        report(error('cidr-overlap', nodePath(i, 'address'), `node address ${addressText} lies inside serviceCIDR ${formatCidr(serviceCIDR)}; cluster IPs must not collide with node addresses`));
      }
    }
    const podCIDR = node.podCIDR === undefined ? undefined : cidrOf(node.podCIDR, nodePath(i, 'podCIDR'), 'podCIDR', report);
    pinnedPodCIDRs.push(podCIDR);
    if (podCIDR !== undefined && clusterCIDR !== undefined && !containsCidr(clusterCIDR, podCIDR)) {
      report(error('cidr-outside', nodePath(i, 'podCIDR'), `podCIDR ${formatCidr(podCIDR)} is not inside clusterCIDR ${formatCidr(clusterCIDR)}`));
    }
    if (podCIDR !== undefined && podCIDR.prefix > 30) {
      report(error('cidr-too-small', nodePath(i, 'podCIDR'), `podCIDR ${formatCidr(podCIDR)} has no room for a pod after its network, gateway and broadcast addresses; use /30 or shorter`));
    }
    if ((node.transport ?? DEFAULTS.transport) === 'local') {
      if (localNode === undefined) localNode = i;
      else report(error('transport', nodePath(i, 'transport'), `only one node can use transport: local (it is the machine netctl runs on); spec.nodes[${localNode}] already does`));
    }
  });
  reportOverlappingPodCIDRs(pinnedPodCIDRs, spec.nodes.map((n) => n.name), report);
  if (spec.mode !== 'overlay') checkOneSubnet(document, addresses, report);

  // Node pod CIDRs: pinned ones as written, the others allocated.
  const podCIDRs: (Cidr | undefined)[] = [...pinnedPodCIDRs];
  if (clusterCIDR !== undefined && maskSize >= clusterCIDR.prefix) {
    const unpinned = spec.nodes.map((n, i) => ({n, i})).filter(({n}) => n.podCIDR === undefined);
    const allocation = allocatePodCIDRs(
      clusterCIDR,
      maskSize,
      pinnedPodCIDRs.filter((c): c is Cidr => c !== undefined),
      unpinned.map(({n}) => n.name),
    );
    unpinned.forEach(({i}, k) => (podCIDRs[i] = allocation.cidrs[k]));
    if (unpinned.length > allocation.free) {
      report(error('cidr-too-small', [...SPEC, 'clusterCIDR'], `clusterCIDR ${formatCidr(clusterCIDR)} holds ${allocation.slots} pod CIDRs of /${maskSize}` +
        (allocation.free < allocation.slots ? ` (${allocation.free} left after the pinned ones)` : '') +
        `, but ${unpinned.length} nodes need one; use a larger clusterCIDR or a larger nodeCIDRMaskSize`));
    }
  }
  if (spec.mode === 'underlay') checkUnderlay(document, addresses, podCIDRs, report);

  // Pods
  const podIndex = new Map<string, number>();
  const podIPOwner = new Map<number, number>();
  const pinnedPodIPs: (number | undefined)[] = [];
  pods.forEach((pod, i) => {
    // As in Kubernetes, a pod's name is unique within its namespace.
    const earlier = podIndex.get(podRef(pod));
    if (earlier === undefined) podIndex.set(podRef(pod), i);
    else report(error('duplicate-name', podPath(i, 'name'), `pod name ${pod.name} is already used in namespace ${pod.namespace ?? DEFAULTS.namespace} by spec.pods[${earlier}]; pod names must be unique within a namespace`));
    const nodeAt = nodeIndex.get(pod.node);
    if (nodeAt === undefined) {
      const hint = suggest(pod.node, [...nodeIndex.keys()]);
      report(error('unknown-node', podPath(i, 'node'), `pod ${podRef(pod)} runs on node ${pod.node}, which the spec does not define${hint === undefined ? '' : ` (did you mean ${hint}?)`}`));
    }
    const ip = pod.ip === undefined ? undefined : parseAddress(pod.ip);
    pinnedPodIPs.push(ip);
    if (ip === undefined) return;
    const owner = podIPOwner.get(ip);
    if (owner === undefined) podIPOwner.set(ip, i);
    else report(error('pod-ip', podPath(i, 'ip'), `pod IP ${formatAddress(ip)} is already used by pod ${pods[owner]?.name ?? ''} (spec.pods[${owner}])`));
    const podCIDR = nodeAt === undefined ? undefined : podCIDRs[nodeAt];
    if (nodeAt === undefined || podCIDR === undefined) return;
    const origin = spec.nodes[nodeAt]?.podCIDR === undefined ? ' (allocated; set the node\'s podCIDR to choose it)' : '';
    if (!contains(podCIDR, ip)) {
      report(error('pod-ip', podPath(i, 'ip'), `pod IP ${formatAddress(ip)} is outside ${pod.node}'s podCIDR ${formatCidr(podCIDR)}${origin}`));
    } else if (ip === podCIDR.first) {
      report(error('pod-ip', podPath(i, 'ip'), `pod IP ${formatAddress(ip)} is the network address of ${pod.node}'s podCIDR ${formatCidr(podCIDR)}`));
    } else if (ip === podCIDR.first + 1) {
      report(error('pod-ip', podPath(i, 'ip'), `pod IP ${formatAddress(ip)} is the gateway of ${pod.node}'s podCIDR ${formatCidr(podCIDR)} (its first address, held by the node)`));
    } else if (ip === podCIDR.last) {
      report(error('pod-ip', podPath(i, 'ip'), `pod IP ${formatAddress(ip)} is the broadcast address of ${pod.node}'s podCIDR ${formatCidr(podCIDR)}`));
    }
  });
  const podIPs = allocatePodIPs(document, podCIDRs, nodeIndex, pinnedPodIPs, report);

  // Services
  const serviceIndex = new Map<string, number>();
  const clusterIPOwner = new Map<number, number>();
  const nodePortOwner = new Map<string, SpecPath>();
  const pinnedClusterIPs: (number | undefined)[] = [];
  services.forEach((service, i) => {
    const namespace = service.namespace ?? DEFAULTS.namespace;
    const earlier = serviceIndex.get(`${namespace}/${service.name}`);
    if (earlier === undefined) serviceIndex.set(`${namespace}/${service.name}`, i);
    else report(error('duplicate-name', servicePath(i, 'name'), `service name ${service.name} is already used in namespace ${namespace} by spec.services[${earlier}]; service names must be unique within a namespace`));
    if (service.clusterIP === HEADLESS) checkHeadless(service, i, report);
    checkServiceType(service, i, report);
    checkIpFamilies(writtenServices[i]!, i, report);
    checkExternalIPs(service, i, report);
    checkTrafficDistribution(service, i, report);
    if (service.sessionAffinityConfig !== undefined && service.sessionAffinity !== 'ClientIP') {
      report(error('affinity', servicePath(i, 'sessionAffinityConfig'), `service ${service.name}: sessionAffinityConfig must not be set when sessionAffinity is ${service.sessionAffinity ?? DEFAULTS.sessionAffinity} (as in Kubernetes)`));
    }
    const ip = service.clusterIP === undefined || service.clusterIP === HEADLESS ? undefined : parseAddress(service.clusterIP);
    pinnedClusterIPs.push(ip);
    const ipPath = clusterIPPath(writtenServices[i]!, i);
    if (ip !== undefined) {
      const owner = clusterIPOwner.get(ip);
      if (owner === undefined) clusterIPOwner.set(ip, i);
      else report(error('cluster-ip', ipPath, `cluster IP ${formatAddress(ip)} is already used by service ${services[owner]?.name ?? ''} (spec.services[${owner}])`));
      if (serviceCIDR !== undefined && !contains(serviceCIDR, ip)) {
        report(error('cluster-ip', ipPath, `cluster IP ${formatAddress(ip)} is outside serviceCIDR ${formatCidr(serviceCIDR)}`));
      } else if (serviceCIDR !== undefined && serviceCIDR.prefix < 31 && (ip === serviceCIDR.first || ip === serviceCIDR.last)) {
        report(error('cluster-ip', ipPath, `cluster IP ${formatAddress(ip)} is the ${ip === serviceCIDR.first ? 'network' : 'broadcast'} address of serviceCIDR ${formatCidr(serviceCIDR)}`));
      }
    }
    if (service.clusterIP !== HEADLESS && (service.ports ?? []).length === 0) {
      report(error('port', servicePath(i), `service ${service.name} needs at least one port: only a headless service (clusterIP: None) may have none, as in Kubernetes`));
    }
    checkServicePorts(service.ports ?? [], i, nodePortRange, nodePortOwner, report);
  });
  let clusterIPs: (number | undefined)[] = [];
  if (serviceCIDR !== undefined) {
    const unpinned = services.map((s, i) => ({s, i})).filter(({s}) => s.clusterIP === undefined);
    // Services of the default namespace are allocated by name alone, as before namespaces existed.
    const allocation = allocateAddresses('service', serviceCIDR, 1, 1, pinnedClusterIPs.filter((a): a is number => a !== undefined), unpinned.map(({s}) => namespacedName(s.namespace ?? DEFAULTS.namespace, s.name)));
    clusterIPs = [...pinnedClusterIPs];
    unpinned.forEach(({i}, k) => (clusterIPs[i] = allocation.addresses[k]));
    const pinnedInside = new Set(pinnedClusterIPs.filter((a): a is number => a !== undefined && contains(serviceCIDR, a))).size;
    if (unpinned.length > allocation.usable - pinnedInside) {
      report(error('cidr-too-small', [...SPEC, 'serviceCIDR'], `serviceCIDR ${formatCidr(serviceCIDR)} holds ${allocation.usable} cluster IPs, but the spec has ${services.length} services`));
    }
  }
  const nodePorts = nodePortRange === undefined ? [] : allocateNodePorts(services, nodePortRange, report);
  const podPorts = pods.map((pod, i) => resolvePodPorts(pod, podPath(i), report));
  const probes = pods.map((pod, i) => resolveProbe(pod, podPorts[i]!, podPath(i), report));
  const podDns = pods.map((pod, i) => resolvePodDns(pod, podPath(i), report));
  const endpoints = resolveEndpoints(document, podIPs, podPorts, report);
  const namespaces = resolveNamespaces(document, report);
  const dns = resolveDns(document, report);
  checkSubdomains(document, report);
  checkDnsNames(document, report);
  const networkPolicies = resolvePolicies(document, report);

  if (diagnostics.some((d) => d.severity === 'error') || clusterCIDR === undefined || nodePortRange === undefined) {
    return {cluster: undefined, diagnostics};
  }
  const nodes: Node[] = spec.nodes.map((node, i) => ({
    name: node.name,
    address: addresses[i]!.address,
    addressPrefix: addresses[i]!.prefix,
    interface: node.interface,
    podCIDR: podCIDRs[i]!,
    podCIDROrigin: node.podCIDR === undefined ? 'allocated' : 'spec',
    transport: node.transport ?? DEFAULTS.transport,
    ssh: {...spec.ssh, ...node.ssh},
  }));
  const resolvedPods: Pod[] = pods.map((pod, i) => ({
    name: pod.name,
    node: pod.node,
    namespace: pod.namespace ?? DEFAULTS.namespace,
    ip: podIPs[i]!,
    ipOrigin: pod.ip === undefined ? 'allocated' : 'spec',
    labels: pod.labels ?? {},
    hostname: pod.hostname,
    subdomain: pod.subdomain,
    ports: podPorts[i]!,
    readinessProbe: probes[i],
    ...podDns[i]!,
  }));
  const resolvedServices: Service[] = services.map((service, i) => ({
    name: service.name,
    namespace: service.namespace ?? DEFAULTS.namespace,
    clusterIP: service.clusterIP === HEADLESS ? undefined : clusterIPs[i]!,
    clusterIPOrigin: service.clusterIP === undefined ? 'allocated' : 'spec',
    selector: service.selector,
    endpoints: endpoints[i]!.ips,
    sessionAffinity: service.sessionAffinity ?? DEFAULTS.sessionAffinity,
    sessionAffinityTimeout: service.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? DEFAULTS.sessionAffinityTimeout,
    publishNotReadyAddresses: service.publishNotReadyAddresses ?? false,
    externalIPs: (service.externalIPs ?? []).map((ip) => parseAddress(ip)!),
    internalTrafficPolicy: service.internalTrafficPolicy ?? 'Cluster',
    externalTrafficPolicy: service.externalTrafficPolicy ?? 'Cluster',
    trafficDistribution: service.trafficDistribution,
    ports: (service.ports ?? []).map((port, j) => ({
      name: port.name,
      protocol: port.protocol ?? DEFAULTS.protocol,
      port: port.port,
      targetPort: port.targetPort ?? port.port,
      nodePort: nodePorts[i]?.[j],
      endpoints: endpoints[i]!.ports[j]!,
    })),
  }));
  const cluster: ClusterNetwork = {
    name: document.metadata.name,
    mode: spec.mode,
    clusterCIDR,
    serviceCIDR,
    nodeCIDRMaskSize: maskSize,
    mtu,
    podMTU: spec.mode === 'overlay' ? mtu - VXLAN_OVERHEAD : mtu,
    masquerade: spec.masquerade ?? DEFAULTS.masquerade,
    overlay: {vni: spec.overlay?.vni ?? DEFAULTS.vni, port: spec.overlay?.port ?? DEFAULTS.vxlanPort},
    underlay: {driver: spec.underlay?.driver ?? DEFAULTS.underlayDriver},
    nodePortRange,
    nodes,
    namespaces,
    pods: resolvedPods,
    services: resolvedServices,
    dns,
    networkPolicies,
  };
  checkPolicyPortNames(cluster, report);
  return {cluster, diagnostics};
}

type Report = (d: Diagnostic) => void;

function cidrOf(text: string, path: SpecPath, field: string, report: Report): Cidr | undefined {
  const parsed = parseCidr(text);
  if (parsed.ok) return parsed.cidr;
  if (parsed.reason === 'host-bits') {
    report(error('cidr-host-bits', path, `${field} ${text} has host bits set; did you mean ${parsed.network}?`));
  } else {
    report(error('cidr-host-bits', path, `${field} ${text} is not a valid IPv4 CIDR`));
  }
  return undefined;
}

function portRangeOf(text: string, report: Report): {first: number; last: number} | undefined {
  const [first = 0, last = 0] = text.split('-').map(Number);
  if (first < 1 || last > 65535 || first > last) {
    report(error('port', [...SPEC, 'nodePortRange'], `nodePortRange ${text} must be FIRST-LAST with 1 <= FIRST <= LAST <= 65535`));
    return undefined;
  }
  return {first, last};
}

function firstUse(
  seen: Map<string, number>,
  name: string,
  i: number,
  path: SpecPath,
  kind: string,
  list: string,
  report: Report,
): void {
  const earlier = seen.get(name);
  if (earlier === undefined) seen.set(name, i);
  else report(error('duplicate-name', path, `${kind} name ${name} is already used by spec.${list}[${earlier}]; ${kind} names must be unique`));
}

function reportOverlappingPodCIDRs(cidrs: readonly (Cidr | undefined)[], names: readonly string[], report: Report): void {
  const sorted = cidrs
    .map((cidr, i) => ({cidr, i}))
    .filter((x): x is {cidr: Cidr; i: number} => x.cidr !== undefined)
    .sort((a, b) => a.cidr.first - b.cidr.first || a.i - b.i);
  let widest: {cidr: Cidr; i: number} | undefined;
  for (const current of sorted) {
    if (widest !== undefined && overlaps(widest.cidr, current.cidr)) {
      const [earlier, later] = widest.i < current.i ? [widest, current] : [current, widest];
      report(error('cidr-overlap', nodePath(later.i, 'podCIDR'), `podCIDR ${formatCidr(later.cidr)} of node ${names[later.i] ?? ''} overlaps podCIDR ${formatCidr(earlier.cidr)} of node ${names[earlier.i] ?? ''} (spec.nodes[${earlier.i}])`));
    }
    if (widest === undefined || current.cidr.last > widest.cidr.last) widest = current;
  }
}

type NodeAddress = {address: number; prefix: number | undefined} | undefined;

/** Routing and underlay forward pod traffic to peers as next hops, so the nodes must share one layer-2 subnet. */
function checkOneSubnet(document: SpecDocument, addresses: readonly NodeAddress[], report: Report): void {
  const mode = document.spec.mode;
  const nodes = document.spec.nodes;
  const withPrefix = addresses.map((a, i) => ({a, i})).filter((x): x is {a: {address: number; prefix: number}; i: number} => x.a?.prefix !== undefined);
  const first = withPrefix[0];
  if (first === undefined || withPrefix.length < addresses.length) return;
  const subnet = cidrContaining(first.a.address, first.a.prefix);
  for (const {a, i} of withPrefix.slice(1)) {
    const own = cidrContaining(a.address, a.prefix);
    if (own.first !== subnet.first || own.prefix !== subnet.prefix) {
      report(error('layer2', nodePath(i, 'address'), `${mode} mode needs every node on one layer-2 subnet, but node ${nodes[i]?.name ?? ''} is in ${formatCidr(own)} and node ${nodes[first.i]?.name ?? ''} in ${formatCidr(subnet)}; use mode: overlay for nodes on different subnets`));
    }
  }
}

/** Underlay pods live on the node network: their CIDRs must lie in it, clear of the node addresses. */
function checkUnderlay(document: SpecDocument, addresses: readonly NodeAddress[], podCIDRs: readonly (Cidr | undefined)[], report: Report): void {
  const nodes = document.spec.nodes;
  addresses.forEach((a, i) => {
    const name = nodes[i]?.name ?? '';
    if (a === undefined) return;
    if (a.prefix === undefined) {
      report(error('underlay', nodePath(i, 'address'), `underlay mode needs the prefix of the node network in the address (like ${formatAddress(a.address)}/24), because pods take addresses from it`));
      return;
    }
    const podCIDR = podCIDRs[i];
    if (podCIDR === undefined) return;
    const subnet = cidrContaining(a.address, a.prefix);
    const where = nodes[i]?.podCIDR === undefined ? [...SPEC, 'clusterCIDR'] : nodePath(i, 'podCIDR');
    if (!containsCidr(subnet, podCIDR)) {
      report(error('underlay', where, `underlay mode puts pods on the node network, but node ${name}'s pod CIDR ${formatCidr(podCIDR)} is outside its subnet ${formatCidr(subnet)}`));
      return;
    }
    addresses.forEach((other, j) => {
      if (other !== undefined && contains(podCIDR, other.address)) {
        report(error('underlay', where, `node ${name}'s pod CIDR ${formatCidr(podCIDR)} contains the address ${formatAddress(other.address)} of node ${nodes[j]?.name ?? ''}; keep pod CIDRs away from node addresses`));
      }
    });
  });
}

function allocatePodIPs(
  document: SpecDocument,
  podCIDRs: readonly (Cidr | undefined)[],
  nodeIndex: ReadonlyMap<string, number>,
  pinned: readonly (number | undefined)[],
  report: Report,
): (number | undefined)[] {
  const pods = document.spec.pods ?? [];
  const ips = [...pinned];
  const byNode = new Map<number, number[]>();
  pods.forEach((pod, i) => {
    const node = nodeIndex.get(pod.node);
    if (node === undefined) return;
    const list = byNode.get(node) ?? [];
    list.push(i);
    byNode.set(node, list);
  });
  for (const [node, podIndexes] of byNode) {
    const range = podCIDRs[node];
    if (range === undefined) continue;
    const unpinned = podIndexes.filter((i) => pods[i]?.ip === undefined);
    if (unpinned.length === 0) continue;
    const pinnedHere = podIndexes.map((i) => pinned[i]).filter((a): a is number => a !== undefined);
    const allocation = allocateAddresses('pod', range, 2, 1, pinnedHere, unpinned.map((i) => podRef(pods[i]!)));
    unpinned.forEach((i, k) => (ips[i] = allocation.addresses[k]));
    const room = allocation.usable - new Set(pinnedHere.filter((a) => a >= range.first + 2 && a < range.last)).size;
    if (unpinned.length > room) {
      const nodeName = document.spec.nodes[node]?.name ?? '';
      report(error('cidr-too-small', nodePath(node, 'podCIDR'), `node ${nodeName}'s pod CIDR ${formatCidr(range)} holds ${allocation.usable} pod${allocation.usable === 1 ? '' : 's'}, but ${podIndexes.length} pods run on it; give it a larger podCIDR`));
    }
  }
  return ips;
}

function checkServicePorts(
  ports: readonly ServicePortDocument[],
  service: number,
  nodePortRange: {first: number; last: number} | undefined,
  nodePortOwner: Map<string, SpecPath>,
  report: Report,
): void {
  const names = new Map<string, number>();
  const numbers = new Map<string, number>();
  ports.forEach((port, j) => {
    const path = servicePath(service, 'ports', j);
    const protocol = port.protocol ?? DEFAULTS.protocol;
    if (port.name === undefined && ports.length > 1) {
      report(error('port', path, 'ports of a service with more than one port need a name'));
    }
    if (port.name !== undefined) {
      const earlier = names.get(port.name);
      if (earlier === undefined) names.set(port.name, j);
      else report(error('port', [...path, 'name'], `port name ${port.name} is already used by ports[${earlier}] of this service`));
    }
    const key = `${protocol}/${port.port}`;
    const earlier = numbers.get(key);
    if (earlier === undefined) numbers.set(key, j);
    else report(error('port', [...path, 'port'], `${protocol} port ${port.port} is already used by ports[${earlier}] of this service`));
    if (port.nodePort === undefined) return;
    if (nodePortRange !== undefined && (port.nodePort < nodePortRange.first || port.nodePort > nodePortRange.last)) {
      report(error('port', [...path, 'nodePort'], `nodePort ${port.nodePort} is outside nodePortRange ${nodePortRange.first}-${nodePortRange.last}`));
    }
    const nodePortKey = `${protocol}/${port.nodePort}`;
    const owner = nodePortOwner.get(nodePortKey);
    if (owner === undefined) nodePortOwner.set(nodePortKey, [...path, 'nodePort']);
    else report(error('port', [...path, 'nodePort'], `${protocol} nodePort ${port.nodePort} is already used by ${formatOwner(owner)}`));
  });
}

/** `clusterIP: None`: a headless service, which has no virtual IP to balance or open node ports on. */
const HEADLESS = 'None';

function checkHeadless(service: ServiceDocument, i: number, report: Report): void {
  (service.ports ?? []).forEach((port, j) => {
    if (port.nodePort !== undefined) {
      report(error('headless', servicePath(i, 'ports', j, 'nodePort'), `service ${service.name} is headless (clusterIP: None): it has no virtual IP, so no node port`));
    }
  });
  // Kubernetes accepts it, and it does nothing there either.
  if (service.sessionAffinity === 'ClientIP') {
    report(warning('headless', servicePath(i, 'sessionAffinity'), `service ${service.name} is headless (clusterIP: None): clients reach its pods directly, so sessionAffinity has no effect`));
  }
}

function formatOwner(path: SpecPath): string {
  return `spec.services[${String(path[2])}].ports[${String(path[4])}]`;
}

/**
 * Endpoints of every service: IPs of the pods of its namespace that its selector matches, then its
 * extra endpoints; and per port, the endpoint IPs with their resolved target port.
 */
function resolveEndpoints(
  document: SpecDocument,
  podIPs: readonly (number | undefined)[],
  podPorts: readonly (readonly ContainerPort[])[],
  report: Report,
): {ips: number[]; ports: Endpoint[][]}[] {
  const pods = document.spec.pods ?? [];
  const namespaceOf = (item: {namespace?: string}) => item.namespace ?? DEFAULTS.namespace;
  // "namespace label=value" -> indexes of the pods carrying it, so a selector costs its smallest posting list.
  const postings = new Map<string, number[]>();
  pods.forEach((pod, i) => {
    const namespace = namespaceOf(pod);
    for (const [key, value] of Object.entries(pod.labels ?? {})) {
      const label = `${namespace} ${key}=${value}`;
      const list = postings.get(label) ?? [];
      list.push(i);
      postings.set(label, list);
    }
  });
  return (document.spec.services ?? []).map((service, i) => {
    const namespace = namespaceOf(service);
    // As in Kubernetes, an empty selector is no selector (a service whose endpoints come from elsewhere), not every pod.
    const selector = service.selector !== undefined && Object.keys(service.selector).length > 0 ? service.selector : undefined;
    const matched = selector === undefined ? [] : matchSelector(selector, namespace, postings);
    const endpoints = service.endpoints ?? [];
    if (selector !== undefined && matched.length === 0) {
      report(warning('selector', servicePath(i, 'selector'), `the selector of service ${service.name} matches no pod in namespace ${namespace}`));
    } else if (service.selector !== undefined && selector === undefined && endpoints.length === 0) {
      report(warning('selector', servicePath(i, 'selector'), `the selector of service ${service.name} is empty, which selects no pod (as in Kubernetes: a service without a selector), and it has no endpoints, so nothing answers on it`));
    } else if (selector === undefined && endpoints.length === 0) {
      report(warning('selector', servicePath(i), `service ${service.name} has neither a selector nor endpoints, so nothing answers on it`));
    }
    const selected = matched.flatMap((p) => {
      const ip = podIPs[p];
      return ip === undefined ? [] : [{name: pods[p]!.name, ip, ports: podPorts[p] ?? []}];
    });
    const extra = (service.endpoints ?? []).map(parseAddress).filter((ip): ip is number => ip !== undefined);
    (service.endpoints ?? []).forEach((text, j) => {
      const address = parseAddress(text);
      const what = address === undefined ? undefined : specialAddress(address);
      if (what !== undefined) report(error('endpoint', servicePath(i, 'endpoints', j), `service ${service.name}: endpoint ${text} is ${what}, which Kubernetes refuses as an endpoint address: a node cannot send a service's traffic there`));
    });
    const ips = [...new Set([...selected.map((p) => p.ip), ...extra])].sort((a, b) => a - b);
    const ports = (service.ports ?? []).map((port, j) => portEndpoints(port, selected, extra, servicePath(i, 'ports', j), service.name, report));
    return {ips, ports};
  });
}

/** The pods carrying every label of a selector that has at least one. */
function matchSelector(selector: Labels, namespace: string, postings: ReadonlyMap<string, number[]>): number[] {
  const lists = Object.entries(selector).map(([key, value]) => postings.get(`${namespace} ${key}=${value}`) ?? []);
  lists.sort((a, b) => a.length - b.length);
  const [smallest = [], ...rest] = lists;
  const others = rest.map((list) => new Set(list));
  return smallest.filter((i) => others.every((set) => set.has(i)));
}
