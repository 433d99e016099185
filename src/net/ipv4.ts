/**
 * IPv4 addresses and CIDRs as plain numbers, so that sorting, overlap and allocation over
 * thousands of them stay cheap. Parsing and formatting go through ip-cidr / ip-address.
 */
import IPCIDR from 'ip-cidr';
import {Address4} from 'ip-address';

export interface Cidr {
  /** First address (the network address) as an unsigned 32-bit integer. */
  readonly first: number;
  /** Last address (the broadcast address) as an unsigned 32-bit integer. */
  readonly last: number;
  readonly prefix: number;
}

export type CidrParse =
  | {readonly ok: true; readonly cidr: Cidr}
  | {readonly ok: false; readonly reason: 'invalid'}
  /** Host bits are set: `network` is the network the user most likely meant. */
  | {readonly ok: false; readonly reason: 'host-bits'; readonly network: string};

export function parseCidr(text: string): CidrParse {
  if (!IPCIDR.isValidCIDR(text) || !/^[\d.]+\/\d+$/.test(text)) return {ok: false, reason: 'invalid'};
  const range = new IPCIDR(text);
  const first = Number(range.start<bigint>({type: 'bigInteger'}));
  const last = Number(range.end<bigint>({type: 'bigInteger'}));
  const prefix = Number(text.slice(text.indexOf('/') + 1));
  if (parseAddress(text.slice(0, text.indexOf('/'))) !== first) {
    return {ok: false, reason: 'host-bits', network: `${formatAddress(first)}/${prefix}`};
  }
  return {ok: true, cidr: {first, last, prefix}};
}

/** Returns the address as an unsigned 32-bit integer, or undefined when it is not an IPv4 address. */
/** Dotted quad without leading zeros, which some tools would read as octal. */
const DOTTED_QUAD = /^(0|[1-9]\d{0,2})(\.(0|[1-9]\d{0,2})){3}$/;

export function parseAddress(text: string): number | undefined {
  if (!DOTTED_QUAD.test(text) || !Address4.isValid(text)) return undefined;
  const [a = 0, b = 0, c = 0, d = 0] = new Address4(text).toArray();
  return a * 0x1000000 + b * 0x10000 + c * 0x100 + d;
}

export function formatAddress(address: number): string {
  return Address4.fromInteger(address).correctForm();
}

export function formatCidr(cidr: Cidr): string {
  return `${formatAddress(cidr.first)}/${cidr.prefix}`;
}

/**
 * The CIDR of the given prefix that contains the address (the node subnet of `198.51.100.7/24`), by
 * arithmetic as nthSubnet does: hosts' addresses and routes are ranged this way for every node read.
 */
export function cidrContaining(address: number, prefix: number): Cidr {
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32) throw new Error(`cannot form a /${prefix} around ${formatAddress(address)}`);
  const blockSize = 2 ** (32 - prefix);
  const first = address - (address % blockSize);
  return {first, last: first + blockSize - 1, prefix};
}

export function contains(outer: Cidr, address: number): boolean {
  return address >= outer.first && address <= outer.last;
}

export function containsCidr(outer: Cidr, inner: Cidr): boolean {
  return inner.first >= outer.first && inner.last <= outer.last;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.first <= b.last && b.first <= a.last;
}

export function size(cidr: Cidr): number {
  return cidr.last - cidr.first + 1;
}

/** The n-th subnet of the given prefix inside `outer` (n counted from 0). */
export function nthSubnet(outer: Cidr, prefix: number, n: number): Cidr {
  const subnetSize = 2 ** (32 - prefix);
  const first = outer.first + n * subnetSize;
  return {first, last: first + subnetSize - 1, prefix};
}
