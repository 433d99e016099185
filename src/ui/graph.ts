/**
 * The topology of a spec as a picture: nodes with their pod CIDR and bridge, pods grouped by node and
 * namespace, the overlay or routes between nodes, services with arrows to their endpoints, and what
 * network policies allow. One model, written as Graphviz DOT or Mermaid; layout is left to them.
 */
import {formatAddress, formatCidr} from '../net/ipv4.js';
import {virtualServices} from '../desired/services.js';
import {podNetns} from '../desired/names.js';
import {selectedPods, peerSelectsPod, policyName} from '../spec/policy-semantics.js';
import type {ClusterNetwork, Pod} from '../spec/types.js';

/**
 * How the hosts differ from the spec (`graph --observed`): drift (the node or pod holds something else),
 * missing (in the spec, not on the host), extra (on the host, not in the spec), unreachable.
 */
export type ObservedState = 'drift' | 'missing' | 'extra' | 'unreachable';

export interface GraphBox {
  readonly id: string;
  readonly label: string;
  readonly boxes: readonly GraphBox[];
  readonly vertices: readonly GraphVertex[];
  readonly state?: ObservedState;
}

export interface GraphVertex {
  readonly id: string;
  readonly label: string;
  readonly kind: 'bridge' | 'pod' | 'service';
  readonly state?: ObservedState;
}

export interface GraphEdge {
  readonly from: string;
  readonly to: string;
  readonly label: string;
  /** `passed`, `failed`, `not run`: a connection verify probed. */
  readonly kind: 'link' | 'tunnel' | 'endpoint' | 'policy' | 'passed' | 'failed' | 'not run';
}

export interface Graph {
  readonly boxes: readonly GraphBox[];
  readonly vertices: readonly GraphVertex[];
  readonly edges: readonly GraphEdge[];
}

/** Vertex ids are DOT and Mermaid identifiers: letters, digits and `_`. */
/**
 * A vertex or box id that Mermaid and DOT take unquoted, one per object: names are lowercase, so `-`
 * and `.` become capitals and `_` stays the separator (`team-a`/`web` and `team`/`a-web` stay apart).
 */
export const id = (...parts: string[]) => parts.map((part) => part.replace(/-/g, 'H').replace(/\./g, 'D').replace(/[^A-Za-z0-9_]/g, '_')).join('_');
export const podId = (pod: Pod) => id('pod', pod.namespace, pod.name);
export const nodeId = (name: string) => id('node', name);
const serviceId = (service: {namespace: string; name: string}) => id('svc', service.namespace, service.name);

export function topology(cluster: ClusterNetwork): Graph {
  const edges: GraphEdge[] = [];
  const boxes = cluster.nodes.map((node): GraphBox => {
    const bridge: GraphVertex = {id: `${nodeId(node.name)}_bridge`, label: cluster.mode === 'underlay' ? `uplink of ${node.name}` : `bridge netctl0\n${formatAddress(node.podCIDR.first + 1)}`, kind: 'bridge'};
    const pods = cluster.pods.filter((p) => p.node === node.name);
    const namespaces = [...new Set(pods.map((p) => p.namespace))];
    for (const pod of pods) edges.push({from: bridge.id, to: podId(pod), label: '', kind: 'link'});
    return {
      id: `cluster_${nodeId(node.name)}`,
      label: `${node.name} ${formatAddress(node.address)}\npods ${formatCidr(node.podCIDR)}`,
      vertices: [bridge],
      boxes: namespaces.map((namespace) => ({
        id: id('cluster', nodeId(node.name), namespace),
        label: `namespace ${namespace}`,
        boxes: [],
        vertices: pods.filter((p) => p.namespace === namespace).map((p) => ({id: podId(p), label: `${p.name}\n${formatAddress(p.ip)}`, kind: 'pod' as const})),
      })),
    };
  });
  const between = cluster.mode === 'overlay' ? `vxlan ${cluster.overlay.vni}` : cluster.mode === 'routing' ? 'routes' : 'node network';
  cluster.nodes.forEach((a, i) => cluster.nodes.slice(i + 1).forEach((b) => edges.push({from: `${nodeId(a.name)}_bridge`, to: `${nodeId(b.name)}_bridge`, label: between, kind: 'tunnel'})));

  const vertices: GraphVertex[] = [];
  for (const service of virtualServices(cluster)) {
    const vertex = serviceId(service);
    vertices.push({id: vertex, label: `service ${service.namespace}/${service.name}\n${formatAddress(service.clusterIP)}`, kind: 'service'});
    for (const port of service.ports) {
      for (const endpoint of port.endpoints) {
        const pod = cluster.pods.find((p) => p.ip === endpoint.ip);
        if (pod !== undefined) edges.push({from: vertex, to: podId(pod), label: `${port.port} → ${endpoint.port}`, kind: 'endpoint'});
      }
    }
  }
  // What policies allow: from the pods a rule's pod peers select to the pods the policy selects.
  for (const policy of cluster.networkPolicies) {
    const selected = selectedPods(cluster, policy);
    policy.ingress.forEach((rule) => {
      for (const peer of rule.peers) {
        if (peer.kind !== 'pods') continue;
        for (const from of cluster.pods.filter((p) => peerSelectsPod(cluster, policy, peer, p))) {
          for (const to of selected) if (from !== to) edges.push({from: podId(from), to: podId(to), label: policyName(policy), kind: 'policy'});
        }
      }
    });
  }
  return {boxes, vertices, edges};
}

