/** The desired state of one node: pure, from the resolved spec and the node's facts. */
import {iptablesState, type IptablesState} from '../resources/iptables.js';
import {keyOf, type Keyed, type Resource} from '../resources/model.js';
import type {ClusterNetwork} from '../spec/types.js';
import {bridgeAndPods} from './bridge.js';
import type {NodeContext} from './context.js';
import {IP_FORWARD, forwarding, masquerade} from './forwarding.js';
import {overlay, overlayPeers} from './overlay.js';
import {routing} from './routing.js';
import {serviceSysctls, services} from './services.js';
import {underlay} from './underlay.js';

export type {NodeContext, NodeFacts} from './context.js';

export interface DesiredState {
  /** What is particular to the node, by key. */
  readonly node: Keyed;
  /** netctl's iptables chains and jumps: the same on every node of a cluster, so built once and shared. */
  readonly iptables: IptablesState;
}

const clusterIptables = new WeakMap<ClusterNetwork, IptablesState>();

function iptablesOf(cluster: ClusterNetwork): IptablesState {
  let state = clusterIptables.get(cluster);
  if (state === undefined) {
    state = iptablesState([...forwarding(cluster), ...masquerade(cluster), ...services(cluster)]);
    clusterIptables.set(cluster, state);
  }
  return state;
}

export function desiredState(context: NodeContext): DesiredState {
  const {cluster, node} = context;
  const byMode = (): Resource[] => {
    switch (cluster.mode) {
      case 'overlay': return [...bridgeAndPods(context), ...overlay(context)];
      case 'routing': return [...bridgeAndPods(context), ...routing(context)];
      case 'underlay': return underlay(context);
    }
  };
  const own = new Map<string, Resource>();
  for (const r of [IP_FORWARD, ...serviceSysctls(cluster), ...byMode()]) own.set(keyOf(r), r);
  if (cluster.mode === 'overlay') {
    // Kind by kind (routes, neighbours, FDB entries), the order they are created in.
    for (const [peer, entries] of overlayPeers(cluster)) if (peer !== node.name) own.set(...entries[0]!);
    for (const [peer, entries] of overlayPeers(cluster)) if (peer !== node.name) own.set(...entries[1]!);
    for (const [peer, entries] of overlayPeers(cluster)) if (peer !== node.name) own.set(...entries[2]!);
  }
  return {node: own, iptables: iptablesOf(cluster)};
}

/** Every desired object of the node in one list. */
export function desiredResources(state: DesiredState): Resource[] {
  return Array.from(state.node.values()).concat(state.iptables.resources);
}
