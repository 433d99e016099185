/** `netctl show -f`: what netctl owns on each node, and the cluster it belongs to. */
import {describe, expect, it} from '@jest/globals';
import {desiredResources, desiredState} from '../../src/desired/index.js';
import {renderState, stateDocument} from '../../src/ui/state-view.js';
import {noColors} from '../../src/ui/colors.js';
import {check} from './spec-builders.js';
import {emptyNode, nodeHolding} from './observation-builders.js';

const cluster = check().cluster!;
const node = cluster.nodes[0]!;
const built = nodeHolding('198.51.100.1', desiredResources(desiredState({cluster, node, facts: {uplink: 'eth0', nameservers: ['192.0.2.53']}})));

describe('what netctl owns on each node', () => {
  it('names the cluster recorded on the node, and says when a node holds nothing or could not be read', () => {
    const doc = stateDocument([
      {node: 'node-a', observation: {...built, cluster: 'test'}},
      {node: 'node-b', observation: emptyNode('198.51.100.2')},
      {node: 'node-c', error: 'cannot reach node node-c'},
    ]);
    expect(doc.nodes.map((n) => n.cluster)).toEqual(['test', null, null]);
    const lines = renderState(doc, noColors).split('\n');
    expect(lines[0]).toMatch(/^node-a: \d+ objects of netctl's \(cluster test\)$/);
    expect(lines).toContain("node-b: nothing of netctl's");
    expect(lines).toContain('node-c: error: cannot reach node node-c');
  });
});
