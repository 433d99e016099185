/** Names of the objects netctl creates on a node; all fit the kernel's 15-character limit. */
import {hash} from 'node:crypto';
import {DEFAULTS} from '../spec/types.js';

export const BRIDGE = 'netctl0';
/** Name of a pod's interface inside its namespace. */
export const POD_INTERFACE = 'eth0';
/** Where `ip netns` keeps the namespaces it names: a pod is on its node while `NETNS_DIR/<pod>` is. */
export const NETNS_DIR = '/run/netns';

export function vxlanName(vni: number): string {
  return `netctl.${vni}`;
}

/** What every host end of a pod's veth pair starts with. */
export const VETH_PREFIX = 'nc';

/**
 * A pod's network namespace on its node: the pod's name in the `default` namespace, `<name>.<namespace>`
 * elsewhere (pod names are unique per namespace and hold no dot, so no two pods share one).
 */
export function podNetns(pod: {readonly name: string; readonly namespace: string}): string {
  return pod.namespace === DEFAULTS.namespace ? pod.name : `${pod.name}.${pod.namespace}`;
}

/** The pod a network namespace of podNetns's naming stands for, as podRef names it (`shop/web-1`). */
export function netnsPod(netns: string): string {
  const dot = netns.indexOf('.');
  return dot < 0 ? netns : `${netns.slice(dot + 1)}/${netns.slice(0, dot)}`;
}

/** Host end of a pod's veth pair: `nc` and a hash of its network namespace's name (too long for links). */
export function vethName(netns: string): string {
  return `${VETH_PREFIX}${hash('sha256', netns, 'hex').slice(0, 11)}`;
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

/**
 * MAC address of a pod's `eth0`, derived from its IPv4 address as CNI's bridge plugin once did
 * (`0a:58:` and the address's four bytes): a pod that comes back with its address comes back with its
 * MAC, so the other pods' ARP caches stay right. Locally administered, unicast.
 */
export function podMac(ip: string): string {
  return ['0a', '58', ...ip.split('.').map((octet) => Number(octet).toString(16).padStart(2, '0'))].join(':');
}
