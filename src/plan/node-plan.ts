/**
 * The plan of one node, built before any host is touched: the desired state from the spec and the
 * node's facts, the diff against what the node holds, and every reason the node cannot be planned.
 */
import {desiredState, serviceRulesState, type DesiredState, type NodeFacts} from '../desired/index.js';
import {peersOf, podsOf} from '../desired/context.js';
import {formatAddress} from '../net/ipv4.js';
import {observedResources, type NodeObservation} from '../observe/parse.js';
import type {ObserveOptions} from '../observe/script.js';
import {iptablesState} from '../resources/iptables.js';
import type {Resource} from '../resources/model.js';
import type {ClusterNetwork, Node} from '../spec/types.js';
import {diff, type Change} from './diff.js';
import {diffNode} from './node-diff.js';
import {fingerprint} from './fingerprint.js';

export type Intent = 'apply' | 'destroy';

export interface NodePlan {
  readonly node: string;
  readonly changes: readonly Change[];
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

const REQUIRED_TOOLS = ['ip', 'bridge', 'iptables-save', 'iptables-restore'];

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
  for (const tool of observed.missingTools.filter((t) => REQUIRED_TOOLS.includes(t))) {
    errors.push(`the node has no ${tool} command; install ${tool.startsWith('iptables') ? 'iptables' : 'iproute2'}`);
  }
  if (intent === 'apply' && cluster.dns !== undefined && observed.missingTools.includes('dnsmasq')) {
    errors.push(`cluster DNS needs dnsmasq on the node: install dnsmasq-base on ${node.name}`);
  }
  if (errors.length > 0) return {node: node.name, changes: [], errors, warnings, ...seen};

  if (intent === 'destroy') {
    const {changes} = diff([], {resources: observedResources(observed), foreign: observed.foreign});
    return {node: node.name, changes, errors, warnings, ...seen};
  }
  const desired = scoped(desiredOf(cluster, node, observed, scope, errors), scope.iptablesChains);
  if (desired === undefined) return {node: node.name, changes: [], errors, warnings, ...seen};
  if (observed.brNetfilter === 'missing' && [...desired.node.values()].some((r) => r.kind === 'sysctl' && r.key.startsWith('net/bridge/'))) {
    errors.push('the br_netfilter kernel module is not loaded and modprobe cannot load it; services and network policies need it for traffic between pods of one node (it takes bridged traffic through iptables): install your kernel\'s modules (on Ubuntu, linux-modules-extra-$(uname -r)) or load it by hand');
    return {node: node.name, changes: [], errors, warnings, ...seen};
  }
  const {changes, conflicts} = diffNode(desired, observed);
  for (const conflict of conflicts) {
    errors.push(`${conflict.foreign} is in the way of ${conflict.key}; netctl never changes what it did not create: remove or rename it`);
  }
  return {node: node.name, changes, errors, warnings, ...seen};
}

function desiredOf(cluster: ClusterNetwork, node: Node, observed: NodeObservation, scope: NodeScope, errors: string[]): DesiredState | undefined {
  if (scope.serviceRulesOnly === true) return serviceRulesState({cluster, node, facts: {nameservers: observed.nameservers}});
  const facts = nodeFacts(cluster, node, observed, errors);
  return facts === undefined ? undefined : desiredState({cluster, node, facts});
}

function scoped(desired: DesiredState | undefined, iptablesScope: ReadonlySet<string> | undefined): DesiredState | undefined {
  if (desired === undefined || iptablesScope === undefined) return desired;
  return {node: desired.node, hostRoutes: desired.hostRoutes, iptables: iptablesState(desired.iptables.resources.filter((r) => iptablesScope.has(`${r.table} ${r.chain}`)))};
}

function nodeWarnings(cluster: ClusterNetwork, observed: NodeObservation): string[] {
  const warnings: string[] = [];
  const udp = cluster.services.some((s) => s.ports.some((p) => p.protocol === 'UDP'));
  if (udp && observed.missingTools.includes('conntrack')) {
    warnings.push('the node has no conntrack command: when a UDP endpoint goes away, clients keep sending to it until their conntrack entries expire; install conntrack');
  }
  const other = observed.chainsInOtherBackend;
  if (other !== undefined && other.count > 0) {
    warnings.push(`${other.count} netctl chain${other.count === 1 ? '' : 's'} found in the iptables backend this node does not use (${other.command}); netctl works through ${observed.iptablesBackend ?? 'the default'} and leaves them: remove them by hand`);
  }
  return warnings;
}

function nodeFacts(cluster: ClusterNetwork, node: Node, observed: NodeObservation, errors: string[]): NodeFacts | undefined {
  const address = formatAddress(node.address);
  let uplink = node.interface;
  if (uplink !== undefined && !observed.hostLinks.has(uplink)) {
    errors.push(`interface ${uplink} (spec.nodes[].interface) does not exist on the node`);
    return undefined;
  }
  if (uplink === undefined) {
    uplink = observed.hostAddresses.find((a) => a.address === address)?.dev;
    if (uplink === undefined) {
      errors.push(`no interface of the node holds its address ${address}; check the address or set interface`);
      return undefined;
    }
  }
  if (cluster.mode !== 'overlay') {
    for (const peer of peersOf(cluster, node)) {
      const target = formatAddress(peer.address);
      const route = observed.routesToPeers.get(target);
      if (route === undefined) continue;
      if (route.error !== undefined || route.gateway !== undefined || route.dev !== uplink) {
        const how = route.error ?? (route.gateway !== undefined ? `through gateway ${route.gateway} on ${route.dev ?? '?'}` : `on ${route.dev ?? '?'}, not on ${uplink}`);
        errors.push(`${cluster.mode} mode needs every node on one layer-2 subnet, but this node reaches ${peer.name} (${target}) ${how}; use mode: overlay`);
      }
    }
  }
  if (cluster.mode === 'underlay' && cluster.underlay.driver !== 'routed') {
    const probe = observed.linkTypes.get(cluster.underlay.driver);
    if (probe !== undefined && !probe.supported) {
      errors.push(`this node's kernel cannot create ${cluster.underlay.driver} links (${probe.detail || 'unknown error'}); load the ${cluster.underlay.driver} module or use underlay.driver: routed`);
    }
  }
  return {uplink, nameservers: observed.nameservers};
}

/** What the observe script must ask the node, given the spec. */
export function observeOptions(cluster: ClusterNetwork, node: Node, intent: Intent, nodeScope: NodeScope = {}): ObserveOptions {
  const iptablesScope = nodeScope.iptablesChains;
  const scope = {
    ...(iptablesScope === undefined ? {} : {iptablesChains: [...iptablesScope].sort()}),
    ...(nodeScope.serviceRulesOnly === true ? {serviceRulesOnly: true} : {}),
  };
  if (intent === 'destroy' || nodeScope.serviceRulesOnly === true) return {routeTargets: [], probeLinkTypes: [], ...scope};
  const driver = cluster.underlay.driver;
  const probes = podsOf(cluster, node).filter((p) => p.readinessProbe !== undefined);
  return {
    ...scope,
    ...(probes.length === 0 ? {} : {probes}),
    routeTargets: cluster.mode === 'overlay' ? [] : peersOf(cluster, node).map((p) => formatAddress(p.address)),
    probeLinkTypes: cluster.mode === 'underlay' && driver !== 'routed' ? [driver] : [],
  };
}
