/**
 * Addresses Kubernetes refuses as a service's external IPs and as endpoint IPs (ValidateNonSpecialIP,
 * EndpointAddress.ip): no traffic for them reaches a node, and none sent to them leaves it.
 */
import {contains, parseCidr, type Cidr} from '../net/ipv4.js';

const SPECIAL: readonly (readonly [string, string])[] = [
  ['0.0.0.0/32', 'the unspecified address'],
  ['127.0.0.0/8', 'in the loopback range'],
  ['169.254.0.0/16', 'in the link-local range'],
  ['224.0.0.0/24', 'in the link-local multicast range'],
];
const special = SPECIAL.map(([cidr, what]) => [(parseCidr(cidr) as {cidr: Cidr}).cidr, what] as const);

/** What makes the address special (`in the loopback range`), or undefined for an ordinary one. */
export function specialAddress(address: number): string | undefined {
  return special.find(([cidr]) => contains(cidr, address))?.[1];
}
