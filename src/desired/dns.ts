/**
 * Cluster DNS, per the Kubernetes DNS specification: for every service `<svc>.<ns>.svc.<domain>` (A to
 * its cluster IP; headless: A to each ready endpoint, and `<hostname>.<svc>.<ns>.svc.<domain>`), SRV
 * `_<port>._<proto>.<svc>.<ns>.svc.<domain>` for named ports, PTR for cluster IPs and pod IPs, and
 * `<a-b-c-d>.<ns>.pod.<domain>` for every pod. The zone is the same on every node; each node serves it
 * on its pods' gateway, and each pod's resolv.conf points there.
 */
import {formatAddress, formatCidr, type Cidr} from '../net/ipv4.js';
import type {DnsHosts, DnsServer, PodResolver, SrvRecord} from '../resources/dns.js';
import type {IptablesResource} from '../resources/iptables.js';
import {dnsNameProblem} from '../spec/dns.js';
import type {ClusterNetwork, Node, Pod} from '../spec/types.js';
import {perCluster, type NodeContext} from './context.js';
import {comment, ownChain} from './iptables.js';
import {BRIDGE, VETH_PREFIX} from './names.js';
import {podResolvers, type ResolverFacts} from './pod-resolvers.js';

const dashed = (ip: number) => formatAddress(ip).replace(/\./g, '-');

/**
 * The name of an endpoint pod under a headless service. As in Kubernetes, a pod whose `subdomain` is
 * the service is `<hostname>` there, and one without a hostname for it gets its dashed IP (CoreDNS's
 * name for an endpoint without a hostname). A pod without a subdomain is named as a StatefulSet's pods
 * are, by its hostname, default its name (netctl has no StatefulSets to set it), and by its dashed IP
 * as well, which is all Kubernetes gives it.
 */
function endpointName(pod: Pod, service: string): string {
  if (pod.subdomain === undefined) return pod.hostname ?? pod.name;
  return pod.subdomain === service && pod.hostname !== undefined ? pod.hostname : dashed(pod.ip);
}

/** The A/PTR lines and SRV records of the cluster zone: built once per cluster, shared by every node. */
const zoneOf = perCluster((cluster: ClusterNetwork) => {
  const domain = cluster.dns!.domain;
  const names = new Map<string, string[]>();
  // Names DNS cannot hold are left out (validate warns of them): dnsmasq refuses the whole configuration.
  const add = (ip: number, name: string) => {
    if (dnsNameProblem(name) !== undefined) return;
    const key = formatAddress(ip);
    const list = names.get(key);
    if (list === undefined) names.set(key, [name]);
    else if (!list.includes(name)) list.push(name);
  };
  const srv: SrvRecord[] = [];
  const addSrv = (record: SrvRecord) => {
    if (dnsNameProblem(record.name) === undefined && dnsNameProblem(record.target) === undefined) srv.push(record);
  };
  const podAt = new Map(cluster.pods.map((p) => [p.ip, p]));
  // Headless endpoints first: their pod's PTR answer is its name under the service, as in Kubernetes.
  for (const service of cluster.services) {
    const name = `${service.name}.${service.namespace}.svc.${domain}`;
    if (service.clusterIP !== undefined) {
      add(service.clusterIP, name);
      for (const port of service.ports.filter((p) => p.name !== undefined)) {
        addSrv({name: `_${port.name!}._${port.protocol.toLowerCase()}.${name}`, target: name, port: port.port});
      }
      continue;
    }
    // The cluster this zone is built for holds ready endpoints only (desired/readiness.ts).
    const ready = new Set(service.endpoints);
    for (const ip of ready) {
      const pod = podAt.get(ip);
      if (pod === undefined) continue;
      add(ip, `${endpointName(pod, service.name)}.${name}`);
      // Without a subdomain the pod has no host name in Kubernetes: CoreDNS's dashed IP names it too.
      if (pod.subdomain === undefined) add(ip, `${dashed(ip)}.${name}`);
    }
    for (const ip of ready) add(ip, name);
    for (const port of service.ports.filter((p) => p.name !== undefined)) {
      for (const endpoint of port.endpoints.filter((e) => ready.has(e.ip))) {
        const pod = podAt.get(endpoint.ip);
        addSrv({name: `_${port.name!}._${port.protocol.toLowerCase()}.${name}`, target: pod === undefined ? name : `${endpointName(pod, service.name)}.${name}`, port: endpoint.port});
      }
    }
  }
  for (const pod of cluster.pods) add(pod.ip, `${dashed(pod.ip)}.${pod.namespace}.pod.${domain}`);
  const lines = [...names].map(([ip, list]) => `${ip} ${list.join(' ')}`).sort();
  srv.sort((a, b) => (a.name === b.name ? (a.target < b.target ? -1 : a.target > b.target ? 1 : a.port - b.port) : a.name < b.name ? -1 : 1));
  return {hosts: {kind: 'dns-hosts', ns: '', lines} satisfies DnsHosts, srv, reverseZones: reverseZones(cluster)};
});

