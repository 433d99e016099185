/**
 * The plan of one node, built before any host is touched: the desired state from the spec and the
 * node's facts, the diff against what the node holds, and every reason the node cannot be planned.
 */
import {desiredState, serviceRulesState, type DesiredState} from '../desired/index.js';
import {peersOf, podsOf} from '../desired/context.js';
import type {ResolverFacts} from '../desired/pod-resolvers.js';
import {formatAddress} from '../net/ipv4.js';
import {observedResources, type NodeObservation} from '../observe/parse.js';
import type {ObserveOptions} from '../observe/script.js';
import {iptablesState} from '../resources/iptables.js';
import type {Resource} from '../resources/model.js';
import type {ClusterNetwork, Node} from '../spec/types.js';
import {ChangeList} from './change-list.js';
import {diff} from './diff.js';
import {diffNode} from './node-diff.js';
import {fingerprint} from './fingerprint.js';
import {ownerCheck} from './owner.js';
import {blockingErrors, hostChecks, neededLinkTypes, needsConntrack, requiredToolsMissing, uplinkOf} from './preflight.js';

export type Intent = 'apply' | 'destroy';

export interface NodePlan {
  readonly node: string;
  readonly changes: ChangeList;
  /** Why the node cannot be changed; a node with errors is not applied. */
  readonly errors: readonly string[];
  /** What the operator should know, which does not stop the apply. */
  readonly warnings: readonly string[];
  /**
   * Digest of everything observed on the node, for saved plans (which apply only while it holds);
   * empty unless asked for, since it costs a pass over every object.
   */
  readonly fingerprint: string;
  /** With the fingerprint: netctl's objects on the node when planned, to say what drifted since. */
  readonly observed?: readonly Resource[];
  /** Rules of the node's whole iptables ruleset when planned (when read whole), to choose how to re-read it. */
  readonly observedRules?: number;
}

/** The part of a node a read covers, and so the part its plan compares: by default all of it. */
export interface NodeScope {
  /** Only these iptables chains (`table chain`), read one by one. */
  readonly iptablesChains?: ReadonlySet<string>;
  /** Only the iptables chains and the DNS objects: an endpoint change, or the check of a change that touched nothing else. */
  readonly serviceRulesOnly?: boolean;
}

/** A plan of the given scope compares only what an observation of the same scope read. */
export function planNode(
  cluster: ClusterNetwork,
  node: Node,
  observed: NodeObservation,
  intent: Intent,
  scope: NodeScope = {},
  withFingerprint = false,
): NodePlan {
  const errors: string[] = [];
  const warnings = nodeWarnings(cluster, observed);
  const seen = {
    ...(withFingerprint ? {fingerprint: fingerprint(observed), observed: observedResources(observed)} : {fingerprint: ''}),
    ...(observed.iptablesRules === undefined ? {} : {observedRules: observed.iptablesRules}),
  };
  const stop = (reasons: string[]) => ({node: node.name, changes: ChangeList.EMPTY, errors: reasons, warnings, ...seen});
  const owner = ownerCheck(cluster, observed);
  if (owner.status === 'fail') return stop(blockingErrors([owner]));
  if (intent === 'destroy') {
    const missing = requiredToolsMissing(observed);
    if (missing !== undefined) return stop(blockingErrors([missing]));
    const {changes} = diff([], {resources: observedResources(observed), foreign: observed.foreign});
    return {node: node.name, changes: ChangeList.of(changes), errors, warnings, ...seen};
  }
  if (scope.serviceRulesOnly !== true) {
    const blocking = blockingErrors(hostChecks(cluster, node, observed));
    if (blocking.length > 0) return stop(blocking);
  }
  const desired = scoped(desiredOf(cluster, node, observed, scope), scope.iptablesChains);
  const {changes, conflicts} = diffNode(desired, observed);
  for (const conflict of conflicts) {
    errors.push(`${conflict.foreign} is in the way of ${conflict.key}; netctl never changes what it did not create: remove or rename it`);
  }
  return {node: node.name, changes, errors, warnings, ...seen};
}

function desiredOf(cluster: ClusterNetwork, node: Node, observed: NodeObservation, scope: NodeScope): DesiredState {
  if (scope.serviceRulesOnly === true) return serviceRulesState({cluster, node, facts: resolverFacts(observed)});
  const found = uplinkOf(node, observed);
  // Host checks ran first: a node without its uplink stopped there.
  if (!('uplink' in found)) throw new Error(`planning ${node.name} without its uplink`);
  return desiredState({cluster, node, facts: {uplink: found.uplink, ...resolverFacts(observed)}});
}

/** What the node's /etc/resolv.conf gives cluster DNS and pods. */
function resolverFacts(observed: NodeObservation): ResolverFacts {
  const {nameservers, hostResolvConf} = observed;
  return {nameservers, ...(hostResolvConf === undefined ? {} : {hostResolvConf})};
}

function scoped(desired: DesiredState, iptablesScope: ReadonlySet<string> | undefined): DesiredState {
  if (iptablesScope === undefined) return desired;
  return {node: desired.node, hostRoutes: desired.hostRoutes, iptables: iptablesState(desired.iptables.resources.filter((r) => iptablesScope.has(`${r.table} ${r.chain}`)))};
}

function nodeWarnings(cluster: ClusterNetwork, observed: NodeObservation): string[] {
  const warnings: string[] = [];
  if (needsConntrack(cluster) && observed.missingTools.includes('conntrack')) {
    warnings.push('the node has no conntrack command: when a UDP endpoint goes away, clients keep sending to it until their conntrack entries expire; install conntrack');
  }
  const other = observed.chainsInOtherBackend;
  if (other !== undefined && other.count > 0) {
    warnings.push(`${other.count} netctl chain${other.count === 1 ? '' : 's'} found in the iptables backend this node does not use (${other.command}); netctl works through ${observed.iptablesBackend ?? 'the default'} and leaves them: remove them by hand`);
  }
  return warnings;
}

/**
 * What the observe script must ask the node, given the spec. Kernel support for links is probed (in a
 * throwaway namespace: a process and a few links, about 10 ms of a node's CPU) for preflight, and for
 * plans only where a missing module is common: ipvlan and macvlan.
 */
export function observeOptions(cluster: ClusterNetwork, node: Node, intent: Intent, nodeScope: NodeScope = {}, preflight = false): ObserveOptions {
  const iptablesScope = nodeScope.iptablesChains;
  const scope = {
    ...(iptablesScope === undefined ? {} : {iptablesChains: [...iptablesScope].sort()}),
    ...(nodeScope.serviceRulesOnly === true ? {serviceRulesOnly: true} : {}),
  };
  if (intent === 'destroy' || nodeScope.serviceRulesOnly === true) return {routeTargets: [], probeLinkTypes: [], ...scope};
  const probes = podsOf(cluster, node).filter((p) => p.readinessProbe !== undefined);
  return {
    ...scope,
    ...(probes.length === 0 ? {} : {probes}),
    routeTargets: cluster.mode === 'overlay' ? [] : peersOf(cluster, node).map((p) => formatAddress(p.address)),
    probeLinkTypes: preflight ? neededLinkTypes(cluster) : neededLinkTypes(cluster).filter((t) => t === 'ipvlan' || t === 'macvlan'),
  };
}
