/**
 * Golden plans: for every case under test/fixtures/plans, the plan text and the apply script of each
 * node, from an empty node (only its uplink), and the destroy plan of the applied state.
 * UPDATE_GOLDEN=1 rewrites the expected files.
 */
import {describe, expect, it} from '@jest/globals';
import {readFileSync, readdirSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {applyScript} from '../../src/apply/script.js';
import {desiredResources, desiredState} from '../../src/desired/index.js';
import type {ClusterPlan} from '../../src/engine/engine.js';
import {formatAddress} from '../../src/net/ipv4.js';
import {planNode} from '../../src/plan/node-plan.js';
import {checkSpecText} from '../../src/spec/check.js';
import {planDocument, renderPlanText} from '../../src/ui/plan-view.js';
import {emptyNode, nodeHolding} from './observation-builders.js';

const dir = join(import.meta.dirname, '..', 'fixtures', 'plans');

function golden(file: string, actual: string): void {
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(file, actual);
  expect(actual).toBe(readFileSync(file, 'utf8'));
}

describe.each(readdirSync(dir).sort())('golden plan %s', (name) => {
  const {cluster, diagnostics} = checkSpecText(readFileSync(join(dir, name, 'spec.yaml'), 'utf8'));

  it('is a valid spec', () => {
    expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  });

  it.each(cluster?.nodes.map((n) => n.name) ?? [])('node %s: apply from empty', (nodeName) => {
    const node = cluster!.nodes.find((n) => n.name === nodeName)!;
    const plan = planNode(cluster!, node, emptyNode(formatAddress(node.address)), 'apply');
    expect(plan.errors).toEqual([]);
    const clusterPlan: ClusterPlan = {intent: 'apply', nodes: [{status: 'planned', ...plan}]};
    golden(join(dir, name, `${nodeName}.plan.txt`), renderPlanText(planDocument(clusterPlan)));
    golden(join(dir, name, `${nodeName}.apply.sh`), applyScript(plan.changes));

    // Destroying what was applied removes every object, children with their parents.
    const applied = nodeHolding(formatAddress(node.address), desiredResources(desiredState({cluster: cluster!, node, facts: {uplink: node.interface ?? 'eth0', nameservers: ['192.0.2.53']}})));
    const destroy = planNode(cluster!, node, applied, 'destroy');
    expect(destroy.changes.every((c) => c.action === 'delete')).toBe(true);
    expect(destroy.changes.map((c) => c.kind)).not.toContain('sysctl');
    golden(join(dir, name, `${nodeName}.destroy.sh`), applyScript(destroy.changes));

    // A node that holds the desired state plans nothing.
    expect(planNode(cluster!, node, applied, 'apply').changes.toArray()).toEqual([]);
  });
});
