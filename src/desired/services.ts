/**
 * Services, after kube-proxy's iptables mode. In the nat table:
 * - NETCTL-SERVICES (from PREROUTING and OUTPUT): per service port, its cluster IP and port jump to
 *   the port's chain, and each of its external IPs (marked for masquerade) too; last, traffic to a
 *   local address goes on to NETCTL-NODEPORTS;
 * - NETCTL-NODEPORTS: per node port, mark for masquerade and jump to the port's chain;
 * - NETCTL-SVC-<hash> per service port: mark traffic from outside the cluster for masquerade, check
 *   ClientIP affinity, then pick an endpoint at random with probabilities 1/n, 1/(n-1), ... 1, so
 *   each gets an equal share;
 * - NETCTL-SEP-<hash> per endpoint: mark hairpin traffic (an endpoint reaching itself), record the
 *   client for affinity, DNAT to endpoint:targetPort;
 * - NETCTL-MARK-MASQ sets the mark; NETCTL-POSTROUTING-SVC (from POSTROUTING) masquerades marked packets.
 * In the filter table, NETCTL-REJECT rejects connections to service ports without endpoints at
 * once, as kube-proxy does. Chain names hash the service/port/endpoint identity, and every rule's
 * comment names its service, port and endpoint, so plans can speak of them.
 *
 * Traffic policies `Local` (Kubernetes' internalTrafficPolicy and externalTrafficPolicy) add chains
 * per node and replace some of these rules (traffic-policy.ts); trafficDistribution PreferSameNode
 * adds rules before the balancing ones that send a client on a node with endpoints to that node's
 * chain (traffic-distribution.ts). With internalTrafficPolicy Local, node
 * ports (with an externalTrafficPolicy of Cluster) and external IPs balance over every endpoint in
 * NETCTL-EXT-<hash>.
 */
import {formatAddress, formatCidr} from '../net/ipv4.js';
import type {IptablesResource} from '../resources/iptables.js';
import type {Sysctl} from '../resources/model.js';
import type {ClusterNetwork, Service, ServicePort} from '../spec/types.js';
import {namespacedName} from '../spec/namespaces.js';
import {perCluster} from './context.js';
import {endpointText, hashedChain, NOT_LOOPBACK, ownChain} from './iptables.js';
import {sameNodeRules} from './traffic-distribution.js';
import {localRules, nodeChains, nodeEndpoints, type NodeEndpoints} from './traffic-policy.js';

export const SERVICES_CHAIN = 'NETCTL-SERVICES';
export const NODEPORTS_CHAIN = 'NETCTL-NODEPORTS';
export const MARK_MASQ_CHAIN = 'NETCTL-MARK-MASQ';
export const SERVICE_POSTROUTING_CHAIN = 'NETCTL-POSTROUTING-SVC';
export const REJECT_CHAIN = 'NETCTL-REJECT';
/** The packet mark that asks for masquerade (kube-proxy's 0x4000). */
const MASQ_MARK = '0x4000/0x4000';

const comment = (text: string) => ['-m', 'comment', '--comment', `netctl: ${text}`];

/** Chains of one service port or one endpoint: their names carry a hash of what they serve. */
export const HASHED_CHAIN = /^NETCTL-(SVC|SEP|SVL|EXT)-[0-9A-F]{16}$/;

/** `web/http`, or `web/tcp-80` for an unnamed port; `shop/web/http` outside the default namespace. */
export function portLabel(service: Service, port: ServicePort): string {
  return `${namespacedName(service.namespace, service.name)}/${port.name ?? `${port.protocol.toLowerCase()}-${port.port}`}`;
}

export function serviceChain(service: Service, port: ServicePort): string {
  return hashedChain('NETCTL-SVC-', `${namespacedName(service.namespace, service.name)}/${port.protocol}/${port.port}/${port.name ?? ''}`);
}

/** The chain of a service port's node-port traffic from outside, when it differs from the cluster IP's. */
export function externalChain(service: Service, port: ServicePort): string {
  return hashedChain('NETCTL-EXT-', `${namespacedName(service.namespace, service.name)}/${port.protocol}/${port.port}/${port.name ?? ''}`);
}

