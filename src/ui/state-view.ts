/** What netctl owns on each node, for `netctl show -f FILE`: text for people, JSON for programs. */
import {observedResources, type NodeObservation} from '../observe/parse.js';
import {describe} from '../plan/describe.js';
import {order} from '../plan/diff.js';
import {keyOf, type Resource} from '../resources/model.js';
import type {Colors} from './colors.js';

export interface StateDocument {
  readonly formatVersion: '1';
  readonly nodes: readonly {
    readonly node: string;
    readonly error: string | null;
    /** The cluster whose objects they are, as recorded on the node (observe/owner.ts); null: none recorded. */
    readonly cluster: string | null;
    readonly objects: readonly {readonly kind: string; readonly key: string; readonly description: string; readonly object: Resource}[];
  }[];
}

export function stateDocument(observed: readonly {node: string; observation?: NodeObservation; error?: string}[]): StateDocument {
  return {
    formatVersion: '1',
    nodes: observed.map(({node, observation, error}) => {
      // Sysctls are read for planning, but they are no one's objects.
      const owned = (observation === undefined ? [] : observedResources(observation)).filter((r) => r.kind !== 'sysctl');
      const sorted = order(owned.map((r) => ({action: 'create' as const, key: keyOf(r), kind: r.kind, after: r, reason: ''})));
      return {
        node,
        error: error ?? null,
        cluster: observation?.cluster ?? null,
        objects: sorted.map((c) => ({kind: c.kind, key: c.key, description: describe(c.after!), object: c.after!})),
      };
    }),
  };
}

export function renderState(doc: StateDocument, colors: Colors): string {
  const out: string[] = [];
  for (const node of doc.nodes) {
    if (node.error !== null) {
      out.push(`${colors.bold(`${node.node}:`)} ${colors.red(`error: ${node.error}`)}`);
      continue;
    }
    const owner = node.cluster === null ? '' : ` (cluster ${node.cluster})`;
    out.push(`${colors.bold(`${node.node}:`)} ${node.objects.length === 0 ? 'nothing of netctl\'s' : `${node.objects.length} object${node.objects.length === 1 ? '' : 's'} of netctl's${owner}`}`);
    for (const o of node.objects) out.push(`    ${o.description}`);
  }
  return `${out.join('\n')}\n`;
}
