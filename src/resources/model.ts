/**
 * The kernel objects netctl manages, one small typed model shared by the desired state (compiled
 * from the spec) and the observed state (parsed from the host). Each object has an identity key;
 * two objects with the same key are the same object, and differ only in their other properties.
 *
 * `ns` is the network namespace an object lives in: '' for the node itself, else a pod's namespace.
 */
import type {DnsResource} from './dns.js';

/** Route protocol number that marks routes as netctl's (see /etc/iproute2/rt_protos). */
export const ROUTE_PROTOCOL = 147;
/** Alias written on every link netctl creates, and on `lo` of every pod namespace it creates. */
export const OWNER_ALIAS = 'netctl';
/** Prefix of every iptables chain netctl owns. */
export const CHAIN_PREFIX = 'NETCTL-';

export type LinkType = 'bridge' | 'vxlan' | 'veth' | 'ipvlan' | 'macvlan';

export interface Sysctl {
  readonly kind: 'sysctl';
  readonly ns: '';
  readonly key: string;
  readonly value: string;
}

export interface Netns {
  readonly kind: 'netns';
  readonly ns: '';
  readonly name: string;
}

export interface VxlanSettings {
  readonly vni: number;
  readonly port: number;
  readonly local: string;
  readonly dev: string;
}

export interface Link {
  readonly kind: 'link';
  readonly ns: string;
  readonly name: string;
  readonly type: LinkType;
  readonly mtu: number;
  readonly up: boolean;
  /** Bridge the link is enslaved to. */
  readonly master?: string;
  /** Bridge port sends frames back where they came from, so a pod reaches itself through a service. */
  readonly hairpin?: boolean;
  /** MAC address, where netctl chooses it (VXLAN devices). */
  readonly mac?: string;
  readonly vxlan?: VxlanSettings;
  /** The other end of a veth pair, created with it. */
  readonly peer?: {readonly name: string; readonly ns: string};
  /**
   * MAC the other end is created with (a pod's eth0: desired/names.ts podMac). Only a creation
   * setting, never compared: pods made before it keep theirs.
   */
  readonly peerMac?: string;
  /** Parent of an ipvlan or macvlan link, and the namespace it is created in. */
  readonly parent?: string;
  /** Description in the alias after the owner mark, for people reading `ip link`. */
  readonly note?: string;
}

export interface Address {
  readonly kind: 'address';
  readonly ns: string;
  readonly dev: string;
  /** `10.244.1.1/24` */
  readonly cidr: string;
}

export interface Route {
  readonly kind: 'route';
  readonly ns: string;
  /** `default` or a CIDR */
  readonly dst: string;
  readonly dev: string;
  readonly via?: string;
  readonly onlink?: boolean;
}

export interface Neighbour {
  readonly kind: 'neighbour';
  readonly ns: '';
  readonly dev: string;
  readonly ip: string;
  readonly mac: string;
}

export interface FdbEntry {
  readonly kind: 'fdb';
  readonly ns: '';
  readonly dev: string;
  readonly mac: string;
  readonly dst: string;
}

export type IptablesTable = 'filter' | 'nat';

/**
 * A chain of netctl's with its rules in order, each as iptables-save prints it (without `-A CHAIN`),
 * split into words. netctl owns the chain whole, so the chain and its rules are one object: it is
 * written out whole whenever any of its rules differs.
 */
export interface IptablesChain {
  readonly kind: 'iptables-chain';
  readonly ns: '';
  readonly table: IptablesTable;
  readonly chain: string;
  readonly rules: readonly (readonly string[])[];
}

/** netctl's jump from a built-in chain (PREROUTING, FORWARD...) to one of its chains, among foreign rules. */
export interface IptablesRule {
  readonly kind: 'iptables-rule';
  readonly ns: '';
  readonly table: IptablesTable;
  readonly chain: string;
  readonly rule: readonly string[];
}

export type Resource = Sysctl | Netns | Link | Address | Route | Neighbour | FdbEntry | IptablesChain | IptablesRule | DnsResource;
export type Kind = Resource['kind'];

