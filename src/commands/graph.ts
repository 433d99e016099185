import {Command, Flags} from '@oclif/core';
import {writeFile} from 'node:fs/promises';
import {loadClusterOrExit, specFlags} from '../cli/common.js';
import {toDot, toMermaid, toSvg, topology} from '../ui/graph.js';

export default class Graph extends Command {
  static override summary = 'Draw the network a spec describes: nodes, pods, bridges, the links between nodes, services and what policies allow.';
  static override description = 'From the spec alone (no host is contacted). Mermaid and DOT are text for Markdown and Graphviz; SVG is laid out by Graphviz (compiled to WebAssembly) here.';
  static override examples = [
    '<%= config.bin %> graph -f cluster.yaml                         # Mermaid, for a Markdown page',
    '<%= config.bin %> graph -f cluster.yaml --format dot | dot -Tpng > network.png',
    '<%= config.bin %> graph -f cluster.yaml --format svg --out network.svg',
  ];

  static override flags = {
    file: specFlags.file,
    format: Flags.option({description: 'mermaid, dot (Graphviz) or svg', options: ['mermaid', 'dot', 'svg'] as const, default: 'mermaid'})(),
    out: Flags.string({description: 'write to this file instead of standard output'}),
  };

  async run(): Promise<void> {
    const {flags} = await this.parse(Graph);
    const graph = topology(await loadClusterOrExit(this, flags.file));
    const text = flags.format === 'svg' ? await toSvg(graph) : flags.format === 'dot' ? toDot(graph) : toMermaid(graph);
    if (flags.out === undefined) process.stdout.write(text);
    else await writeFile(flags.out, text);
  }
}
