/** Routing mode (flannel host-gw): a route to every other node's pod CIDR via that node's address. */
import type {Resource} from '../resources/model.js';
import {nodeAddresses, type NodeContext} from './context.js';

export function routing({cluster, node, facts}: NodeContext): Resource[] {
  const routes: Resource[] = [];
  for (const [peer, {address, podCIDR}] of nodeAddresses(cluster)) {
    if (peer !== node.name) routes.push({kind: 'route', ns: '', dst: podCIDR, dev: facts.uplink, via: address});
  }
  return routes;
}