/** Resources by key, in the order they came in. */
export type Keyed = ReadonlyMap<string, Resource>;

export function byKey(resources: readonly Resource[] | Keyed): Keyed {
  if (resources instanceof Map) return resources;
  const keyed = new Map<string, Resource>();
  for (const r of resources as readonly Resource[]) keyed.set(keyOf(r), r);
  return keyed;
}

export function keyOf(r: Resource): string {
  const ns = r.ns === '' ? '' : `${r.ns}:`;
  switch (r.kind) {
    case 'sysctl': return `sysctl ${r.key}`;
    case 'netns': return `netns ${r.name}`;
    case 'link': return `link ${ns}${r.name}`;
    case 'address': return `address ${ns}${r.dev} ${r.cidr}`;
    case 'route': return `route ${ns}${r.dst}`;
    case 'neighbour': return `neighbour ${r.dev} ${r.ip}`;
    case 'fdb': return `fdb ${r.dev} ${r.mac} ${r.dst}`;
    case 'iptables-chain': return `iptables-chain ${r.table} ${r.chain}`;
    case 'iptables-rule': return `iptables-rule ${r.table} ${r.chain} ${r.rule.join(' ')}`;
    case 'dns-hosts': return 'dns-hosts';
    case 'dns-server': return 'dns-server';
    case 'pod-resolver': return `pod-resolver ${r.pod}`;
  }
}

/** Links a link-scoped object hangs on, so deleting the link removes the object with it. */
export function parentLink(r: Resource): string | undefined {
  switch (r.kind) {
    case 'address':
    case 'route':
      return `link ${r.ns === '' ? '' : `${r.ns}:`}${r.dev}`;
    case 'neighbour':
    case 'fdb':
      return `link ${r.dev}`;
    default:
      return undefined;
  }
}

/** Order in which kinds are created; deletion runs the other way round. */
export const KIND_ORDER: readonly Kind[] = ['sysctl', 'netns', 'link', 'address', 'route', 'neighbour', 'fdb', 'iptables-chain', 'iptables-rule', 'dns-hosts', 'pod-resolver', 'dns-server'];

const LINK_ORDER: Record<LinkType, number> = {bridge: 0, vxlan: 1, veth: 2, ipvlan: 2, macvlan: 2};

/** Where a resource goes in creation order: by `step`, then `ns`, then `within`. */
export interface Rank {
  readonly step: number;
  readonly ns: string;
  readonly within: number;
}

const LINK_STEP = KIND_ORDER.indexOf('link') * 4;

/**
 * Creation rank of a resource: kinds in order, parents before children. Everything inside a pod's
 * namespace is ranked right after the host's links (it needs the pod's veth) and grouped per pod, so
 * each pod's objects go in one batch.
 */
export function createRank(r: Resource): Rank {
  if (r.ns !== '') return {step: LINK_STEP + 3, ns: r.ns, within: KIND_ORDER.indexOf(r.kind)};
  if (r.kind === 'link') return {step: LINK_STEP, ns: '', within: LINK_ORDER[r.type]};
  return {step: KIND_ORDER.indexOf(r.kind) * 4, ns: '', within: 0};
}

export function compareRank(a: Rank, b: Rank): number {
  if (a.step !== b.step) return a.step - b.step;
  if (a.ns !== b.ns) return a.ns < b.ns ? -1 : 1;
  return a.within - b.within;
}

export function isBuiltinChain(chain: string): boolean {
  return !chain.startsWith(CHAIN_PREFIX);
}

/** The alias netctl writes on a link: the owner mark, then a note for people. */
export function aliasFor(link: Link): string {
  return link.note === undefined ? OWNER_ALIAS : `${OWNER_ALIAS} ${link.note}`;
}

export function isOwnerAlias(alias: string | undefined): boolean {
  return alias === OWNER_ALIAS || (alias?.startsWith(`${OWNER_ALIAS} `) ?? false);
}
