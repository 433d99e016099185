/**
 * IPv6 CIDRs, which netctl only checks: its pod network is IPv4, so an IPv6 ipBlock of a
 * NetworkPolicy (dual-stack manifests carry `::/0` beside `0.0.0.0/0`) matches no traffic, as on an
 * IPv4-only Kubernetes cluster.
 */
import {Address6} from 'ip-address';

export interface Cidr6 {
  readonly address: Address6;
}

/** The CIDR, or undefined when the text is not an IPv6 CIDR (`fd00::/8`). */
export function parseCidr6(text: string): Cidr6 | undefined {
  if (!text.includes(':') || !text.includes('/')) return undefined;
  try {
    return {address: new Address6(text)};
  } catch {
    return undefined;
  }
}

/** Whether `inner` lies inside `outer` and is smaller. */
export function strictlyInside6(inner: Cidr6, outer: Cidr6): boolean {
  return inner.address.isInSubnet(outer.address) && inner.address.subnetMask > outer.address.subnetMask;
}