const quote = (text: string) => `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;

const DOT_STYLE: Record<GraphEdge['kind'], string> = {
  link: '[arrowhead=none]',
  tunnel: '[arrowhead=none, style=bold, color="#1f6feb", constraint=false]',
  endpoint: '[color="#2da44e"]',
  policy: '[style=dashed, color="#cf222e", constraint=false]',
  passed: '[color="#2da44e", penwidth=2, constraint=false]',
  failed: '[color="#cf222e", penwidth=2, constraint=false]',
  'not run': '[color="#8c959f", style=dotted, constraint=false]',
};
const DOT_SHAPE: Record<GraphVertex['kind'], string> = {bridge: 'shape=box', pod: 'shape=ellipse', service: 'shape=hexagon, color="#2da44e"'};
const DOT_STYLE_OF_KIND: Partial<Record<GraphVertex['kind'], string>> = {bridge: 'rounded'};

const DOT_STATE: Record<ObservedState, {readonly colors: string; readonly line: string}> = {
  drift: {colors: 'color="#bf8700", fontcolor="#bf8700", penwidth=2', line: 'dashed'},
  missing: {colors: 'color="#cf222e", fontcolor="#cf222e", penwidth=2', line: 'dashed'},
  extra: {colors: 'color="#cf222e", fontcolor="#cf222e", penwidth=2', line: 'bold'},
  unreachable: {colors: 'color="#cf222e", fontcolor="#cf222e", penwidth=2', line: 'dotted'},
};

/** A vertex's or a box's attributes: its kind's shape, and its state's colours with the line style added. */
function dotAttributes(kind: GraphVertex['kind'] | undefined, state: ObservedState | undefined): string {
  const styles = [kind === undefined ? undefined : DOT_STYLE_OF_KIND[kind], state === undefined ? undefined : DOT_STATE[state].line].filter((s) => s !== undefined);
  return [
    ...(kind === undefined ? [] : [DOT_SHAPE[kind]]),
    ...(state === undefined ? [] : [DOT_STATE[state].colors]),
    ...(styles.length === 0 ? [] : [`style="${styles.join(',')}"`]),
  ].join(', ');
}

export function toDot(graph: Graph): string {
  const lines = ['digraph netctl {', '  rankdir=LR;', '  node [fontname="Helvetica", fontsize=10];', '  edge [fontname="Helvetica", fontsize=9];'];
  const vertex = (v: GraphVertex) => `${v.id} [label=${quote(v.label)}, ${dotAttributes(v.kind, v.state)}];`;
  const box = (b: GraphBox, indent: string) => {
    lines.push(`${indent}subgraph ${b.id} {`, `${indent}  label=${quote(b.label)};`);
    if (b.state !== undefined) lines.push(`${indent}  graph [${dotAttributes(undefined, b.state)}];`);
    for (const v of b.vertices) lines.push(`${indent}  ${vertex(v)}`);
    for (const inner of b.boxes) box(inner, `${indent}  `);
    lines.push(`${indent}}`);
  };
  for (const b of graph.boxes) box(b, '  ');
  for (const v of graph.vertices) lines.push(`  ${vertex(v)}`);
  for (const e of graph.edges) lines.push(`  ${e.from} -> ${e.to} [label=${quote(e.label)}] ${DOT_STYLE[e.kind]};`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

const mermaidText = (text: string) => `"${text.replace(/"/g, '#quot;').replace(/\n/g, '<br/>')}"`;
const MERMAID_ARROW: Record<GraphEdge['kind'], string> = {link: '---', tunnel: '===', endpoint: '-->', policy: '-.->', passed: '-->', failed: '--x', 'not run': '-.-'};

