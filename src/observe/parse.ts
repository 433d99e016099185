/**
 * Turns the output of the observe script into resources: the objects netctl owns (by route protocol,
 * link alias, namespace marker or chain prefix), plus what is in the way and the facts plan needs.
 */
import {
  CHAIN_PREFIX,
  ROUTE_PROTOCOL,
  isBuiltinChain,
  isOwnerAlias,
  keyOf,
  type IptablesChain,
  type IptablesTable,
  type Keyed,
  type Link,
  type LinkType,
  type Resource,
} from '../resources/model.js';
import {hostRoutes, isHostRoute, type HostRoute, type HostRoutes} from '../resources/host-routes.js';
import {iptablesState, rememberSavedText, type IptablesResource, type IptablesState} from '../resources/iptables.js';
import {parseDns, parseHostResolvConf, parseNameservers} from './dns.js';
import {parseIptablesSave, splitWords} from './iptables.js';
import type {HostResolvConf} from '../resources/dns.js';
import {ownerIn} from './owner.js';
import {probeOutputs} from './probes.js';
import {SECTION, needsRoot} from './script.js';

export interface RouteToPeer {
  readonly dev?: string;
  readonly gateway?: string;
  readonly error?: string;
}

export interface NodeObservation {
  /** Objects netctl owns on the node, but for its host routes and iptables objects, by key. */
  readonly resources: Keyed;
  /** netctl's routes, neighbour and FDB entries in the host namespace. */
  readonly hostRoutes: HostRoutes;
  /** netctl's iptables chains and jumps on the node. */
  readonly iptables: IptablesState;
  /** Objects netctl does not own, by the key a netctl object of the same identity would have. */
  readonly foreign: Map<string, string>;
  /** IPv4 addresses of the node's own interfaces, by interface. */
  readonly hostAddresses: readonly {readonly dev: string; readonly address: string}[];
  readonly hostLinks: ReadonlySet<string>;
  readonly routesToPeers: ReadonlyMap<string, RouteToPeer>;
  /** Link types probed for; false with the kernel's words when it cannot create them. */
  readonly linkTypes: ReadonlyMap<string, {readonly supported: boolean; readonly detail: string}>;
  readonly missingTools: readonly string[];
  /** The nameservers of the node's /etc/resolv.conf. */
  readonly nameservers: readonly string[];
  /** The resolv.conf its pods start from (undefined: not read). */
  readonly hostResolvConf?: HostResolvConf;
  /** What each readiness probe run in this round trip printed (`exit N LAST-LINE`), by pod. */
  readonly probeOutputs: ReadonlyMap<string, string>;
  /** The backend `iptables` uses on the node: `nf_tables` or `legacy`, from iptables-save's header. */
  readonly iptablesBackend: string | undefined;
  /** netctl chains found in the backend the node does not use, with that backend's save command. */
  readonly chainsInOtherBackend: {readonly command: string; readonly count: number} | undefined;
  /** Rules of the node's whole ruleset (every table, netctl's or not), when it was read whole. */
  readonly iptablesRules: number | undefined;
  /** Whether the br_netfilter module is loaded, or could be; undefined when not read. */
  readonly brNetfilter: 'loaded' | 'loadable' | 'missing' | undefined;
  /** What preflight checks of the host beyond netctl's objects. */
  readonly host: HostFacts;
  /** The cluster (`metadata.name`) that last applied changes to the node, as recorded there (owner.ts). */
  readonly cluster?: string;
}

export interface HostFacts {
  /** MTU of each host interface. */
  readonly linkMtus: ReadonlyMap<string, number>;
  /** IPv4 addresses on interfaces netctl did not create. */
  readonly foreignAddresses: readonly {readonly dev: string; readonly cidr: string}[];
  /** Unicast routes of the main table netctl did not create. */
  readonly foreignRoutes: readonly {readonly dst: string; readonly dev?: string; readonly gateway?: string}[];
  /** The address the node sees netctl's SSH connection come from (SSH_CONNECTION); undefined when local or not read. */
  readonly sshClient?: string;
  /** The port of the node netctl's SSH connection came to (SSH_CONNECTION); undefined when local or not read. */
  readonly sshPort?: number;
  /** net.ipv4.conf.<interface>.rp_filter, "all" included. */
  readonly rpFilter: ReadonlyMap<string, number>;
  /** The backend `iptables --version` names: nf_tables or legacy. */
  readonly iptablesMode: string | undefined;
}

