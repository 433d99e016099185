/**
 * `graph --observed`: the topology as the hosts serve it (ready endpoints only, from a plan's read of
 * every node) with what differs from the spec marked: pods missing on their node or holding something
 * else, netctl pods on a node that the spec no longer has, nodes with other differences, nodes that
 * could not be read.
 */
import type {ClusterPlan, NodeOutcome} from '../engine/engine.js';
import type {Change} from '../plan/diff.js';
import type {ClusterNetwork} from '../spec/types.js';
import {podNetns} from '../desired/names.js';
import {id, nodeId, podId, topology, type Graph, type GraphBox, type GraphVertex} from './graph.js';

/** The namespace a change is in ('' for the host), or the pod namespace it creates or removes. */
const namespaceOf = (change: Change): string => {
  const resource = change.after ?? change.before;
  if (resource === undefined) return '';
  if (resource.kind === 'netns') return resource.name;
  return 'ns' in resource ? resource.ns : '';
};
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function observedTopology(cluster: ClusterNetwork, plan: ClusterPlan): Graph {
  const graph = topology(cluster);
  const outcomes = new Map(plan.nodes.map((n) => [n.node, n]));
  const notReady = new Map((plan.notReady ?? []).map((n) => [podId(n.pod), n.detail]));
  const boxes = graph.boxes.map((box, i) => observedNode(box, cluster.nodes[i]!.name, outcomes.get(cluster.nodes[i]!.name), cluster, notReady));
  return {...graph, boxes};
}

function observedNode(box: GraphBox, node: string, outcome: NodeOutcome | undefined, cluster: ClusterNetwork, notReady: ReadonlyMap<string, string>): GraphBox {
  const markPods = (b: GraphBox, state: (v: GraphVertex) => GraphVertex): GraphBox => ({...b, vertices: b.vertices.map(state), boxes: b.boxes.map((inner) => markPods(inner, state))});
  const withReadiness = (v: GraphVertex): GraphVertex => (notReady.has(v.id) ? {...v, label: `${v.label}\nnot ready: ${notReady.get(v.id)}`} : v);
  if (outcome === undefined) return {...markPods(box, withReadiness), label: `${box.label}\nnot read`};
  if (outcome.status !== 'planned') return {...markPods(box, withReadiness), label: `${box.label}\n${outcome.status}`, state: 'unreachable'};
  if (outcome.errors.length > 0) return {...markPods(box, withReadiness), label: `${box.label}\ncannot be planned`, state: 'drift'};

  const pods = new Map(cluster.pods.filter((p) => p.node === node).map((p) => [podNetns(p), podId(p)]));
  const missing = new Set<string>();
  const drifted = new Set<string>();
  const extra: string[] = [];
  let hostChanges = 0;
  for (const change of outcome.changes) {
    const ns = namespaceOf(change);
    const pod = pods.get(ns);
    if (change.kind === 'netns' && change.action === 'create' && pod !== undefined) missing.add(pod);
    else if (change.kind === 'netns' && change.action === 'delete') extra.push(ns);
    else if (pod !== undefined) drifted.add(pod);
    else if (ns === '') hostChanges++;
  }
  const state = (v: GraphVertex): GraphVertex => {
    const ready = withReadiness(v);
    if (missing.has(v.id)) return {...ready, label: `${ready.label}\nmissing`, state: 'missing'};
    if (drifted.has(v.id)) return {...ready, label: `${ready.label}\ndiffers from the spec`, state: 'drift'};
    if (v.kind === 'bridge' && hostChanges > 0) return {...ready, label: `${ready.label}\n${plural(hostChanges, 'host difference')}`, state: 'drift'};
    return ready;
  };
  const marked = markPods(box, state);
  const extras: GraphBox[] = extra.length === 0 ? [] : [{
    id: id('cluster', nodeId(node), 'not_in_spec'),
    label: 'not in the spec',
    boxes: [],
    vertices: extra.map((name) => ({id: id('extra', node, name), label: `${name}\nnot in the spec`, kind: 'pod' as const, state: 'extra' as const})),
    state: 'extra',
  }];
  const changes = outcome.changes.length;
  return {
    ...marked,
    boxes: [...marked.boxes, ...extras],
    label: changes === 0 ? `${box.label}\nmatches the spec` : `${box.label}\n${plural(changes, 'change')} to apply`,
    ...(changes === 0 ? {} : {state: 'drift' as const}),
  };
}
