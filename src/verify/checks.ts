/**
 * The connectivity checks of `netctl verify`, computed from the spec alone: pod to pod (one pod on
 * every other node and one on the same node), pod to node, node to pod, every service port on its
 * cluster IP (and node port) from a pod on another node, and a don't-fragment ping at the pod MTU
 * between nodes, the classic VXLAN MTU failure; with network policies, their truth table
 * (policy-checks.ts), and the other checks leave out what the policies refuse.
 */
import {formatAddress} from '../net/ipv4.js';
import {portLabel, virtualServices} from '../desired/services.js';
import type {HostTool} from '../host/packages.js';
import type {ClusterNetwork, Endpoint, Node, Pod, Protocol, Service} from '../spec/types.js';
import {withReadiness} from '../desired/readiness.js';
import {podNetns} from '../desired/names.js';
import {podRef} from '../spec/namespaces.js';
import {notReadyText, type NotReady} from '../plan/readiness.js';
import {isolated, policyChecks, policyServedPorts, reachesEndpoints} from './policy-checks.js';

export type CheckKind = 'ping' | 'mtu' | 'tcp' | 'udp' | 'dns' | 'nxdomain' | 'policy';

export interface Check {
  readonly id: string;
  readonly kind: CheckKind;
  /** The node the check runs on. */
  readonly node: string;
  /** The network namespace of the pod it runs in (podNetns), or undefined for the node itself. */
  readonly pod: string | undefined;
  readonly target: string;
  readonly port?: number;
  /** Payload size for the MTU ping: pod MTU less 28 bytes of IPv4 and ICMP headers. */
  readonly size?: number;
  readonly description: string;
  /** For a service check: the nodes of the service's endpoints, whose responders `--serve` starts. */
  readonly endpointNodes?: readonly string[];
  /** For a DNS check: the addresses the name must resolve to, sorted. */
  readonly expect?: readonly string[];
  /** For a service port without (ready) endpoints: the check passes when the connection is refused. */
  readonly refused?: boolean;
  /** For a policy check: whether the spec's policies allow the connection, and what decided. */
  readonly allowed?: boolean;
  readonly reason?: string;
}

/** The tools a check runs on its node (besides `ip`, which netctl itself needs there). */
export function toolsOf(check: Check): HostTool[] {
  switch (check.kind) {
    case 'ping':
    case 'mtu':
      return ['ping'];
    case 'tcp':
    case 'policy':
      return ['timeout', 'bash'];
    case 'udp':
      return ['timeout', 'bash', 'head'];
    case 'dns':
    case 'nxdomain':
      return ['timeout', 'getent'];
  }
}

/** Seconds within which a name that does not exist must be answered as such: at once, not after a timeout. */
export const NXDOMAIN_SECONDS = 1;

/** ICMP echo header (8) + IPv4 header (20). */
const PING_OVERHEAD = 28;

/**
 * The checks of these nodes. Services are checked as they serve now: without the endpoints of the pods
 * in `notReady` (their readiness probes failed), so a port left without endpoints must refuse.
 */