const NO_HOST_FACTS: HostFacts = {linkMtus: new Map(), foreignAddresses: [], foreignRoutes: [], rpFilter: new Map(), iptablesMode: undefined};

export class ObservationError extends Error {}

interface IpLink {
  ifindex: number;
  ifname: string;
  flags?: string[];
  mtu?: number;
  master?: string;
  address?: string;
  ifalias?: string;
  link?: string;
  link_index?: number;
  link_netnsid?: number;
  linkinfo?: {info_kind?: string; info_data?: {id?: number; local?: string; link?: string; port?: number}; info_slave_data?: {hairpin?: boolean}};
}
interface IpAddr {ifname: string; addr_info?: {family: string; local: string; prefixlen: number}[]}
interface IpRoute {dst: string; gateway?: string; dev?: string; protocol?: string; type?: string; flags?: string[]}
interface IpNeigh {dst: string; dev: string; lladdr?: string}
interface FdbRow {mac: string; ifname: string; dst?: string}
interface NetnsRow {name: string; id?: number}

const LINK_TYPES = new Set<LinkType>(['bridge', 'vxlan', 'veth', 'ipvlan', 'macvlan']);

export function splitSections(output: string): {sections: Map<string, string>; missing: string[]} {
  const sections = new Map<string, string>();
  const missing: string[] = [];
  // A section starts with a line `@@netctl NAME` and runs to the line before the next one. Found by
  // search and cut out whole: a read with 30,000 rules is 5 MB, not worth splitting into lines.
  const marker = `\n${SECTION} `;
  const lineAfter = (newline: number) => (newline < 0 ? -1 : newline + 1);
  let header = output.startsWith(`${SECTION} `) ? 0 : lineAfter(output.indexOf(marker));
  while (header >= 0) {
    const headerEnd = output.indexOf('\n', header);
    const name = output.slice(header + SECTION.length + 1, headerEnd < 0 ? undefined : headerEnd).trim();
    const next = headerEnd < 0 ? -1 : output.indexOf(marker, headerEnd);
    const body = headerEnd < 0 ? '' : output.slice(headerEnd + 1, next < 0 ? undefined : next);
    if (name.startsWith('missing ')) missing.push(name.slice('missing '.length));
    else sections.set(name, body);
    header = lineAfter(next);
  }
  return {sections, missing};
}

function json<T>(sections: Map<string, string>, name: string): T[] {
  const text = sections.get(name)?.trim() ?? '';
  if (text === '') return [];
  try {
    return JSON.parse(text) as T[];
  } catch {
    throw new ObservationError(`could not read the output of section "${name}": ${text.slice(0, 200)}`);
  }
}

/** A namespace's links, addresses and routes: the three JSON lines of its `ns NAME` section. */
function namespaceState(sections: Map<string, string>, name: string): {links: IpLink[]; addresses: IpAddr[]; routes: IpRoute[]} {
  const [links = '', addresses = '', routes = ''] = (sections.get(`ns ${name}`) ?? '').trim().split('\n');
  const parse = <T>(text: string, what: string): T[] => {
    if (text.trim() === '') return [];
    try {
      return JSON.parse(text) as T[];
    } catch {
      throw new ObservationError(`could not read the ${what} of namespace ${name}: ${text.slice(0, 200)}`);
    }
  };
  return {links: parse<IpLink>(links, 'links'), addresses: parse<IpAddr>(addresses, 'addresses'), routes: parse<IpRoute>(routes, 'routes')};
}

