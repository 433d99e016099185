/** Names of the objects netctl creates on a node; all fit the kernel's 15-character limit. */
import {hash} from 'node:crypto';

export const BRIDGE = 'netctl0';
/** Name of a pod's interface inside its namespace. */
export const POD_INTERFACE = 'eth0';

export function vxlanName(vni: number): string {
  return `netctl.${vni}`;
}

/** Host end of a pod's veth pair: `nc` and a hash of the pod name (pod names are too long for links). */
export function vethName(pod: string): string {
  return `nc${hash('sha256', pod, 'hex').slice(0, 11)}`;
}

/**
 * MAC address of a node's VXLAN device, derived from the node name, so that every node knows every
 * other node's VTEP address without discovery. Locally administered, unicast.
 */
export function vtepMac(node: string): string {
  const bytes = hash('sha256', `vtep/${node}`, 'buffer').subarray(0, 6);
  bytes[0] = ((bytes[0] ?? 0) & 0xfe) | 0x02;
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(':');
}
