/**
 * Overlay mode, after flannel's vxlan backend: one VXLAN device per node with a MAC derived from the
 * node name; for every other node a permanent neighbour entry (its VTEP address -> its MAC), an FDB
 * entry (its MAC -> its node address) and a route to its pod CIDR through the VXLAN device. The VTEP
 * address of a node is the network address of its pod CIDR, held as a /32 on its VXLAN device.
 */
import {formatAddress, formatCidr} from '../net/ipv4.js';
import type {Resource} from '../resources/model.js';
import {peersOf, type NodeContext} from './context.js';
import {vtepMac, vxlanName} from './names.js';

export function overlay({cluster, node, facts}: NodeContext): Resource[] {
  const dev = vxlanName(cluster.overlay.vni);
  const resources: Resource[] = [
    {
      kind: 'link', ns: '', name: dev, type: 'vxlan', mtu: cluster.podMTU, up: true, mac: vtepMac(node.name),
      vxlan: {vni: cluster.overlay.vni, port: cluster.overlay.port, local: formatAddress(node.address), dev: facts.uplink},
      note: 'vxlan',
    },
    {kind: 'address', ns: '', dev, cidr: `${formatAddress(node.podCIDR.first)}/32`},
  ];
  for (const peer of peersOf(cluster, node)) {
    const vtep = formatAddress(peer.podCIDR.first);
    const mac = vtepMac(peer.name);
    resources.push(
      {kind: 'neighbour', ns: '', dev, ip: vtep, mac},
      {kind: 'fdb', ns: '', dev, mac, dst: formatAddress(peer.address)},
      {kind: 'route', ns: '', dst: formatCidr(peer.podCIDR), dev, via: vtep, onlink: true},
    );
  }
  return resources;
}
