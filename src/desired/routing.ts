/** Routing mode (flannel host-gw): a route to every other node's pod CIDR via that node's address. */
import type {HostRoutes} from '../resources/host-routes.js';
import {nodeAddresses, perCluster, type NodeContext} from './context.js';
import {peerEntries, peersOfNode, type PeerEntries} from './peers.js';

/** The routes go out of each node's uplink, so they are built once per uplink name. */
const routingPeers = perCluster(() => new Map<string, PeerEntries>());

export function routingRoutes({cluster, node, facts}: NodeContext): HostRoutes {
  const byUplink = routingPeers(cluster);
  let entries = byUplink.get(facts.uplink);
  if (entries === undefined) {
    const addresses = nodeAddresses(cluster);
    entries = peerEntries(cluster, (peer) => {
      const {address, podCIDR} = addresses.get(peer.name)!;
      return [{kind: 'route', ns: '', dst: podCIDR, dev: facts.uplink, via: address}];
    });
    byUplink.set(facts.uplink, entries);
  }
  return peersOfNode(entries, node.name);
}
