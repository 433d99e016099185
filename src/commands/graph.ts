import {Command} from '@oclif/core/command';
import * as Flags from '@oclif/core/flags';
import {writeFile} from 'node:fs/promises';
import {loadClusterOrExit, refuseSpecArgument, specArgument, specFlags, targetNodesOrExit} from '../cli/common.js';
import {planCluster} from '../engine/engine.js';
import {Session} from '../engine/session.js';
import type {ClusterNetwork} from '../spec/types.js';
import {toDot, toMermaid, toSvg, topology, type Graph as Picture} from '../ui/graph.js';
import {observedTopology} from '../ui/observed-graph.js';

export default class Graph extends Command {
  static override summary = 'Draw the network a spec describes: nodes, pods, bridges, the links between nodes, services and what policies allow.';
  static override description = [
    'From the spec alone (no host is contacted), or with --observed from what the nodes hold: every node is read as plan reads it, services point at their ready endpoints only, and what differs from the spec is marked (pods missing or differing, netctl pods the spec no longer has, nodes with changes to apply, nodes that could not be read).',
    'Mermaid and DOT are text for Markdown and Graphviz; SVG is laid out by Graphviz (compiled to WebAssembly) here.',
  ].join('\n\n');

  static override examples = [
    '<%= config.bin %> graph -f cluster.yaml                         # Mermaid, for a Markdown page',
    '<%= config.bin %> graph -f cluster.yaml --format dot | dot -Tpng > network.png',
    '<%= config.bin %> graph -f cluster.yaml --format svg --out network.svg',
    '<%= config.bin %> graph -f cluster.yaml --observed --format svg --out now.svg   # what the hosts hold, drift marked',
  ];

  static override args = specArgument;

  static override flags = {
    ...specFlags,
    format: Flags.option({description: 'mermaid, dot (Graphviz) or svg', options: ['mermaid', 'dot', 'svg'] as const, default: 'mermaid'})(),
    out: Flags.string({description: 'write to this file instead of standard output'}),
    observed: Flags.boolean({description: 'read every node and draw what it holds, marking what differs from the spec'}),
  };

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Graph);
    refuseSpecArgument(this, args.spec);
    const cluster = await loadClusterOrExit(this, flags.file);
    const graph = flags.observed ? await this.observed(cluster, flags) : topology(cluster);
    const text = flags.format === 'svg' ? await toSvg(graph) : flags.format === 'dot' ? toDot(graph) : toMermaid(graph);
    if (flags.out === undefined) process.stdout.write(text);
    else await writeFile(flags.out, text);
  }

  private async observed(cluster: ClusterNetwork, flags: {parallelism: number; target?: string[] | undefined; shard?: string | undefined; 'connect-timeout': number}): Promise<Picture> {
    const session = Session.open(cluster, targetNodesOrExit(this, cluster, flags), {connectTimeoutSeconds: flags['connect-timeout']});
    try {
      const plan = await planCluster(session, cluster, 'apply', flags.parallelism);
      return observedTopology(plan.cluster, plan);
    } finally {
      await session.close();
    }
  }
}
