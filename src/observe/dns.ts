/**
 * What the observe round trip reads of cluster DNS, and how it becomes resources: the node's DNS
 * server counts as there only while its process runs and is netctl's (its pid file names a dnsmasq
 * started with netctl's configuration file); its hosts file and the pods' resolv.conf files netctl
 * marked. Files are sent base64-encoded, so nothing in them can look like a section header. The
 * node's own nameservers are read too: they are where cluster DNS forwards other names by default.
 */
import {DNS_CONFIG, DNS_HOSTS, DNS_PID, ETC_RESOLV_CONF, RESOLVER_MARK, parseDnsConfig, parseHosts, parseResolver, resolverPath, type DnsResource, type HostResolvConf} from '../resources/dns.js';

/** What systemd-resolved writes for programs that cannot use its stub on 127.0.0.53: the upstream servers. */
const RESOLVED_UPSTREAM = '/run/systemd/resolve/resolv.conf';

export function dnsDump(): string[] {
  return [
    // Shell built-ins where they do the job: every process started costs the node more than the reading.
    // Name servers one per line; search and options lines as they are (pods start from them), also of
    // systemd-resolved's upstream file, which pods take when /etc/resolv.conf is its stub.
    `resolv() { while read -r key value || [ -n "$key" ]; do case "$key" in nameserver) echo "$value" ;; search|options) echo "$key $value" ;; esac; done 2>/dev/null <"$1"; }`,
    `sec nameservers; resolv ${ETC_RESOLV_CONF}`,
    `[ -f ${RESOLVED_UPSTREAM} ] && { sec resolved-upstream; resolv ${RESOLVED_UPSTREAM}; }`,
    `pid=; [ -r ${DNS_PID} ] && read -r pid <${DNS_PID}`,
    `if [ -f ${DNS_CONFIG} ] && [ -n "$pid" ] && tr '\\0' '\\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -qx -- '--conf-file=${DNS_CONFIG}'; then sec dns-server "$pid"; base64 -w0 ${DNS_CONFIG}; fi`,
    `[ -f ${DNS_HOSTS} ] && { sec dns-hosts; base64 -w0 ${DNS_HOSTS}; }`,
    'for f in /etc/netns/*/resolv.conf; do [ -f "$f" ] || continue; pod=${f%/resolv.conf}; pod=${pod##*/}; first=; IFS= read -r first <"$f"',
    `  if [ "$first" = '${RESOLVER_MARK}' ]; then sec pod-resolver "$pod"; base64 -w0 "$f"; else sec foreign-resolver "$pod"; fi`,
    'done',
  ];
}

const decode = (body: string) => Buffer.from(body.trim(), 'base64').toString('utf8');

/** The DNS resources in the sections of an observation, and the pod resolv.conf files netctl did not write. */
export function parseDns(sections: ReadonlyMap<string, string>): {resources: DnsResource[]; foreign: Map<string, string>} {
  const resources: DnsResource[] = [];
  const foreign = new Map<string, string>();
  for (const [name, body] of sections) {
    if (name.startsWith('dns-server ')) resources.push(parseDnsConfig(decode(body)));
    else if (name === 'dns-hosts') resources.push({kind: 'dns-hosts', ns: '', lines: parseHosts(decode(body))});
    else if (name.startsWith('pod-resolver ')) resources.push(parseResolver(name.slice('pod-resolver '.length), decode(body)));
    else if (name.startsWith('foreign-resolver ')) {
      const pod = name.slice('foreign-resolver '.length);
      foreign.set(`pod-resolver ${pod}`, `${resolverPath(pod)} (not written by netctl)`);
    }
  }
  return {resources, foreign};
}

export function parseNameservers(sections: ReadonlyMap<string, string>): string[] {
  return nameserversIn(sections.get('nameservers'));
}

/** The IPv4 name servers of a section: the first word of each `nameserver` line (a comment may follow). */
const nameserversIn = (body: string | undefined) => (body ?? '').split('\n').map((l) => l.trim().split(/\s+/)[0]!).filter((word) => /^\d{1,3}(\.\d{1,3}){3}$/.test(word));
const isLoopback = (address: string) => address.startsWith('127.');

/** The resolv.conf a pod of the node starts from (HostResolvConf says which file and why). */
export function parseHostResolvConf(sections: ReadonlyMap<string, string>): HostResolvConf {
  const own = sections.get('nameservers');
  const upstream = sections.get('resolved-upstream');
  const ownServers = nameserversIn(own);
  const stub = ownServers.length > 0 && ownServers.every(isLoopback);
  const [body, file] = stub && upstream !== undefined ? [upstream, RESOLVED_UPSTREAM] : [own, ETC_RESOLV_CONF];
  const lines = (body ?? '').split('\n').map((l) => l.trim().split(/\s+/));
  return {
    nameservers: nameserversIn(body),
    // As the resolver reads the file: the last search line counts, options add up.
    search: (lines.filter(([key]) => key === 'search').at(-1)?.slice(1) ?? []).map((domain) => domain.replace(/\.+$/, '')).filter((domain) => domain !== ''),
    options: lines.filter(([key]) => key === 'options').flatMap((words) => words.slice(1)),
    file,
  };
}
