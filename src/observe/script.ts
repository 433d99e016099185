/**
 * The read-only script that dumps, in one round trip, everything netctl needs to know about a node,
 * as JSON where the tools offer it. Sections start with a `@@netctl <name> [arg]` line.
 */
import {NETNS_DIR} from '../desired/names.js';
import {IPTABLES_WAIT} from '../resources/iptables.js';
import {shellQuote} from '../shell/quote.js';
import type {Pod} from '../spec/types.js';
import {dnsDump} from './dns.js';
import {OWNER_READ} from './owner.js';
import {probeScript} from './probes.js';

export const SECTION = '@@netctl';

export interface ObserveOptions {
  /** Addresses whose route the node is asked for (`ip route get`), to check peers are on-link. */
  readonly routeTargets: readonly string[];
  /** Link types whose kernel support is probed in a throwaway network namespace. */
  readonly probeLinkTypes: readonly ProbedLinkType[];
  /**
   * Read only these iptables chains (`table chain`), in iptables-save format, instead of the whole
   * ruleset: with the nf_tables backend, iptables-save of 32,000 rules costs 0.3 s, listing one chain
   * 1.5 ms. Apply verifies what it changed this way.
   */
  readonly iptablesChains?: readonly string[];
  /** Pods of the node whose readiness probe runs once in this round trip. */
  readonly probes?: readonly Pod[];
  /**
   * Read nothing but the iptables chains and the DNS files (an endpoint change, or the verification of
   * a change that touched nothing else): no links, addresses, routes or namespaces.
   */
  readonly serviceRulesOnly?: boolean;
}

/** How each link type is created in the throwaway namespace, beside a veth pair nctlprobe0/1. */
const PROBES = {
  veth: 'type veth peer name nctlprobe3',
  bridge: 'type bridge',
  vxlan: 'type vxlan id 1 dstport 4789',
  ipvlan: 'link nctlprobe0 type ipvlan mode l2',
  macvlan: 'link nctlprobe0 type macvlan mode bridge',
} as const;

export type ProbedLinkType = keyof typeof PROBES;

/** One throwaway network namespace in which every probed link type is created once. */
function linkTypeProbes(types: readonly ProbedLinkType[]): string[] {
  if (types.length === 0) return [];
  const inside = [
    'ip link add nctlprobe0 type veth peer name nctlprobe1 >/dev/null 2>&1',
    ...types.flatMap((type, i) => [`printf '\\n${SECTION} link-type ${type}\\n'`, `ip link add nctlprobe${10 + i} ${PROBES[type]} 2>&1; echo "exit $?"`]),
  ];
  return [`unshare -n sh -c ${shellQuote(inside.join('\n'))} 2>&1`];
}

function iptablesDump(chains: readonly string[] | undefined): string[] {
  if (chains === undefined) return ['sec iptables; iptables-save 2>/dev/null'];
  const lines = ['sec iptables'];
  for (const table of ['filter', 'nat']) {
    const inTable = chains.filter((c) => c.startsWith(`${table} `)).map((c) => c.slice(table.length + 1));
    if (inTable.length === 0) continue;
    lines.push(`echo '*${table}'`, ...inTable.map((chain) => `iptables ${IPTABLES_WAIT} -t ${table} -S ${shellQuote(chain)} 2>/dev/null`), "echo 'COMMIT'");
  }
  return lines;
}

const PREAMBLE = ['export LC_ALL=C', `sec() { printf '\\n${SECTION} %s\\n' "$*"; }`];

/** What netctl says of a node whose SSH user is not root. */
export function needsRoot(uid: string): string {
  return `netctl needs root on the node, and its SSH user has uid ${uid}: connect as root (ssh.user in the spec, or User in your SSH configuration)`;
}

/**
 * A line that runs `action` (with the user's uid in $uid) unless the script runs as root: netctl needs
 * root on a node, and as another user every tool in /usr/sbin looks missing (not on its PATH) and every
 * read comes back empty. Read from the shell's own status, starting no process.
 */
