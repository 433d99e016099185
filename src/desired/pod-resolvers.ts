/**
 * Each pod's resolv.conf, as a kubelet builds it (pkg/kubelet/network/dns): the pod's dnsPolicy gives a
 * base, and its dnsConfig is added to it.
 * - ClusterFirst, with cluster DNS: the node's DNS server; the search path of the pod's namespace, then
 *   the node's search domains; `ndots:5`. Without cluster DNS a kubelet falls back to Default.
 * - Default: the node's /etc/resolv.conf (name servers, search domains, options).
 * - None: nothing.
 * dnsConfig appends name servers and search domains (duplicates dropped) and replaces options of the
 * same name; a kubelet then keeps the first 3 name servers and the first 32 search domains. A pod whose
 * file would say exactly what the node's /etc/resolv.conf says (Default without dnsConfig) gets none:
 * `ip netns exec` leaves it the node's. The node's file is systemd-resolved's upstream one when
 * /etc/resolv.conf is its stub on the loopback, which a pod cannot reach (HostResolvConf).
 */
import {ETC_RESOLV_CONF, type PodResolver} from '../resources/dns.js';
import type {ClusterNetwork, DnsOption, Node, Pod} from '../spec/types.js';
import {podsOf, type NodeFacts} from './context.js';
import {podNetns} from './names.js';

/** Kubernetes' ndots: names with fewer dots are tried with the search domains first. */
const NDOTS = 5;
/** What a kubelet keeps (MaxDNSNameservers, MaxDNSSearchPaths). */
const MAX_NAMESERVERS = 3;
const MAX_SEARCHES = 32;

/** What a node's /etc/resolv.conf says: all pod resolv.conf files need of its facts. */
export type ResolverFacts = Pick<NodeFacts, 'nameservers' | 'hostResolvConf'>;

interface ResolvConf {
  readonly nameservers: readonly string[];
  readonly search: readonly string[];
  readonly options: readonly string[];
}

const unique = (values: readonly string[]) => [...new Set(values)];
const optionName = (option: string) => option.split(':')[0]!;
const written = (option: DnsOption) => (option.value === undefined || option.value === '' ? option.name : `${option.name}:${option.value}`);

/** The base's options with those of dnsConfig laid over them by name, in the order first given. */
function mergeOptions(base: readonly string[], added: readonly DnsOption[]): string[] {
  const byName = new Map(base.map((option) => [optionName(option), option]));
  for (const option of added) byName.set(option.name, written(option));
  return [...byName.values()];
}

const hostFile = (facts: ResolverFacts) => facts.hostResolvConf ?? {nameservers: facts.nameservers, search: [], options: [], file: ETC_RESOLV_CONF};

function base(pod: Pod, clusterDns: {server: string; domain: string} | undefined, facts: ResolverFacts): ResolvConf {
  const host = hostFile(facts);
  if (pod.dnsPolicy === 'None') return {nameservers: [], search: [], options: []};
  if (pod.dnsPolicy === 'Default' || clusterDns === undefined) return host;
  const {server, domain} = clusterDns;
  return {nameservers: [server], search: [`${pod.namespace}.svc.${domain}`, `svc.${domain}`, domain, ...host.search], options: [`ndots:${NDOTS}`]};
}

/** The pod's resolv.conf, or undefined when it keeps the node's. */
function podResolver(pod: Pod, clusterDns: {server: string; domain: string} | undefined, facts: ResolverFacts): PodResolver | undefined {
  const usesNodeFile = pod.dnsPolicy === 'Default' || (pod.dnsPolicy === 'ClusterFirst' && clusterDns === undefined);
  if (usesNodeFile && pod.dnsConfig === undefined && hostFile(facts).file === ETC_RESOLV_CONF) return undefined;
  const from = base(pod, clusterDns, facts);
  const config = pod.dnsConfig;
  const conf = config === undefined ? from : {
    nameservers: unique([...from.nameservers, ...config.nameservers]),
    search: unique([...from.search, ...config.searches]),
    options: mergeOptions(from.options, config.options),
  };
  return {
    kind: 'pod-resolver', ns: '', pod: podNetns(pod),
    nameservers: conf.nameservers.slice(0, MAX_NAMESERVERS),
    search: conf.search.slice(0, MAX_SEARCHES),
    options: [...conf.options],
  };
}

/** The resolv.conf files of the node's pods; `server`: the node's cluster DNS address, when the spec has dns. */
export function podResolvers(cluster: ClusterNetwork, node: Node, server: string | undefined, facts: ResolverFacts): PodResolver[] {
  const clusterDns = server === undefined || cluster.dns === undefined ? undefined : {server, domain: cluster.dns.domain};
  return podsOf(cluster, node).flatMap((pod) => podResolver(pod, clusterDns, facts) ?? []);
}