/** The sections one `ip -batch` printed together, one JSON line each, set apart under their own names. */
function splitBatch(sections: Map<string, string>, batch: string, names: readonly string[]): void {
  const body = sections.get(batch);
  if (body === undefined) return;
  const lines = body.trim().split('\n');
  names.forEach((name, i) => sections.set(name, lines[i] ?? ''));
}

const RP_FILTER = /^\/proc\/sys\/net\/ipv4\/conf\/([^/]+)\/rp_filter:(\d+)$/;

export function parseObservation(output: string): NodeObservation {
  const {sections, missing} = splitSections(output);
  splitBatch(sections, 'addresses-neighbours', ['addresses', 'neighbours']);
  if (!sections.has('end')) throw new ObservationError('the node stopped answering before the end of its state dump');
  const notRoot = [...sections.keys()].find((name) => name.startsWith('not-root '));
  if (notRoot !== undefined) {
    throw new ObservationError(needsRoot(notRoot.slice('not-root '.length)));
  }
  if (missing.includes('ip') || missing.includes('bridge')) {
    return {resources: new Map(), hostRoutes: hostRoutes([]), iptables: iptablesState([]), foreign: new Map(), hostAddresses: [], hostLinks: new Set(), routesToPeers: new Map(), linkTypes: new Map(), missingTools: missing, nameservers: [], probeOutputs: new Map(), iptablesBackend: undefined, chainsInOtherBackend: undefined, iptablesRules: undefined, brNetfilter: undefined, host: NO_HOST_FACTS};
  }
  const resources = new Map<string, Resource>();
  const foreign = new Map<string, string>();
  const hostList: HostRoute[] = [];
  const keep = (r: Resource) => {
    if (isHostRoute(r)) hostList.push(r);
    else resources.set(keyOf(r), r);
  };

  const netnsRows = json<NetnsRow>(sections, 'netns');
  const nsById = new Map(netnsRows.filter((n) => n.id !== undefined).map((n) => [n.id!, n.name]));
  const nsState = new Map(netnsRows.map((n) => [n.name, namespaceState(sections, n.name)]));
  const nsLinks = new Map(netnsRows.map((n) => [n.name, nsState.get(n.name)!.links]));

  // Host links
  const hostLinks = json<IpLink>(sections, 'links');
  const hostByIndex = new Map(hostLinks.map((l) => [l.ifindex, l]));
  const ownedLinks = new Set<string>();
  for (const raw of hostLinks) {
    if (!isOwnerAlias(raw.ifalias)) {
      foreign.set(`link ${raw.ifname}`, describeForeignLink(raw));
      continue;
    }
    const link = toLink(raw, '', (l) => peerOf(l, '', hostByIndex, nsById, nsLinks));
    if (link === undefined) continue;
    ownedLinks.add(link.name);
    keep(link);
  }

  // Host addresses: netctl's are those on its links.
  const hostAddresses: {dev: string; address: string}[] = [];
  const foreignAddresses: {dev: string; cidr: string}[] = [];
  for (const row of json<IpAddr>(sections, 'addresses')) {
    for (const info of row.addr_info ?? []) {
      if (info.family !== 'inet') continue;
      hostAddresses.push({dev: row.ifname, address: info.local});
      const cidr = `${info.local}/${info.prefixlen}`;
      if (ownedLinks.has(row.ifname)) keep({kind: 'address', ns: '', dev: row.ifname, cidr});
      else foreignAddresses.push({dev: row.ifname, cidr});
    }
  }

  const foreignRoutes: {dst: string; dev?: string; gateway?: string}[] = [];
  for (const route of json<IpRoute>(sections, 'routes')) {
    if (route.type !== undefined && route.type !== 'unicast') continue;
    const owned = route.protocol === String(ROUTE_PROTOCOL);
    const resource = toRoute(route, '');
    if (owned) keep(resource);
    else {
      foreign.set(keyOf(resource), `route ${route.dst}${route.gateway === undefined ? '' : ` via ${route.gateway}`} dev ${route.dev ?? '?'} proto ${route.protocol ?? 'boot'}`);
      foreignRoutes.push({dst: route.dst, ...(route.dev === undefined ? {} : {dev: route.dev}), ...(route.gateway === undefined ? {} : {gateway: route.gateway})});
    }
  }

  for (const neigh of json<IpNeigh>(sections, 'neighbours')) {
    if (ownedLinks.has(neigh.dev) && neigh.lladdr !== undefined && !neigh.dst.includes(':')) {
      keep({kind: 'neighbour', ns: '', dev: neigh.dev, ip: neigh.dst, mac: neigh.lladdr});
    }
  }
  for (const row of json<FdbRow>(sections, 'fdb')) {
    if (ownedLinks.has(row.ifname) && row.dst !== undefined) keep({kind: 'fdb', ns: '', dev: row.ifname, mac: row.mac, dst: row.dst});
  }

  for (const line of (sections.get('sysctl') ?? '').split('\n')) {
    const match = /^\/proc\/sys\/(.+):(.*)$/.exec(line.trim());
    // rp_filter is read for preflight's judgement, not as an object netctl sets.
    if (match !== null && !RP_FILTER.test(line.trim())) keep({kind: 'sysctl', ns: '', key: match[1] ?? '', value: match[2] ?? ''});
  }

  const iptables = iptablesState(parseIptables(sections.get('iptables') ?? ''));

  // Pod namespaces: netctl's carry its alias on their loopback device.
  for (const row of netnsRows) {
    const links = nsLinks.get(row.name) ?? [];
    const lo = links.find((l) => l.ifname === 'lo');
    if (!isOwnerAlias(lo?.ifalias)) {
      foreign.set(`netns ${row.name}`, `network namespace ${row.name} (not created by netctl)`);
      continue;
    }
    keep({kind: 'netns', ns: '', name: row.name});
    const byIndex = new Map(links.map((l) => [l.ifindex, l]));
    const podLinks = new Set<string>();
    for (const raw of links) {
      if (raw.ifname === 'lo') continue;
      const link = toLink(raw, row.name, (l) => peerOf(l, row.name, byIndex, nsById, nsLinks, hostByIndex));
      if (link === undefined) continue;
      podLinks.add(link.name);
      keep(link);
    }
    for (const addr of nsState.get(row.name)!.addresses) {
      if (!podLinks.has(addr.ifname)) continue;
      for (const info of addr.addr_info ?? []) {
        if (info.family === 'inet') keep({kind: 'address', ns: row.name, dev: addr.ifname, cidr: `${info.local}/${info.prefixlen}`});
      }
    }
    for (const route of nsState.get(row.name)!.routes) {
      if (route.protocol === String(ROUTE_PROTOCOL)) keep(toRoute(route, row.name));
    }
  }

  const dns = parseDns(sections);
  dns.resources.forEach(keep);
  dns.foreign.forEach((what, key) => foreign.set(key, what));

  const iptablesText = sections.get('iptables') ?? '';
  const iptablesBackend = /^# Generated by iptables-save v[\d.]+ \(([\w-]+)\)/m.exec(iptablesText)?.[1];
  let chainsInOtherBackend: NodeObservation['chainsInOtherBackend'];
  const routesToPeers = new Map<string, RouteToPeer>();
  const linkTypes = new Map<string, {supported: boolean; detail: string}>();
  for (const [name, body] of sections) {
    if (name.startsWith('route-get ')) {
      const target = name.slice('route-get '.length);
      try {
        const [route] = JSON.parse(body.trim()) as IpRoute[];
        routesToPeers.set(target, {...(route?.dev === undefined ? {} : {dev: route.dev}), ...(route?.gateway === undefined ? {} : {gateway: route.gateway})});
      } catch {
        routesToPeers.set(target, {error: body.trim()});
      }
    } else if (name.startsWith('iptables-other ')) {
      chainsInOtherBackend = {command: name.slice('iptables-other '.length), count: Number(body.trim()) || 0};
    } else if (name.startsWith('link-type ')) {
      const lines = body.trim().split('\n');
      const exit = lines.pop() ?? '';
      linkTypes.set(name.slice('link-type '.length), {supported: exit === 'exit 0', detail: lines.join(' ').trim()});
    }
  }

  return {
    resources,
    hostRoutes: hostRoutes(hostList),
    iptables,
    foreign,
    hostAddresses,
    hostLinks: new Set(hostLinks.map((l) => l.ifname)),
    routesToPeers,
    linkTypes,
    missingTools: missing,
    nameservers: parseNameservers(sections),
    hostResolvConf: parseHostResolvConf(sections),
    probeOutputs: probeOutputs(sections),
    iptablesBackend,
    chainsInOtherBackend,
    // iptables-save's header says the ruleset was read whole, not chain by chain; it prints nothing at
    // all when no table is loaded yet (a new host or network namespace): a whole ruleset of no rules.
    iptablesRules: iptablesBackend !== undefined ? iptablesText.split('\n-A ').length - 1 : iptablesText.trim() === '' ? 0 : undefined,
    brNetfilter: brNetfilterState(sections.get('br-netfilter')),
    ...owner(sections),
    host: {
      linkMtus: new Map(hostLinks.map((l) => [l.ifname, l.mtu ?? 0])),
      foreignAddresses,
      foreignRoutes,
      rpFilter: rpFilter(sections.get('sysctl')),
      iptablesMode: /\((nf_tables|legacy)\)/.exec(sections.get('iptables-version') ?? '')?.[1],
      ...sshClientOf(sections.get('ssh-client')),
    },
  };
}

