/** netctl graph: the topology of every example spec as DOT and Mermaid structures, and as SVG. */
import {describe, expect, it} from '@jest/globals';
import {readdirSync, readFileSync} from 'node:fs';
import {join} from 'node:path';
import type {ClusterPlan} from '../../src/engine/engine.js';
import {ChangeList} from '../../src/plan/change-list.js';
import {checkSpecText} from '../../src/spec/check.js';
import {observedTopology} from '../../src/ui/observed-graph.js';
import {id, nodeId, podId, toDot, toMermaid, toSvg, topology, withProbes, type Graph} from '../../src/ui/graph.js';

const examples = join(import.meta.dirname, '..', '..', 'examples');
const specs = readdirSync(examples).filter((f) => f.endsWith('.yaml')).sort();
const clusterOf = (file: string) => checkSpecText(readFileSync(join(examples, file), 'utf8')).cluster!;
const verticesOf = (graph: Graph) => {
  const inBoxes = (boxes: Graph['boxes']): string[] => boxes.flatMap((b) => [...b.vertices.map((v) => v.id), ...inBoxes(b.boxes)]);
  return [...inBoxes(graph.boxes), ...graph.vertices.map((v) => v.id)];
};

describe('netctl graph', () => {
  it.each(specs)('%s: every node, pod and service, each pod on its bridge, the nodes linked, services to their endpoints', (file) => {
    const cluster = clusterOf(file);
    const graph = topology(cluster);
    const vertices = verticesOf(graph);
    expect(vertices.filter((v) => v.endsWith('_bridge'))).toHaveLength(cluster.nodes.length);
    expect(vertices.filter((v) => v.startsWith('pod_'))).toHaveLength(cluster.pods.length);
    expect(graph.edges.filter((e) => e.kind === 'link')).toHaveLength(cluster.pods.length);
    expect(graph.edges.filter((e) => e.kind === 'tunnel')).toHaveLength((cluster.nodes.length * (cluster.nodes.length - 1)) / 2);
    const endpoints = cluster.services.filter((s) => s.clusterIP !== undefined).flatMap((s) => s.ports.flatMap((p) => p.endpoints.filter((e) => cluster.pods.some((pod) => pod.ip === e.ip))));
    expect(graph.edges.filter((e) => e.kind === 'endpoint')).toHaveLength(endpoints.length);
    // Every edge joins vertices the graph declares.
    for (const edge of graph.edges) expect(vertices).toEqual(expect.arrayContaining([edge.from, edge.to]));
    const dot = toDot(graph);
    expect(dot.match(/^ +\w+ -> \w+ /gm)).toHaveLength(graph.edges.length);
    expect(dot.match(/^ +subgraph cluster_\w+ \{$/gm)?.length).toBeGreaterThanOrEqual(cluster.nodes.length);
    const mermaid = toMermaid(graph);
    expect(mermaid.split('\n')[0]).toBe('flowchart LR');
    expect(mermaid.match(/^ +\w+ (---|===|-->|-\.->)/gm)).toHaveLength(graph.edges.length);
    expect(mermaid.match(/^ *subgraph /gm)?.length).toBe(mermaid.match(/^ *end$/gm)?.length);
  });

  it('draws what the policies allow, from the peers to the pods they protect', () => {
    const graph = topology(clusterOf('policies.yaml'));
    expect(graph.edges.filter((e) => e.kind === 'policy').map((e) => `${e.from} -> ${e.to} ${e.label}`).sort()).toEqual([
      'pod_jobs_batchH1 -> pod_shop_dbH1 shop/db-from-clients',
      'pod_shop_clientH1 -> pod_shop_dbH1 shop/db-from-clients',
    ]);
  });

  it('lays the demo network out as well-formed SVG, one shape per vertex and edge', async () => {
    const graph = topology(clusterOf('demo.yaml'));
    const svg = await toSvg(graph);
    expect(svg).toMatch(/^<\?xml/);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(svg.match(/<g id="node\d+" class="node">/g)).toHaveLength(verticesOf(graph).length);
    expect(svg.match(/<g id="edge\d+" class="edge">/g)).toHaveLength(graph.edges.length);
  });
});

describe('verify --graph', () => {
  it('draws each probed connection between the vertices it joins, coloured by its result', async () => {
    const cluster = clusterOf('demo.yaml');
    const ip = (name: string) => cluster.pods.find((p) => p.name === name)!.ip;
    const {formatAddress} = await import('../../src/net/ipv4.js');
    const graph = withProbes(cluster, topology(cluster), [
      {pod: 'client-1', node: 'node1', target: formatAddress(ip('web-2')), status: 'passed', label: 'ping'},
      {pod: undefined, node: 'node2', target: formatAddress(ip('web-2')), status: 'failed', label: 'ping'},
      {pod: 'client-1', node: 'node1', target: '10.96.0.80', status: 'not run', label: 'tcp 80'},
      {pod: 'client-1', node: 'node1', target: 'web.default.svc.cluster.local', status: 'passed', label: 'dns'},
    ]);
    expect(graph.edges.filter((e) => ['passed', 'failed', 'not run'].includes(e.kind)).map((e) => `${e.from} ${e.kind} ${e.to}`)).toEqual([
      'pod_default_clientH1 passed pod_default_webH2',
      'node_node2_bridge failed pod_default_webH2',
      'pod_default_clientH1 not run svc_default_web',
    ]);
    expect((await toSvg(graph)).match(/class="edge"/g)).toHaveLength(graph.edges.length);
  });
});

describe('netctl graph --observed', () => {
  const cluster = clusterOf('demo.yaml');
  const [node1, node2, node3] = cluster.nodes.map((n) => n.name);
  const pod = cluster.pods.find((p) => p.node === node2)!;
  const netns = (name: string) => ({kind: 'netns', ns: '', name}) as const;
  const plan: ClusterPlan = {
    intent: 'apply',
    nodes: [
      {status: 'planned', node: node1!, changes: ChangeList.EMPTY, errors: [], warnings: [], fingerprint: ''},
      {status: 'planned', node: node2!, errors: [], warnings: [], fingerprint: '', changes: ChangeList.of([
        {action: 'create', key: `netns ${pod.name}`, kind: 'netns', after: netns(pod.name), reason: 'missing on the node'},
        {action: 'delete', key: 'netns old-pod', kind: 'netns', before: netns('old-pod'), reason: 'not in the spec'},
      ])},
      {status: 'unreachable', node: node3!, errors: ['unreachable'], warnings: [], changes: ChangeList.EMPTY},
    ],
    notReady: [],
  };
  const graph = observedTopology(cluster, plan);
  const box = (name: string) => graph.boxes.find((b) => b.id === id('cluster', nodeId(name)))!;

  it('marks a node that matches, one with changes, and one that could not be read', () => {
    expect(box(node1!).label).toMatch(/matches the spec$/);
    expect(box(node1!).state).toBeUndefined();
    expect(box(node2!)).toEqual(expect.objectContaining({state: 'drift', label: expect.stringMatching(/2 changes to apply$/)}));
    expect(box(node3!)).toEqual(expect.objectContaining({state: 'unreachable', label: expect.stringMatching(/unreachable$/)}));
  });

  it('marks a pod missing on its node, and draws a netctl pod the spec no longer has', () => {
    const inNode2 = verticesOf({boxes: [box(node2!)], vertices: [], edges: []});
    expect(inNode2).toEqual(expect.arrayContaining([podId(pod), id('extra', node2!, 'old-pod')]));
    const dot = toDot(graph);
    expect(dot).toMatch(new RegExp(`label="${pod.name}\\\\n[\\d.]+\\\\nmissing", shape=ellipse, color="#cf222e"`));
    expect(dot).toContain('label="old-pod\\nnot in the spec"');
    const mermaid = toMermaid(graph);
    expect(mermaid).toContain('classDef missing');
    expect(mermaid).toMatch(/class \S*extra_\S*oldHpod\S* extra/);
  });
});

describe('graph ids', () => {
  it('keep apart objects whose names join alike (team-a/web and team/a-web)', () => {
    expect(id('pod', 'team-a', 'web')).not.toBe(id('pod', 'team', 'a-web'));
    expect(id('extra', 'node1', 'web.shop')).toBe('extra_node1_webDshop');
  });
});
