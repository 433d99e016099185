/** Bridge mode pods (overlay and routing): pods meet on a bridge that holds the node's pod gateway. */
import {formatAddress} from '../net/ipv4.js';
import type {Resource} from '../resources/model.js';
import {podsOf, type NodeContext} from './context.js';
import {BRIDGE} from './names.js';
import {podEndpoint} from './pods.js';

export function bridgeAndPods({cluster, node}: NodeContext): Resource[] {
  const gateway = formatAddress(node.podCIDR.first + 1);
  const resources: Resource[] = [
    {kind: 'link', ns: '', name: BRIDGE, type: 'bridge', mtu: cluster.podMTU, up: true, note: 'bridge'},
    {kind: 'address', ns: '', dev: BRIDGE, cidr: `${gateway}/${node.podCIDR.prefix}`},
  ];
  for (const pod of podsOf(cluster, node)) {
    resources.push(...podEndpoint(pod, {
      mtu: cluster.podMTU,
      master: BRIDGE,
      address: `${formatAddress(pod.ip)}/${node.podCIDR.prefix}`,
      gateway,
      gatewayOnLink: false,
    }));
  }
  return resources;
}