function owner(sections: ReadonlyMap<string, string>): {cluster?: string} {
  const cluster = ownerIn(sections.keys());
  return cluster === undefined ? {} : {cluster};
}

/** `203.0.113.254 41234 203.0.113.1 22`: the client's address and the server's port. */
function sshClientOf(body: string | undefined): {sshClient?: string; sshPort?: number} {
  const [address = '', , , port = ''] = (body?.trim() ?? '').split(/\s+/);
  return {
    ...(/^\d{1,3}(\.\d{1,3}){3}$/.test(address) ? {sshClient: address} : {}),
    ...(/^\d{1,5}$/.test(port) ? {sshPort: Number(port)} : {}),
  };
}

function rpFilter(body: string | undefined): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of (body ?? '').split('\n')) {
    const match = RP_FILTER.exec(line.trim());
    if (match !== null) values.set(match[1]!, Number(match[2]));
  }
  return values;
}

function brNetfilterState(body: string | undefined): NodeObservation['brNetfilter'] {
  const state = body?.trim();
  return state === 'loaded' || state === 'loadable' || state === 'missing' ? state : undefined;
}

function toLink(raw: IpLink, ns: string, peer: (l: IpLink) => Link['peer']): Link | undefined {
  const type = raw.linkinfo?.info_kind as LinkType | undefined;
  if (type === undefined || !LINK_TYPES.has(type)) return undefined;
  const data = raw.linkinfo?.info_data;
  const note = raw.ifalias !== undefined && raw.ifalias.length > 'netctl '.length ? raw.ifalias.slice('netctl '.length) : undefined;
  const peerLink = type === 'veth' ? peer(raw) : undefined;
  return {
    kind: 'link',
    ns,
    name: raw.ifname,
    type,
    mtu: raw.mtu ?? 0,
    up: raw.flags?.includes('UP') ?? false,
    ...(raw.master === undefined ? {} : {master: raw.master}),
    ...(raw.linkinfo?.info_slave_data?.hairpin === true ? {hairpin: true} : {}),
    ...(type === 'vxlan' && raw.address !== undefined ? {mac: raw.address} : {}),
    ...(type === 'vxlan' ? {vxlan: {vni: data?.id ?? 0, port: data?.port ?? 0, local: data?.local ?? '', dev: data?.link ?? ''}} : {}),
    ...(peerLink === undefined ? {} : {peer: peerLink}),
    ...(note === undefined || ns !== '' ? {} : {note}),
  };
}

