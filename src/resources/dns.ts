/**
 * Cluster DNS as kernel-side state netctl owns on a node: one dnsmasq (its configuration, with the SRV
 * records, needs a restart to change), its hosts file of A and PTR records (re-read without one), and
 * each pod's resolv.conf. Everything lives in files netctl writes, so the same text is rendered for
 * apply and parsed back when observed; records are what plans speak of.
 */

/** netctl's directory for the DNS server of a node; all of it is netctl's. */
export const DNS_DIR = '/run/netctl/dns';
export const DNS_CONFIG = `${DNS_DIR}/dnsmasq.conf`;
export const DNS_PID = `${DNS_DIR}/dnsmasq.pid`;
/** dnsmasq reads every file in this directory (`hostsdir`): new contents are renamed in, then SIGHUP. */
export const DNS_HOSTS_DIR = `${DNS_DIR}/hosts.d`;
export const DNS_HOSTS = `${DNS_HOSTS_DIR}/cluster`;
/** The first line of every pod resolv.conf netctl writes: what marks the file as netctl's. */
export const RESOLVER_MARK = '# netctl: cluster DNS of this pod';
export const DNS_PORT = 53;

/** A and PTR records: one hosts-file line per address, its canonical name (the PTR answer) first. */
export interface DnsHosts {
  readonly kind: 'dns-hosts';
  readonly ns: '';
  /** `10.96.0.12 web.shop.svc.cluster.local`, sorted. */
  readonly lines: readonly string[];
}

/** An SRV record as dnsmasq's srv-host takes it. */
export interface SrvRecord {
  readonly name: string;
  readonly target: string;
  readonly port: number;
}

/** The node's DNS server (dnsmasq) and everything only a restart changes. */
export interface DnsServer {
  readonly kind: 'dns-server';
  readonly ns: '';
  /** The pods' gateway on this node: the only address it listens on. */
  readonly listen: string;
  readonly domain: string;
  readonly upstream: readonly string[];
  /** Reverse zones of the cluster's ranges, answered locally (octet-aligned prefixes only). */
  readonly reverseZones: readonly string[];
  readonly srv: readonly SrvRecord[];
  /** Observed only: the configuration file differs from what netctl writes (edited by hand). */
  readonly edited?: boolean;
}

/** `/etc/netns/<pod>/resolv.conf`, which `ip netns exec` mounts over /etc/resolv.conf. */
export interface PodResolver {
  readonly kind: 'pod-resolver';
  readonly ns: '';
  readonly pod: string;
  readonly nameservers: readonly string[];
  readonly search: readonly string[];
  /** As resolv.conf writes them: `ndots:5`, `edns0`. */
  readonly options: readonly string[];
}

export type DnsResource = DnsHosts | DnsServer | PodResolver;

export const ETC_RESOLV_CONF = '/etc/resolv.conf';

/**
 * A node's resolv.conf as a pod would start from it (a kubelet's --resolv-conf): /etc/resolv.conf, or,
 * when that points at a resolver on the node's loopback (systemd-resolved's stub, 127.0.0.53), which a
 * pod cannot reach, the upstream file systemd-resolved writes beside it, as kubeadm configures kubelets.
 */
export interface HostResolvConf {
  readonly nameservers: readonly string[];
  /** Search domains, trailing dots and the root (`search .`) dropped, as a kubelet does. */
  readonly search: readonly string[];
  readonly options: readonly string[];
  /** Where it was read: a pod keeps the node's own file only when it is /etc/resolv.conf. */
  readonly file: string;
}

export function resolverPath(pod: string): string {
  return `/etc/netns/${pod}/resolv.conf`;
}

/** The version of the Kubernetes DNS specification the zone follows, in its `dns-version` TXT record. */
export const DNS_SCHEMA_VERSION = '1.1.0';

/** Time to live of netctl's records: short, since they follow the spec and, later, readiness. */
const LOCAL_TTL = 5;