const MERMAID_STATE: Record<ObservedState, string> = {
  drift: 'stroke:#bf8700,stroke-width:2px,stroke-dasharray:5 5',
  missing: 'stroke:#cf222e,stroke-width:2px,stroke-dasharray:5 5',
  extra: 'stroke:#cf222e,stroke-width:3px',
  unreachable: 'stroke:#cf222e,stroke-width:2px,stroke-dasharray:2 2',
};

export function toMermaid(graph: Graph): string {
  const lines = ['flowchart LR'];
  const box = (b: GraphBox, indent: string) => {
    lines.push(`${indent}subgraph ${b.id}[${mermaidText(b.label)}]`);
    for (const v of b.vertices) lines.push(`${indent}  ${v.id}${v.kind === 'service' ? `{{${mermaidText(v.label)}}}` : v.kind === 'bridge' ? `[${mermaidText(v.label)}]` : `(${mermaidText(v.label)})`}`);
    for (const inner of b.boxes) box(inner, `${indent}  `);
    lines.push(`${indent}end`);
  };
  for (const b of graph.boxes) box(b, '  ');
  for (const v of graph.vertices) lines.push(`  ${v.id}{{${mermaidText(v.label)}}}`);
  for (const e of graph.edges) lines.push(`  ${e.from} ${MERMAID_ARROW[e.kind]}${e.label === '' ? '' : `|${mermaidText(e.label)}|`} ${e.to}`);
  const states = new Map<ObservedState, string[]>();
  const note = (element: {id: string; state?: ObservedState}) => {
    if (element.state === undefined) return;
    const ids = states.get(element.state) ?? [];
    ids.push(element.id);
    states.set(element.state, ids);
  };
  const walk = (b: GraphBox) => {
    note(b);
    b.vertices.forEach(note);
    b.boxes.forEach(walk);
  };
  graph.boxes.forEach(walk);
  graph.vertices.forEach(note);
  for (const [state, ids] of states) lines.push(`  classDef ${state} ${MERMAID_STATE[state]}`, `  class ${ids.join(',')} ${state}`);
  return `${lines.join('\n')}\n`;
}

/** A connection verify probed: from a pod or a node (by name) to an address, and how it went. */
export interface ProbedEdge {
  readonly pod: string | undefined;
  readonly node: string;
  readonly target: string;
  readonly status: 'passed' | 'failed' | 'not run';
  readonly label: string;
}

/**
 * The topology with the connections verify probed drawn on it, coloured by result. A node stands for
 * itself by its bridge; targets are pods, services and nodes by address (names it cannot place, such
 * as DNS names, are left out).
 */
export function withProbes(cluster: ClusterNetwork, graph: Graph, probes: readonly ProbedEdge[]): Graph {
  const byAddress = new Map<string, string>([
    ...cluster.pods.map((p) => [formatAddress(p.ip), podId(p)] as const),
    ...cluster.nodes.map((n) => [formatAddress(n.address), `${nodeId(n.name)}_bridge`] as const),
    ...virtualServices(cluster).map((s) => [formatAddress(s.clusterIP), serviceId(s)] as const),
  ]);
  const edges = probes.flatMap((probe): GraphEdge[] => {
    const pod = probe.pod === undefined ? undefined : cluster.pods.find((p) => podNetns(p) === probe.pod);
    const from = pod === undefined ? `${nodeId(probe.node)}_bridge` : podId(pod);
    const to = byAddress.get(probe.target);
    return to === undefined || to === from ? [] : [{from, to, label: probe.label, kind: probe.status}];
  });
  return {...graph, edges: [...graph.edges, ...edges]};
}

/** SVG through Graphviz compiled to WebAssembly (loaded only for this). */
export async function toSvg(graph: Graph): Promise<string> {
  const {Graphviz} = await import('@hpcc-js/wasm-graphviz');
  return (await Graphviz.load()).dot(toDot(graph));
}
