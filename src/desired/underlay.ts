/**
 * Underlay mode: pods take addresses from the node network itself.
 * - routed: each pod has its address as a /32 and a default route via the node address; the node
 *   routes the /32 to the pod's veth and answers ARP for its pods on the uplink (proxy ARP), so other
 *   machines on the subnet reach the pods through it and no per-node routes are needed.
 * - ipvlan / macvlan: the pod's eth0 is an L2 child of the uplink (ipvlan l2, macvlan bridge) with
 *   its address in the node subnet; the pod is on the node network directly, with no default route
 *   (the node network's gateway is not in the spec).
 */
import {formatAddress} from '../net/ipv4.js';
import type {Resource} from '../resources/model.js';
import {podsOf, type NodeContext} from './context.js';
import {POD_INTERFACE, podNetns, vethName} from './names.js';
import {podEndpoint} from './pods.js';

export function underlay({cluster, node, facts}: NodeContext): Resource[] {
  const resources: Resource[] = [];
  const pods = podsOf(cluster, node);
  if (cluster.underlay.driver === 'routed') {
    resources.push(
      {kind: 'sysctl', ns: '', key: `net/ipv4/conf/${facts.uplink}/proxy_arp`, value: '1'},
      // Answer ARP for pods at once; the default delays proxy replies by up to 0.8 s.
      {kind: 'sysctl', ns: '', key: `net/ipv4/neigh/${facts.uplink}/proxy_delay`, value: '0'},
    );
    for (const pod of pods) {
      const ip = formatAddress(pod.ip);
      resources.push(
        ...podEndpoint(pod, {mtu: cluster.mtu, address: `${ip}/32`, gateway: formatAddress(node.address), gatewayOnLink: true}),
        {kind: 'route', ns: '', dst: `${ip}/32`, dev: vethName(podNetns(pod))},
      );
    }
    return resources;
  }
  for (const pod of pods) {
    const netns = podNetns(pod);
    resources.push(
      {kind: 'netns', ns: '', name: netns},
      {kind: 'link', ns: netns, name: POD_INTERFACE, type: cluster.underlay.driver, mtu: cluster.mtu, up: true, parent: facts.uplink},
      {kind: 'address', ns: netns, dev: POD_INTERFACE, cidr: `${formatAddress(pod.ip)}/${node.addressPrefix ?? 32}`},
    );
  }
  return resources;
}
