/** A pod's network: its namespace and a veth pair, the host end on the node, `eth0` inside. */
import type {Resource} from '../resources/model.js';
import type {Pod} from '../spec/types.js';
import {podRef} from '../spec/namespaces.js';
import {POD_INTERFACE, podMac, podNetns, vethName} from './names.js';

export interface PodWiring {
  readonly mtu: number;
  /** Bridge the host end joins; none in routed underlay. */
  readonly master?: string;
  /** The pod's address with the prefix its eth0 gets. */
  readonly address: string;
  readonly gateway: string;
  /** The gateway is outside the pod's prefix (routed underlay), so the default route is onlink. */
  readonly gatewayOnLink: boolean;
}

export function podEndpoint(pod: Pod, wiring: PodWiring): Resource[] {
  const netns = podNetns(pod);
  const host = vethName(netns);
  return [
    {kind: 'netns', ns: '', name: netns},
    {
      kind: 'link', ns: '', name: host, type: 'veth', mtu: wiring.mtu, up: true,
      ...(wiring.master === undefined ? {} : {master: wiring.master, hairpin: true}),
      peer: {name: POD_INTERFACE, ns: netns},
      peerMac: podMac(wiring.address.split('/')[0]!),
      note: `pod ${podRef(pod)}`,
    },
    {kind: 'link', ns: netns, name: POD_INTERFACE, type: 'veth', mtu: wiring.mtu, up: true, peer: {name: host, ns: ''}},
    {kind: 'address', ns: netns, dev: POD_INTERFACE, cidr: wiring.address},
    {
      kind: 'route', ns: netns, dst: 'default', dev: POD_INTERFACE, via: wiring.gateway,
      ...(wiring.gatewayOnLink ? {onlink: true} : {}),
    },
  ];
}