export function endpointChain(service: Service, port: ServicePort, endpoint: string): string {
  return hashedChain('NETCTL-SEP-', `${namespacedName(service.namespace, service.name)}/${port.protocol}/${port.port}/${port.name ?? ''}/${endpoint}`);
}

/** The probability iptables stores (a 31-bit fraction) and prints back (%.11f) for 1/n. */
export function probability(n: number): string {
  return (Math.round(0x80000000 / n) / 0x80000000).toFixed(11);
}

/** Services with a virtual IP: headless ones (clusterIP: None) exist only in DNS. */
export const virtualServices = perCluster((cluster: ClusterNetwork) =>
  cluster.services.filter((s): s is Service & {clusterIP: number} => s.clusterIP !== undefined));

export function hasServices(cluster: ClusterNetwork): boolean {
  return virtualServices(cluster).length > 0;
}

/** Replies of pods on one bridge to a service client on the same bridge must pass iptables to be un-NATed. */
export function serviceSysctls(cluster: ClusterNetwork): Sysctl[] {
  if (!hasServices(cluster) || cluster.mode === 'underlay') return [];
  return [{kind: 'sysctl', ns: '', key: 'net/bridge/bridge-nf-call-iptables', value: '1'}];
}

export function services(cluster: ClusterNetwork): IptablesResource[] {
  if (!hasServices(cluster)) return [];
  const pods = formatCidr(cluster.clusterCIDR);
  const serviceRules: string[][] = [];
  const nodePortRules: string[][] = [];
  const rejectRules: string[][] = [];
  const chains: IptablesResource[] = [];

  for (const service of virtualServices(cluster)) {
    const clusterIP = `${formatAddress(service.clusterIP)}/32`;
    const externalIPs = service.externalIPs.map((ip) => `${formatAddress(ip)}/32`);
    for (const port of service.ports) {
      const label = portLabel(service, port);
      const proto = port.protocol.toLowerCase();
      const match = (dport: number) => ['-m', proto, '--dport', String(dport)];
      const endpoints = port.endpoints.map(endpointText);
      const nodePortMatch = port.nodePort === undefined ? [] : match(port.nodePort);
      if (endpoints.length === 0) {
        rejectRules.push(['-d', clusterIP, '-p', proto, ...comment(`${label} has no endpoints`), ...match(port.port), '-j', 'REJECT', '--reject-with', 'icmp-port-unreachable']);
        if (port.nodePort !== undefined) {
          rejectRules.push([...NOT_LOOPBACK, '-p', proto, ...comment(`${label} has no endpoints`), '-m', 'addrtype', '--dst-type', 'LOCAL', ...nodePortMatch, '-j', 'REJECT', '--reject-with', 'icmp-port-unreachable']);
        }
        for (const ip of externalIPs) {
          rejectRules.push(['-d', ip, '-p', proto, ...comment(`${label} has no endpoints`), ...match(port.port), '-j', 'REJECT', '--reject-with', 'icmp-port-unreachable']);
        }
        continue;
      }
      const chain = serviceChain(service, port);
      const affinity = service.sessionAffinity === 'ClientIP';
      const seconds = String(service.sessionAffinityTimeout);
      const sepChains = new Map(endpoints.map((endpoint) => [endpoint, endpointChain(service, port, endpoint)]));
      const sepOf = (endpoint: string) => sepChains.get(endpoint)!;
      const recent = (endpoint: string, ...how: string[]) => ['-m', 'recent', ...how, '--name', sepOf(endpoint), '--mask', '255.255.255.255', '--rsource'];
      /** Rules that send a connection to one of these endpoints: the client's own under affinity, else one at random. */
      const balance = (over: readonly string[]): string[][] => {
        const rules: string[][] = [];
        if (affinity) {
          for (const endpoint of over) rules.push([...comment(`${label} -> ${endpoint}`), ...recent(endpoint, '--rcheck', '--seconds', seconds, '--reap'), '-j', sepOf(endpoint)]);
        }
        over.forEach((endpoint, i) => {
          const left = over.length - i;
          const pick = left > 1 ? ['-m', 'statistic', '--mode', 'random', '--probability', probability(left)] : [];
          rules.push([...comment(`${label} -> ${endpoint}`), ...pick, '-j', sepOf(endpoint)]);
        });
        return rules;
      };
      const policed = {
        service, port, clusterIP, chain, balance, match, protocol: ['-p', proto], markMasquerade: MARK_MASQ_CHAIN,
        said: (role: string) => comment(`${label} ${role}`),
      };
      let nodes: readonly NodeEndpoints[] | undefined;
      const nodesOf = () => (nodes ??= nodeEndpoints(cluster, policed));
      const local = localRules(cluster, policed, nodesOf);
      const sameNode = sameNodeRules(policed, nodesOf, local);
      if (local.usesNodeChains || sameNode !== undefined) chains.push(...nodeChains(policed, nodesOf()));
      rejectRules.push(...local.drop);

      // Traffic from outside the cluster balances over every endpoint: through the cluster IP's chain,
      // or one of its own when that chain balances per node (internalTrafficPolicy Local).
      const outside = local.clusterIP === undefined ? chain : externalChain(service, port);
      if (outside !== chain && ((port.nodePort !== undefined && local.nodePort === undefined) || externalIPs.length > 0)) {
        chains.push(...ownChain('nat', outside, undefined, balance(endpoints)));
      }
      serviceRules.push(['-d', clusterIP, '-p', proto, ...comment(`${label} cluster IP`), ...match(port.port), '-j', chain]);
      for (const ip of externalIPs) {
        serviceRules.push(
          ['-d', ip, '-p', proto, ...comment(`${label} external IP`), ...match(port.port), '-j', MARK_MASQ_CHAIN],
          ['-d', ip, '-p', proto, ...comment(`${label} external IP`), ...match(port.port), '-j', outside],
        );
      }
      chains.push(...ownChain('nat', chain, undefined, [
        ['!', '-s', pods, '-d', clusterIP, '-p', proto, ...comment(`${label} cluster IP`), ...match(port.port), '-j', MARK_MASQ_CHAIN],
        ...(local.clusterIP ?? [...(sameNode?.clusterIP ?? []), ...balance(endpoints)]),
      ]));
      if (local.nodePort !== undefined) {
        nodePortRules.push(...local.nodePort);
      } else if (port.nodePort !== undefined) {
        nodePortRules.push(
          ['-p', proto, ...comment(`${label} node port`), ...nodePortMatch, '-j', MARK_MASQ_CHAIN],
          ...(sameNode?.nodePort ?? []),
          ['-p', proto, ...comment(`${label} node port`), ...nodePortMatch, '-j', outside],
        );
      }
      for (const endpoint of endpoints) {
        const ip = endpoint.slice(0, endpoint.indexOf(':'));
        chains.push(...ownChain('nat', sepOf(endpoint), undefined, [
          ['-s', `${ip}/32`, ...comment(`${label} -> ${endpoint}`), '-j', MARK_MASQ_CHAIN],
          ['-p', proto, ...comment(`${label} -> ${endpoint}`), ...(affinity ? recent(endpoint, '--set') : []), '-m', proto, '-j', 'DNAT', '--to-destination', endpoint],
        ]));
      }
    }
  }
  serviceRules.push([...NOT_LOOPBACK, ...comment('node ports'), '-m', 'addrtype', '--dst-type', 'LOCAL', '-j', NODEPORTS_CHAIN]);

  return [
    ...ownChain('nat', SERVICES_CHAIN, ['PREROUTING', 'OUTPUT'], serviceRules),
    ...ownChain('nat', NODEPORTS_CHAIN, undefined, nodePortRules),
    ...ownChain('nat', MARK_MASQ_CHAIN, undefined, [['-j', 'MARK', '--set-xmark', MASQ_MARK]]),
    ...ownChain('nat', SERVICE_POSTROUTING_CHAIN, ['POSTROUTING'], [
      ['-m', 'mark', '!', '--mark', MASQ_MARK, '-j', 'RETURN'],
      ['-j', 'MARK', '--set-xmark', '0x4000/0x0'],
      [...comment('masquerade service traffic'), '-j', 'MASQUERADE', '--random-fully'],
    ]),
    ...ownChain('filter', REJECT_CHAIN, ['INPUT', 'OUTPUT'], rejectRules),
    ...chains,
  ];
}
