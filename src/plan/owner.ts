/** A node that holds another cluster's netctl objects is left alone (src/observe/owner.ts says why). */
import {OWNER_FILE} from '../observe/owner.js';
import type {NodeObservation} from '../observe/parse.js';
import type {ClusterNetwork} from '../spec/types.js';
import type {HostCheck} from './preflight.js';

/** Whether the node's netctl objects are this cluster's to change: a blocking failure when another cluster's. */
export function ownerCheck(cluster: ClusterNetwork, observed: NodeObservation): HostCheck {
  const recorded = observed.cluster;
  const check = 'cluster';
  if (recorded === cluster.name) return {check, status: 'pass', detail: `the node's netctl objects are this cluster's (${cluster.name})`};
  // Without copying every object: a node with 1,000 services holds tens of thousands.
  const holdsNothing = observed.resources.size === 0 && observed.hostRoutes.resources.length === 0 && observed.iptables.resources.length === 0;
  if (holdsNothing) return {check, status: 'pass', detail: 'the node holds no netctl objects'};
  if (recorded === undefined) return {check, status: 'pass', detail: `the node's netctl objects name no cluster (an older netctl built them): the next apply that changes the node records ${cluster.name}`};
  return {
    check, status: 'fail', blocking: true,
    detail: `the node holds the netctl objects of cluster ${recorded} (metadata.name of the spec that applied them), not of ${cluster.name}: netctl changes a node only for the cluster that built it`,
    fix: `destroy that cluster first with its own spec (the one whose metadata.name is ${recorded}: netctl destroy -f THAT-SPEC), or keep working on it with that spec; if this spec is that cluster renamed, remove ${OWNER_FILE} on the node`,
  };
}