/** Reverse zones answered locally: those of clusterCIDR and serviceCIDR whose prefix is a whole number of octets. */
function reverseZones(cluster: ClusterNetwork): string[] {
  const ranges: Cidr[] = [cluster.clusterCIDR, ...(cluster.serviceCIDR === undefined ? [] : [cluster.serviceCIDR])];
  return ranges.filter((c) => c.prefix % 8 === 0 && c.prefix > 0).map((c) => {
    const octets = formatAddress(c.first).split('.').slice(0, c.prefix / 8);
    return `${octets.reverse().join('.')}.in-addr.arpa`;
  });
}

/** The address the node's DNS server listens on: where its pods' default route points. */
export function dnsAddress(cluster: ClusterNetwork, node: Node): string {
  return formatAddress(cluster.mode === 'underlay' ? node.address : node.podCIDR.first + 1);
}

const DNS_CHAIN = 'NETCTL-DNS';

/**
 * Pods' queries to their node's DNS server are accepted before the host's own INPUT rules, as
 * NodeLocal DNSCache does for its address: a host whose iptables firewall drops what it does not know
 * (INPUT policy DROP, ufw) would otherwise cut every pod off from names. Only what pods send to
 * port 53 of an address of the link they come in on: the bridge's gateway, or in underlay mode (pods
 * behind their own veths) the node's address.
 */
export function dnsFirewall(cluster: ClusterNetwork): IptablesResource[] {
  if (cluster.dns === undefined) return [];
  const pods = formatCidr(cluster.clusterCIDR);
  const from = cluster.mode === 'underlay' ? ['-i', `${VETH_PREFIX}+`] : ['-i', BRIDGE];
  const toNode = cluster.mode === 'underlay' ? ['-m', 'addrtype', '--dst-type', 'LOCAL'] : ['-m', 'addrtype', '--dst-type', 'LOCAL', '--limit-iface-in'];
  return ownChain('filter', DNS_CHAIN, ['INPUT'], (['udp', 'tcp'] as const).map((proto) => (
    ['-s', pods, ...from, '-p', proto, ...toNode, '-m', proto, '--dport', '53', ...comment('netctl: DNS queries from pods'), '-j', 'ACCEPT']
  )));
}

/**
 * The node's DNS objects: the cluster DNS server and its zone with a `dns` block, and its pods'
 * resolv.conf files (pod-resolvers.ts: also without one, for a pod's dnsConfig). They need only what
 * the node's /etc/resolv.conf says of its facts.
 */
export function dns({cluster, node, facts}: Pick<NodeContext, 'cluster' | 'node'> & {readonly facts: ResolverFacts}): (DnsHosts | DnsServer | PodResolver)[] {
  if (cluster.dns === undefined) return podResolvers(cluster, node, undefined, facts);
  const zone = zoneOf(cluster);
  const listen = dnsAddress(cluster, node);
  const upstream = (cluster.dns.upstream ?? facts.nameservers).filter((address) => address !== listen);
  const server: DnsServer = {kind: 'dns-server', ns: '', listen, domain: cluster.dns.domain, upstream, reverseZones: zone.reverseZones, srv: zone.srv};
  return [zone.hosts, ...podResolvers(cluster, node, listen, facts), server];
}