/** The other end of a veth: in the same namespace by `link`, else by the peer namespace's id and ifindex. */
function peerOf(
  raw: IpLink,
  ns: string,
  sameNs: ReadonlyMap<number, IpLink>,
  nsById: ReadonlyMap<number, string>,
  nsLinks: ReadonlyMap<string, IpLink[]>,
  hostByIndex?: ReadonlyMap<number, IpLink>,
): Link['peer'] {
  if (raw.link_index === undefined) return undefined;
  if (raw.link_netnsid === undefined) {
    const peer = sameNs.get(raw.link_index);
    return peer === undefined ? undefined : {name: peer.ifname, ns};
  }
  // Inside a pod namespace, the host's id is not in the host's `netns list`: the peer is on the host.
  const peerNs = ns === '' ? nsById.get(raw.link_netnsid) : undefined;
  if (peerNs === undefined) {
    const peer = hostByIndex?.get(raw.link_index);
    return peer === undefined ? undefined : {name: peer.ifname, ns: ''};
  }
  const peer = nsLinks.get(peerNs)?.find((l) => l.ifindex === raw.link_index);
  return peer === undefined ? undefined : {name: peer.ifname, ns: peerNs};
}

function toRoute(route: IpRoute, ns: string): Resource {
  return {
    kind: 'route',
    ns,
    // ip prints host routes without their /32.
    dst: route.dst === 'default' || route.dst.includes('/') ? route.dst : `${route.dst}/32`,
    dev: route.dev ?? '',
    ...(route.gateway === undefined ? {} : {via: route.gateway}),
    ...(route.flags?.includes('onlink') ? {onlink: true} : {}),
  };
}