export function connectivityChecks(spec: ClusterNetwork, nodes: readonly string[], notReady: readonly NotReady[] = []): Check[] {
  const cluster = withReadiness(spec, new Set(notReady.map((n) => n.pod.ip)));
  const checks: Check[] = [];
  const podsOn = (node: string) => cluster.pods.filter((p) => p.node === node);
  const ip = (pod: Pod) => formatAddress(pod.ip);
  const add = (check: Omit<Check, 'id'>) => checks.push({...check, id: `c${checks.length + 1}`});
  // ipvlan and macvlan children cannot talk to their parent: there, pods and their node do not meet.
  const podsReachNode = !(cluster.mode === 'underlay' && cluster.underlay.driver !== 'routed');

  for (const node of cluster.nodes.filter((n) => nodes.includes(n.name))) {
    const address = formatAddress(node.address);
    for (const pod of podsOn(node.name)) {
      for (const other of cluster.nodes.filter((n) => n.name !== node.name)) {
        // Pings between pods that policies isolate would be refused: the policy checks cover them.
        const peer = podsOn(other.name).find((p) => !isolated(cluster, pod, p));
        if (peer === undefined) continue;
        add({kind: 'ping', node: node.name, pod: podNetns(pod), target: ip(peer), description: `pod ${podRef(pod)} → pod ${podRef(peer)} (${ip(peer)}) on ${other.name}`});
      }
      const neighbour = podsOn(node.name).find((p) => p !== pod && !isolated(cluster, pod, p));
      if (neighbour !== undefined) {
        add({kind: 'ping', node: node.name, pod: podNetns(pod), target: ip(neighbour), description: `pod ${podRef(pod)} → pod ${podRef(neighbour)} (${ip(neighbour)}) on the same node`});
      }
      if (podsReachNode) {
        add({kind: 'ping', node: node.name, pod: podNetns(pod), target: address, description: `pod ${podRef(pod)} → its node ${node.name} (${address})`});
        add({kind: 'ping', node: node.name, pod: undefined, target: ip(pod), description: `node ${node.name} → its pod ${podRef(pod)} (${ip(pod)})`});
      }
    }
    for (const other of cluster.nodes.filter((n) => n.name !== node.name)) {
      const first = podsOn(node.name).find((p) => podsOn(other.name).some((q) => !isolated(cluster, p, q)));
      const peer = first === undefined ? undefined : podsOn(other.name).find((q) => !isolated(cluster, first, q));
      if (first === undefined || peer === undefined) continue;
      add({
        kind: 'mtu', node: node.name, pod: podNetns(first), target: ip(peer), size: cluster.podMTU - PING_OVERHEAD,
        description: `path MTU ${cluster.podMTU}: pod ${podRef(first)} → pod ${podRef(peer)} on ${other.name}, don't fragment`,
      });
    }
  }

  for (const service of virtualServices(cluster)) {
    for (const port of service.ports) {
      const kind = port.protocol === 'UDP' ? 'udp' : 'tcp';
      const udp = kind === 'udp' ? '/udp' : '';
      const {endpointNodes, client} = serviceClient(cluster, service, nodes, port.endpoints, port.protocol);
      if (client === undefined) continue;
      const label = portLabel(service, port);
      const clusterIP = formatAddress(service.clusterIP);
      if (port.endpoints.length === 0) {
        const specified = spec.services.find((s) => s.namespace === service.namespace && s.name === service.name)!.endpoints;
        const waiting = notReady.filter((n) => specified.includes(n.pod.ip)).map(notReadyText);
        add({
          kind, node: client.node, pod: podNetns(client), target: clusterIP, port: port.port, refused: true,
          description: `service ${label} has no endpoints${waiting.length === 0 ? '' : ` (${waiting.join('; ')})`}: pod ${podRef(client)} → ${clusterIP}:${port.port}${udp} refused`,
        });
        continue;
      }
      add({kind, node: client.node, pod: podNetns(client), target: clusterIP, port: port.port, endpointNodes, description: `service ${label}: pod ${podRef(client)} → ${clusterIP}:${port.port}${udp}`});
      if (port.nodePort !== undefined && !policiesOnPath(cluster, client, port.endpoints)) {
        const other = nodePortTarget(cluster, service, client, endpointNodes);
        const address = formatAddress(other.address);
        add({kind, node: client.node, pod: podNetns(client), target: address, port: port.nodePort, endpointNodes, description: `service ${label}: pod ${podRef(client)} → node port ${address}:${port.nodePort}${udp} on ${other.name}`});
      }
    }
  }
  if (cluster.dns !== undefined) checks.push(...dnsChecks(cluster, nodes, checks.length));
  checks.push(...policyChecks(cluster, nodes, checks.length));
  return checks;
}

/**
 * Whether policies isolate a node-port check's client (egress) or an endpoint (ingress). Through a node
 * port of another node the endpoint does not see the client pod's address but a node's (masqueraded by
 * the client's node, or by the node port's on the way to an endpoint elsewhere), which only the policy
 * checks' own reasoning could predict: the check is made only where no policy is on the path.
 */
function policiesOnPath(cluster: ClusterNetwork, client: Pod, endpoints: readonly Endpoint[] = []): boolean {
  return isolated(cluster, client, undefined) || endpoints.some((e) => isolated(cluster, undefined, cluster.pods.find((p) => p.ip === e.ip)));
}

/**
 * The node whose node port a service check connects to: another node than the client's. Under
 * externalTrafficPolicy Local that traffic arrives from outside the node (masqueraded), so only a node
 * with an endpoint answers; without another such node, the client's own, which it reaches as the
 * cluster IP.
 */
function nodePortTarget(cluster: ClusterNetwork, service: Service, client: Pod, endpointNodes: readonly string[]): Node {
  const others = cluster.nodes.filter((n) => n.name !== client.node);
  if (service.externalTrafficPolicy !== 'Local') return others[0] ?? cluster.nodes[0]!;
  return others.find((n) => endpointNodes.includes(n.name)) ?? cluster.nodes.find((n) => n.name === client.node)!;
}

/**
 * The nodes of a service's endpoints, and the pod its checks run from: one on a node without an
 * endpoint, when there is one; else any pod; in either case one the policies let reach every endpoint
 * of the port (`endpoints`), or none. With internalTrafficPolicy Local, only a pod beside an endpoint
 * is answered, so the client is one of those.
 */