export function unlessRoot(action: string): string {
  return `while read -r key _ uid _; do [ "$key" = Uid: ] && { [ "$uid" = 0 ] || { ${action}; }; break; }; done </proc/self/status`;
}

export function observeScript(options: ObserveOptions): string {
  if (options.serviceRulesOnly === true) return `${[...PREAMBLE, OWNER_READ, ...iptablesDump(options.iptablesChains), ...dnsDump(), 'sec end'].join('\n')}\n`;
  const lines = [
    ...PREAMBLE,
    unlessRoot('sec not-root "$uid"'),
    'for tool in ip bridge iptables-save iptables-restore conntrack dnsmasq; do command -v "$tool" >/dev/null 2>&1 || { sec missing "$tool"; }; done',
    OWNER_READ,
    'sec links; ip -j -d link show',
    // Addresses and neighbours take the same options: one ip, one JSON line each.
    "sec addresses-neighbours; ip -j -batch - <<'NETCTL_HOST'",
    'addr show',
    'neigh show nud permanent',
    'NETCTL_HOST',
    'sec routes; ip -N -j route show table main',
    // Where the node sees netctl come from, and the port it comes to: underlay pods must not take the
    // address, nor node ports the port (SSH_CONNECTION: client address and port, server address and port).
    'sec ssh-client; printf \'%s\\n\' "${SSH_CONNECTION:-}"',
    'sec fdb; bridge -j fdb show',
    // With reverse-path filtering per interface ("all" included), for preflight; grep, not the shell's
    // read: sysctl files answer a read of one byte at a time with their first byte only.
    'sec sysctl; grep -H . /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv4/conf/*/proxy_arp /proc/sys/net/ipv4/neigh/*/proxy_delay /proc/sys/net/bridge/bridge-nf-call-iptables /proc/sys/net/ipv4/conf/*/rp_filter 2>/dev/null',
    // Bridged traffic reaches iptables only through br_netfilter: loaded, or can apply load it?
    'sec br-netfilter; if [ -e /proc/sys/net/bridge ]; then echo loaded; elif modprobe -n br_netfilter >/dev/null 2>&1; then echo loadable; else echo missing; fi',
    ...iptablesDump(options.iptablesChains),
    // netctl works through the backend `iptables` uses; rules of its own in the other one are reported.
    'version=$(iptables --version 2>/dev/null); sec iptables-version; echo "$version"',
    'case "$version" in *nf_tables*) other=iptables-legacy-save ;; *) other=iptables-nft-save ;; esac',
    // The kernel lists the legacy tables a namespace has: with none, there is nothing to count and no
    // process to start.
    'legacy_tables=unknown; [ "$other" = iptables-legacy-save ] && { legacy_tables=; [ -r /proc/net/ip_tables_names ] && read -r legacy_tables </proc/net/ip_tables_names; }',
    'if command -v "$other" >/dev/null 2>&1; then sec iptables-other "$other"; if [ -z "$legacy_tables" ]; then echo 0; else "$other" 2>/dev/null | grep -c "^:NETCTL-"; fi; fi',
    'sec netns; ip -j netns list 2>/dev/null',
    // One ip per namespace: its links, addresses and routes as three JSON lines (a process per
    // namespace and command made reading 1,000 pods take 13 s).
    // The names come from ip's directory of named namespaces by a glob, and the batch from a here-document:
    // no process but ip (process creation is what reading a node costs most).
    `for ns in ${NETNS_DIR}/*; do [ -e "$ns" ] || continue; ns=\${ns##*/}`,
    `  sec ns "$ns"; ip -n "$ns" -N -d -j -batch - <<'NETCTL_NS'`,
    'link show',
    'addr show',
    'route show table main',
    'NETCTL_NS',
    'done',
    ...options.routeTargets.map((target) => `sec route-get ${shellQuote(target)}; ip -j route get ${shellQuote(target)} 2>&1`),
    ...linkTypeProbes(options.probeLinkTypes),
    ...dnsDump(),
    ...probeScript(options.probes ?? []),
    'sec end',
  ];
  return `${lines.join('\n')}\n`;
}
