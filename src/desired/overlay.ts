/**
 * Overlay mode, after flannel's vxlan backend: one VXLAN device per node with a MAC derived from the
 * node name; for every other node a route to its pod CIDR through the VXLAN device, a permanent
 * neighbour entry (its VTEP address -> its MAC) and an FDB entry (its MAC -> its node address). The
 * VTEP address of a node is the network address of its pod CIDR, held as a /32 on its VXLAN device.
 */
import {formatAddress} from '../net/ipv4.js';
import type {HostRoutes} from '../resources/host-routes.js';
import type {Resource} from '../resources/model.js';
import {nodeAddresses, perCluster, type NodeContext} from './context.js';
import {vtepMac, vxlanName} from './names.js';
import {peerEntries, peersOfNode} from './peers.js';

const overlayPeers = perCluster((cluster) => {
  const dev = vxlanName(cluster.overlay.vni);
  const addresses = nodeAddresses(cluster);
  return peerEntries(cluster, (peer) => {
    const vtep = formatAddress(peer.podCIDR.first);
    const mac = vtepMac(peer.name);
    const {address, podCIDR} = addresses.get(peer.name)!;
    return [
      {kind: 'route', ns: '', dst: podCIDR, dev, via: vtep, onlink: true},
      {kind: 'neighbour', ns: '', dev, ip: vtep, mac},
      {kind: 'fdb', ns: '', dev, mac, dst: address},
    ];
  });
});

/** The node's VXLAN device and VTEP address. */
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

/** How the node reaches every other node through the VXLAN device. */
export function overlayRoutes({cluster, node}: NodeContext): HostRoutes {
  return peersOfNode(overlayPeers(cluster), node.name);
}
