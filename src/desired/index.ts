/** The desired state of one node: pure, from the resolved spec and the node's facts. */
import {hostRoutes, isHostRoute, type HostRoutes} from '../resources/host-routes.js';
import {iptablesState, type IptablesState} from '../resources/iptables.js';
import {keyOf, type Keyed, type Resource} from '../resources/model.js';
import type {ClusterNetwork} from '../spec/types.js';
import {bridgeAndPods} from './bridge.js';
import {dns, dnsFirewall} from './dns.js';
import type {ResolverFacts} from './pod-resolvers.js';
import {perCluster, type NodeContext} from './context.js';
import {IP_FORWARD, forwarding, masquerade} from './forwarding.js';
import {overlay, overlayRoutes} from './overlay.js';
import {policies, policySysctls} from './policies.js';
import {routingRoutes} from './routing.js';
import {serviceSysctls, services} from './services.js';
import {underlay} from './underlay.js';

export type {NodeContext, NodeFacts} from './context.js';

export interface DesiredState {
  /** What is particular to the node, by key. */
  readonly node: Keyed;
  /** Routes, neighbour and FDB entries of the host: mostly the same objects on every node. */
  readonly hostRoutes: HostRoutes;
  /** netctl's iptables chains and jumps: the same on every node of a cluster, so built once and shared. */
  readonly iptables: IptablesState;
}

const iptablesOf = perCluster((cluster: ClusterNetwork) => iptablesState([...forwarding(cluster), ...masquerade(cluster), ...services(cluster), ...policies(cluster), ...dnsFirewall(cluster)]));

/** netctl's iptables chains and jumps, the same on every node of the cluster. */
export function desiredIptables(cluster: ClusterNetwork): IptablesState {
  return iptablesOf(cluster);
}

/**
 * What serves a service on the node, and nothing else: its iptables chains and its DNS objects. It
 * needs no facts but the node's nameservers; its links and routes are left out (an endpoint change).
 */
export function serviceRulesState(context: Pick<NodeContext, 'cluster' | 'node'> & {readonly facts: ResolverFacts}): DesiredState {
  const own = new Map<string, Resource>(dns(context).map((r) => [keyOf(r), r]));
  return {node: own, hostRoutes: hostRoutes([]), iptables: iptablesOf(context.cluster)};
}

export function desiredState(context: NodeContext): DesiredState {
  const {cluster} = context;
  const own = new Map<string, Resource>();
  const add = (r: Resource) => own.set(keyOf(r), r);
  [IP_FORWARD, ...serviceSysctls(cluster), ...policySysctls(cluster), ...dns(context)].forEach(add);
  switch (cluster.mode) {
    case 'overlay':
      [...bridgeAndPods(context), ...overlay(context)].forEach(add);
      return {node: own, hostRoutes: overlayRoutes(context), iptables: iptablesOf(cluster)};
    case 'routing':
      bridgeAndPods(context).forEach(add);
      return {node: own, hostRoutes: routingRoutes(context), iptables: iptablesOf(cluster)};
    case 'underlay': {
      const resources = underlay(context);
      resources.filter((r) => !isHostRoute(r)).forEach(add);
      return {node: own, hostRoutes: hostRoutes(resources.filter(isHostRoute)), iptables: iptablesOf(cluster)};
    }
  }
}

/** Every desired object of the node in one list. */
export function desiredResources(state: DesiredState): Resource[] {
  return Array.from(state.node.values()).concat(state.hostRoutes.resources, state.iptables.resources);
}