function serviceClient(cluster: ClusterNetwork, service: Service, nodes: readonly string[], endpoints: readonly Endpoint[] = [], protocol: Protocol = 'TCP', eligible: (pod: Pod) => boolean = () => true): {endpointNodes: string[]; client: Pod | undefined} {
  const endpointNodes = [...new Set(cluster.pods.filter((p) => service.endpoints.includes(p.ip)).map((p) => p.node))];
  const candidates = cluster.pods.filter((p) => nodes.includes(p.node) && eligible(p) && reachesEndpoints(cluster, p, endpoints, protocol));
  const beside = (p: Pod) => endpointNodes.includes(p.node);
  const client = service.internalTrafficPolicy === 'Local' ? candidates.find(beside) : candidates.find((p) => !beside(p)) ?? candidates[0];
  return {endpointNodes, client};
}

/**
 * A name as looked up: absolute (a final dot), so the pod's search path is not tried first. A full
 * cluster name has fewer dots than ndots (5), so a resolver would try it under every search domain
 * before itself, the node's own domains among them, whose lookups go upstream: on a node whose
 * upstream does not answer, each check would wait for the resolver's timeout.
 */
const absolute = (name: string) => `${name}.`;

/** A pod whose resolv.conf sends its lookups to cluster DNS first (dnsPolicy None and Default do not). */
const usesClusterDns = (pod: Pod) => pod.dnsPolicy === 'ClusterFirst';

/**
 * From a pod (as the service checks choose it) that uses cluster DNS, every service name resolves to its cluster IP (a
 * headless one to its endpoints), a TCP connection to the name works, and a name that does not exist
 * in the cluster domain fails at once.
 */
function dnsChecks(cluster: ClusterNetwork, nodes: readonly string[], numbered: number): Check[] {
  const domain = cluster.dns!.domain;
  const checks: Check[] = [];
  const add = (check: Omit<Check, 'id'>) => checks.push({...check, id: `c${numbered + checks.length + 1}`});
  for (const service of cluster.services) {
    const {endpointNodes, client} = serviceClient(cluster, service, nodes, [], 'TCP', usesClusterDns);
    if (client === undefined) continue;
    const name = `${service.name}.${service.namespace}.svc.${domain}`;
    const expect = (service.clusterIP === undefined ? [...service.endpoints] : [service.clusterIP]).sort((a, b) => a - b).map(formatAddress);
    // A headless service without (ready) endpoints has no address to answer with.
    if (expect.length === 0) continue;
    add({kind: 'dns', node: client.node, pod: podNetns(client), target: absolute(name), expect, description: `dns ${name} → ${expect.join(' ')}: from pod ${podRef(client)}`});
    if (service.clusterIP === undefined) continue;
    for (const port of service.ports.filter((p) => p.protocol === 'TCP' && p.endpoints.length > 0 && reachesEndpoints(cluster, client, p.endpoints))) {
      add({kind: 'tcp', node: client.node, pod: podNetns(client), target: absolute(name), port: port.port, endpointNodes, description: `service ${portLabel(service, port)} by name: pod ${podRef(client)} → ${name}:${port.port}`});
    }
  }
  const client = cluster.pods.find((p) => nodes.includes(p.node) && usesClusterDns(p));
  if (client !== undefined) {
    const name = `netctl-verify-no-such-name.${client.namespace}.svc.${domain}`;
    add({kind: 'nxdomain', node: client.node, pod: podNetns(client), target: absolute(name), description: `dns ${name} does not exist, answered within ${NXDOMAIN_SECONDS} s: from pod ${podRef(client)}`});
  }
  return checks;
}

/** A port a pod must answer on for the checks (`--serve` starts a responder there). */
export interface ServedPort {
  readonly port: number;
  readonly protocol: Protocol;
}

/** The ports each pod (by its network namespace) must answer on for the service and policy checks to find a listener (`--serve`). */
export function servedPorts(cluster: ClusterNetwork, checks: readonly Check[] = []): Map<string, ServedPort[]> {
  // Each pod's ports by `PROTOCOL PORT`, so that a port two checks need is served once.
  const served = new Map<string, Map<string, ServedPort>>();
  const serve = (pod: string, port: ServedPort) => {
    const ports = served.get(pod) ?? new Map<string, ServedPort>();
    ports.set(`${port.protocol} ${port.port}`, port);
    served.set(pod, ports);
  };
  for (const [pod, ports] of policyServedPorts(checks, cluster)) for (const port of ports) serve(pod, {port, protocol: 'TCP'});
  const podAt = new Map(cluster.pods.map((p) => [p.ip, p]));
  for (const service of virtualServices(cluster)) {
    for (const port of service.ports) {
      for (const endpoint of port.endpoints) {
        const pod = podAt.get(endpoint.ip);
        if (pod !== undefined) serve(podNetns(pod), {port: endpoint.port, protocol: port.protocol});
      }
    }
  }
  return new Map([...served].map(([pod, ports]) => [pod, [...ports.values()].sort((a, b) => a.port - b.port || (a.protocol < b.protocol ? -1 : 1))]));
}
