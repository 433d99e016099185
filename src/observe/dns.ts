/**
 * What the observe round trip reads of cluster DNS, and how it becomes resources: the node's DNS
 * server counts as there only while its process runs and is netctl's (its pid file names a dnsmasq
 * started with netctl's configuration file); its hosts file and the pods' resolv.conf files netctl
 * marked. Files are sent base64-encoded, so nothing in them can look like a section header. The
 * node's own nameservers are read too: they are where cluster DNS forwards other names by default.
 */
import {DNS_CONFIG, DNS_HOSTS, DNS_PID, RESOLVER_MARK, parseDnsConfig, parseHosts, parseResolver, resolverPath, type DnsResource} from '../resources/dns.js';

export function dnsDump(): string[] {
  return [
    // Shell built-ins where they do the job: every process started costs the node more than the reading.
    // Name servers one per line; search and options lines as they are (a pod with dnsPolicy Default gets them).
    'sec nameservers; while read -r key value || [ -n "$key" ]; do case "$key" in nameserver) echo "$value" ;; search|options) echo "$key $value" ;; esac; done 2>/dev/null </etc/resolv.conf',
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
  return (sections.get('nameservers') ?? '').split('\n').map((l) => l.trim()).filter((l) => /^[\d.]+$/.test(l));
}

/** The search domains and options of the node's /etc/resolv.conf, as the resolver reads them: the last search line, every options line. */
export function parseHostResolver(sections: ReadonlyMap<string, string>): {searches: string[]; resolverOptions: string[]} {
  const lines = (sections.get('nameservers') ?? '').split('\n').map((l) => l.trim().split(/\s+/));
  return {
    searches: lines.filter(([key]) => key === 'search').at(-1)?.slice(1) ?? [],
    resolverOptions: lines.filter(([key]) => key === 'options').flatMap((words) => words.slice(1)),
  };
}
