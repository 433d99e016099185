/**
 * Forwarding and masquerade, in iptables chains of netctl's own:
 * - filter NETCTL-FORWARD accepts traffic from and to pods, so a FORWARD policy of DROP (as Docker
 *   sets) does not cut pods off;
 * - nat NETCTL-POSTROUTING (masquerade on): traffic from clusterCIDR to destinations outside it is
 *   SNATed to the node it leaves; pod-to-pod traffic returns first and is never NATed.
 */
import {formatCidr} from '../net/ipv4.js';
import type {IptablesResource} from '../resources/iptables.js';
import type {Sysctl} from '../resources/model.js';
import type {ClusterNetwork} from '../spec/types.js';
import {comment, ownChain} from './iptables.js';
import {policyJump} from './policies.js';
import {REJECT_CHAIN, hasServices} from './services.js';

export const IP_FORWARD: Sysctl = {kind: 'sysctl', ns: '', key: 'net/ipv4/ip_forward', value: '1'};

export function forwarding(cluster: ClusterNetwork): IptablesResource[] {
  const pods = formatCidr(cluster.clusterCIDR);
  return [
    ...ownChain('filter', 'NETCTL-FORWARD', ['FORWARD'], [
      // Connections to services without endpoints are refused before pod traffic is accepted.
      ...(hasServices(cluster) ? [[...comment('netctl: services without endpoints'), '-j', REJECT_CHAIN]] : []),
      // Then network policies, which only reject or return.
      ...policyJump(cluster),
      ['-s', pods, ...comment('netctl: forward traffic from pods'), '-j', 'ACCEPT'],
      ['-d', pods, ...comment('netctl: forward traffic to pods'), '-j', 'ACCEPT'],
    ]),
  ];
}

export function masquerade(cluster: ClusterNetwork): IptablesResource[] {
  if (!cluster.masquerade) return [];
  const pods = formatCidr(cluster.clusterCIDR);
  return ownChain('nat', 'NETCTL-POSTROUTING', ['POSTROUTING'], [
    ['-s', pods, '-d', pods, ...comment('netctl: pod to pod, no NAT'), '-j', 'RETURN'],
    ['-s', pods, ...comment('netctl: masquerade pod traffic leaving the cluster'), '-j', 'MASQUERADE'],
  ]);
}