function describeForeignLink(raw: IpLink): string {
  const type = raw.linkinfo?.info_kind ?? 'device';
  return `link ${raw.ifname} (${type}${raw.ifalias === undefined ? '' : `, alias "${raw.ifalias}"`}, not created by netctl)`;
}

function parseIptables(text: string): IptablesResource[] {
  const found: IptablesResource[] = [];
  for (const [table, saved] of parseIptablesSave(text)) {
    if (table !== 'filter' && table !== 'nat') continue;
    const t: IptablesTable = table;
    const owned = new Map<string, {texts: string[]; chain: IptablesChain}>();
    for (const chain of saved.chains) {
      if (!chain.startsWith(CHAIN_PREFIX)) continue;
      const texts: string[] = [];
      const resource = observedChain(t, chain, texts);
      owned.set(chain, {texts, chain: resource});
      found.push(resource);
    }
    for (const {chain, text} of saved.rules) {
      if (!isBuiltinChain(chain)) {
        owned.get(chain)?.texts.push(text);
      } else if (text.includes(CHAIN_PREFIX)) {
        const words = splitWords(text);
        const target = words[words.indexOf('-j') + 1];
        if (words.includes('-j') && target?.startsWith(CHAIN_PREFIX)) found.push({kind: 'iptables-rule', ns: '', table: t, chain, rule: words});
      }
    }
    for (const {texts, chain} of owned.values()) rememberSavedText(chain, texts.join('\n'));
  }
  return found;
}

/**
 * A chain as read, its rules split into words only when something asks for them: its saved text, equal
 * to the desired chain's, settles most comparisons (30,000 rules: a tenth of a second not spent).
 */
function observedChain(table: IptablesTable, chain: string, texts: readonly string[]): IptablesChain {
  let rules: string[][] | undefined;
  return {kind: 'iptables-chain', ns: '', table, chain, get rules() {
    rules ??= texts.map(splitWords);
    return rules;
  }};
}

/** Every object netctl owns on the node, its iptables objects last. */
export function observedResources(observation: NodeObservation): Resource[] {
  return Array.from(observation.resources.values()).concat(observation.hostRoutes.resources, observation.iptables.resources);
}
