/**
 * What an endpoint change touches on a node: the iptables chains whose content differs between the
 * cluster as it served before and as it serves now (a pod became ready or not ready), and the DNS
 * objects (headless names answer with ready pods). The reconcile loop reads, changes and verifies only
 * these, as kube-proxy's partial syncs rewrite only the services that changed; its periodic resync
 * still reads each node whole.
 */
import {desiredIptables} from '../desired/index.js';
import type {IptablesResource} from '../resources/iptables.js';
import type {ClusterNetwork} from '../spec/types.js';
import {diff} from './diff.js';
import type {NodeScope} from './node-plan.js';

export function endpointScope(before: ClusterNetwork, after: ClusterNetwork): NodeScope {
  const {changes} = diff(desiredIptables(after).resources, {resources: desiredIptables(before).resources, foreign: new Map()});
  const chains = new Set(changes.map((change) => {
    const r = (change.after ?? change.before) as IptablesResource;
    return `${r.table} ${r.chain}`;
  }));
  return {iptablesChains: chains, serviceRulesOnly: true};
}
