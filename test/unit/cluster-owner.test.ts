/**
 * A node records which cluster's netctl objects it holds; a spec of another cluster plans nothing
 * there, neither apply nor destroy, instead of planning that cluster's objects away.
 */
import {afterAll, describe, expect, it} from '@jest/globals';
import {execa} from 'execa';
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {transactionScript} from '../../src/apply/transaction.js';
import {desiredResources, desiredState} from '../../src/desired/index.js';
import {OWNER_READ, ownerIn} from '../../src/observe/owner.js';
import {observeScript} from '../../src/observe/script.js';
import {splitSections} from '../../src/observe/parse.js';
import {ChangeList} from '../../src/plan/change-list.js';
import {planNode, type Intent} from '../../src/plan/node-plan.js';
import {check} from './spec-builders.js';
import {emptyNode, nodeHolding} from './observation-builders.js';

const cluster = check().cluster!;
const node = cluster.nodes[0]!;
const built = nodeHolding('198.51.100.1', desiredResources(desiredState({cluster, node, facts: {uplink: 'eth0', nameservers: ['192.0.2.53']}})));

describe('a node that holds the objects of another cluster', () => {
  it.each<Intent>(['apply', 'destroy'])('is not planned for %s, and the error says whose they are and what to do', (intent) => {
    const plan = planNode(cluster, node, {...built, cluster: 'prod'}, intent);
    expect(plan.changes.length).toBe(0);
    expect(plan.errors).toEqual([
      'the node holds the netctl objects of cluster prod (metadata.name of the spec that applied them), not of test: netctl changes a node only for the cluster that built it; ' +
      'destroy that cluster first with its own spec (the one whose metadata.name is prod: netctl destroy -f THAT-SPEC), or keep working on it with that spec; ' +
      'if this spec is that cluster renamed, remove /run/netctl/cluster on the node',
    ]);
  });

  it('is found by every kind of read, the reconcile loop\'s endpoint-only ones too', () => {
    const reads = [{}, {serviceRulesOnly: true}, {iptablesChains: ['filter NETCTL-SERVICES']}].map((scope) => observeScript({routeTargets: [], probeLinkTypes: [], ...scope}));
    for (const read of reads) expect(read).toContain(OWNER_READ);
    expect(planNode(cluster, node, {...built, cluster: 'prod'}, 'apply', {serviceRulesOnly: true}).errors).toHaveLength(1);
  });

  it('is planned as before when the record names this cluster, or nothing (older netctl), or the node holds nothing', () => {
    expect(planNode(cluster, node, {...built, cluster: 'test'}, 'destroy').changes.length).toBeGreaterThan(0);
    expect(planNode(cluster, node, built, 'destroy').changes.length).toBeGreaterThan(0);
    const empty = planNode(cluster, node, {...emptyNode('198.51.100.1'), cluster: 'prod'}, 'apply');
    expect(empty.errors).toEqual([]);
    expect(empty.changes.length).toBeGreaterThan(0);
  });
});

describe('the record on the node', () => {
  const dir = mkdtempSync(join(tmpdir(), 'netctl-owner-'));
  afterAll(() => rmSync(dir, {recursive: true, force: true}));
  const here = (script: string) => script.replaceAll('/run/netctl', dir);
  const run = async (script: string) => (await execa('sh', ['-c', here(script)], {reject: false})).stdout;
  const transaction = (intent: Intent, name: string) => run(transactionScript({node: 'node1', changes: ChangeList.EMPTY, errors: [], warnings: [], fingerprint: ''}, intent, name));
  const record = join(dir, 'cluster');
  // The read's line, with the read script's section function.
  const recorded = async () => ownerIn(splitSections(await run(`sec() { printf '\\n@@netctl %s\\n' "$*"; }\n${OWNER_READ}\necho; echo '@@netctl end'`)).sections.keys());

  it('is written by an apply that went through, removed by a destroy, and read by every read', async () => {
    await transaction('apply', 'test');
    expect(readFileSync(record, 'utf8')).toBe('test\n');
    expect(await recorded()).toBe('test');
    await transaction('destroy', 'test');
    expect(existsSync(record)).toBe(false);
    expect(await recorded()).toBeUndefined();
  });
});
