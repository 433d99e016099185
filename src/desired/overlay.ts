/**
 * Overlay mode, after flannel's vxlan backend: one VXLAN device per node with a MAC derived from the
 * node name; for every other node a permanent neighbour entry (its VTEP address -> its MAC), an FDB
 * entry (its MAC -> its node address) and a route to its pod CIDR through the VXLAN device. The VTEP
 * address of a node is the network address of its pod CIDR, held as a /32 on its VXLAN device.
 */
import {formatAddress} from '../net/ipv4.js';
import {keyOf, type Resource} from '../resources/model.js';
import {nodeAddresses, perCluster, type NodeContext} from './context.js';
import {vtepMac, vxlanName} from './names.js';

/**
 * The neighbour, FDB entry and route by which every other node reaches a node, with their keys: the
 * same objects on all of them, built once per cluster.
 */
export const overlayPeers = perCluster((cluster) => {
  const dev = vxlanName(cluster.overlay.vni);
  const addresses = nodeAddresses(cluster);
  return new Map<string, readonly (readonly [string, Resource])[]>(cluster.nodes.map((peer) => {
    const vtep = formatAddress(peer.podCIDR.first);
    const mac = vtepMac(peer.name);
    const {address, podCIDR} = addresses.get(peer.name)!;
    const entries: Resource[] = [
      {kind: 'route', ns: '', dst: podCIDR, dev, via: vtep, onlink: true},
      {kind: 'neighbour', ns: '', dev, ip: vtep, mac},
      {kind: 'fdb', ns: '', dev, mac, dst: address},
    ];
    return [peer.name, entries.map((r) => [keyOf(r), r] as const)];
  }));
});

/** The node's VXLAN device and VTEP address; the entries for its peers come from overlayPeers. */
export function overlay({cluster, node, facts}: NodeContext): Resource[] {
  const dev = vxlanName(cluster.overlay.vni);
  return [
    {
      kind: 'link', ns: '', name: dev, type: 'vxlan', mtu: cluster.podMTU, up: true, mac: vtepMac(node.name),
      vxlan: {vni: cluster.overlay.vni, port: cluster.overlay.port, local: nodeAddresses(cluster).get(node.name)!.address, dev: facts.uplink},
      note: 'vxlan',
    },
    {kind: 'address', ns: '', dev, cidr: `${formatAddress(node.podCIDR.first)}/32`},
  ];
}