export function renderDnsConfig(server: DnsServer): string {
  return [
    '# netctl: cluster DNS of this node; netctl rewrites this file',
    `listen-address=${server.listen}`,
    'bind-interfaces',
    `port=${DNS_PORT}`,
    `pid-file=${DNS_PID}`,
    'no-hosts',
    'no-resolv',
    // Plain names (no dot) never go upstream, and neither do reverse lookups of private ranges.
    'domain-needed',
    'bogus-priv',
    `local-ttl=${LOCAL_TTL}`,
    `local=/${server.domain}/`,
    ...server.reverseZones.map((zone) => `local=/${zone}/`),
    ...server.upstream.map((address) => `server=${address}`),
    `hostsdir=${DNS_HOSTS_DIR}`,
    ...server.srv.map((r) => `srv-host=${r.name},${r.target},${r.port},0,100`),
    `txt-record=dns-version.${server.domain},${DNS_SCHEMA_VERSION}`,
    '',
  ].join('\n');
}

/** The server a configuration file describes; `edited` when the file is not exactly what netctl writes. */
export function parseDnsConfig(text: string): DnsServer {
  const values = (key: string) => text.split('\n').filter((l) => l.startsWith(`${key}=`)).map((l) => l.slice(key.length + 1).trim());
  const locals = values('local').map((v) => v.replace(/^\/|\/$/g, ''));
  const server: DnsServer = {
    kind: 'dns-server', ns: '',
    listen: values('listen-address')[0] ?? '',
    domain: locals.find((zone) => !zone.endsWith('.in-addr.arpa')) ?? '',
    upstream: values('server'),
    reverseZones: locals.filter((zone) => zone.endsWith('.in-addr.arpa')),
    srv: values('srv-host').map((v) => {
      const [name = '', target = '', port = '0'] = v.split(',');
      return {name, target, port: Number(port)};
    }),
  };
  return renderDnsConfig(server) === text ? server : {...server, edited: true};
}

export function renderHosts(hosts: DnsHosts): string {
  return `${hosts.lines.join('\n')}\n`;
}

export function parseHosts(text: string): string[] {
  return text.split('\n').map((l) => l.trim().replace(/\s+/g, ' ')).filter((l) => l !== '' && !l.startsWith('#'));
}

export function renderResolver(resolver: PodResolver): string {
  return [
    RESOLVER_MARK,
    ...resolver.nameservers.map((address) => `nameserver ${address}`),
    ...(resolver.search.length === 0 ? [] : [`search ${resolver.search.join(' ')}`]),
    ...(resolver.options.length === 0 ? [] : [`options ${resolver.options.join(' ')}`]),
    '',
  ].join('\n');
}

export function parseResolver(pod: string, text: string): PodResolver {
  const values = (key: string) => text.split('\n').filter((l) => l.startsWith(`${key} `)).map((l) => l.slice(key.length + 1).trim().split(/\s+/).filter((w) => w !== ''));
  return {
    kind: 'pod-resolver', ns: '', pod,
    nameservers: values('nameserver').flatMap((words) => words.slice(0, 1)),
    // As the resolver reads the file: the last search line counts, options add up.
    search: values('search').at(-1) ?? [],
    options: values('options').flat(),
  };
}

/** `12.0.96.10.in-addr.arpa` for 10.96.0.12. */
export function reverseName(ip: string): string {
  return `${ip.split('.').reverse().join('.')}.in-addr.arpa`;
}

/** The records of a hosts file, as people write them: `name A address` and `reverse PTR name`. */
export function hostsRecords(lines: readonly string[]): string[] {
  return lines.flatMap((line) => {
    const [ip = '', ...names] = line.split(' ');
    return [...names.map((name) => `${name} A ${ip}`), ...(names[0] === undefined ? [] : [`${reverseName(ip)} PTR ${names[0]}`])];
  });
}

export function srvRecord(r: SrvRecord): string {
  return `${r.name} SRV 0 100 ${r.port} ${r.target}`;
}
