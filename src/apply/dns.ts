/**
 * Shell steps for the DNS objects of a node. Files are written whole (to a temporary name, then
 * renamed over the old one). The hosts file changes without a restart: dnsmasq re-reads its hosts
 * directory on SIGHUP. Its configuration (listen address, upstream servers, SRV records) is read
 * only at start, so a changed configuration restarts it; dnsmasq daemonizes itself and so outlives
 * the transaction that started it.
 */
import {
  DNS_CONFIG, DNS_DIR, DNS_HOSTS, DNS_HOSTS_DIR, DNS_PID,
  renderDnsConfig, renderHosts, renderResolver, resolverPath,
  type DnsResource,
} from '../resources/dns.js';
import {shellQuote} from '../shell/quote.js';

/** Writes `text` to `path` atomically, through `temporary` (on the same file system). */
function writeFile(path: string, text: string, temporary = `${path}.netctl-new`): string {
  const lines = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
  const write = text === '' ? `: >${shellQuote(temporary)}` : `printf '%s\\n' ${lines.map(shellQuote).join(' ')} >${shellQuote(temporary)}`;
  return `${write} && mv -f ${shellQuote(temporary)} ${shellQuote(path)}`;
}

/** The pid of netctl's dnsmasq in $pid, when it runs. */
const OURS = `pid=$(cat ${DNS_PID} 2>/dev/null); [ -n "$pid" ] && tr '\\0' '\\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -qx -- '--conf-file=${DNS_CONFIG}'`;
/**
 * Stops netctl's dnsmasq and waits (up to 5 s) for it to be gone, so its port is free again. A zombie
 * counts as gone: it holds no socket, and whoever reaps daemons may take its time.
 */
const STOP = `if ${OURS}; then kill "$pid"; n=0; while kill -0 "$pid" 2>/dev/null && ! grep -q '(zombie)' "/proc/$pid/status" 2>/dev/null && [ $n -lt 500 ]; do sleep 0.01; n=$((n+1)); done; fi`;
const START = `dnsmasq --conf-file=${DNS_CONFIG} </dev/null >/dev/null`;
const RELOAD = `if ${OURS}; then kill -HUP "$pid"; fi`;

export function createDnsSteps(r: DnsResource): string[] {
  switch (r.kind) {
    case 'dns-hosts':
      return [`mkdir -p ${DNS_HOSTS_DIR} && ${writeFile(DNS_HOSTS, renderHosts(r), `${DNS_DIR}/cluster.netctl-new`)}`, RELOAD];
    case 'dns-server':
      return [`mkdir -p ${DNS_HOSTS_DIR} && ${writeFile(DNS_CONFIG, renderDnsConfig(r))}`, STOP, START];
    case 'pod-resolver':
      return [`mkdir -p ${shellQuote(`/etc/netns/${r.pod}`)} && ${writeFile(resolverPath(r.pod), renderResolver(r))}`];
  }
}

export function deleteDnsSteps(r: DnsResource): string[] {
  switch (r.kind) {
    case 'dns-hosts':
      return [`rm -f ${DNS_HOSTS}`, `rmdir ${DNS_HOSTS_DIR} ${DNS_DIR} 2>/dev/null || true`];
    case 'dns-server':
      return [STOP, `rm -f ${DNS_CONFIG} ${DNS_PID}`];
    case 'pod-resolver':
      return [`rm -f ${shellQuote(resolverPath(r.pod))}`, `rmdir ${shellQuote(`/etc/netns/${r.pod}`)} 2>/dev/null || true`];
  }
}
