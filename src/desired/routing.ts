/** Routing mode (flannel host-gw): a route to every other node's pod CIDR via that node's address. */
import {formatAddress, formatCidr} from '../net/ipv4.js';
import type {Resource} from '../resources/model.js';
import {peersOf, type NodeContext} from './context.js';

export function routing({cluster, node, facts}: NodeContext): Resource[] {
  return peersOf(cluster, node).map((peer) => ({
    kind: 'route', ns: '', dst: formatCidr(peer.podCIDR), dev: facts.uplink, via: formatAddress(peer.address),
  }));
}
