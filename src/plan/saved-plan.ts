/**
 * A plan saved by `plan --out`: the changes of every node, with what they were computed from (a digest
 * of the spec file and of each node's observed state), so `apply PLAN` runs exactly what was reviewed
 * or nothing at all.
 */
import type {ClusterPlan} from '../engine/engine.js';
import type {PlanDocument} from '../ui/plan-view.js';
import type {Intent, NodePlan} from './node-plan.js';

export interface SavedPlan {
  readonly kind: 'netctl-plan';
  readonly formatVersion: '1';
  readonly createdAt: string;
  readonly intent: Intent;
  readonly spec: {readonly file: string; readonly sha256: string};
  readonly nodes: readonly NodePlan[];
  readonly document: PlanDocument;
}

/** Why a plan cannot be saved (a node with errors cannot be applied), or undefined. */
export function unsavable(plan: ClusterPlan): string | undefined {
  const broken = plan.nodes.filter((n) => n.status !== 'planned' || n.errors.length > 0).map((n) => n.node);
  return broken.length === 0 ? undefined : `the plan has errors on ${broken.join(', ')}; a saved plan must apply to every node it covers`;
}

export function savePlan(plan: ClusterPlan, document: PlanDocument, specFile: string, specSha256: string): SavedPlan {
  return {
    kind: 'netctl-plan',
    formatVersion: '1',
    createdAt: new Date().toISOString(),
    intent: plan.intent,
    spec: {file: specFile, sha256: specSha256},
    nodes: plan.nodes.flatMap((n) => (n.status === 'planned' ? [n] : [])),
    document,
  };
}

export class SavedPlanError extends Error {}

export function parseSavedPlan(text: string, file: string): SavedPlan {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new SavedPlanError(`${file} is not a saved netctl plan (not JSON)`);
  }
  const plan = value as Partial<SavedPlan>;
  if (plan.kind !== 'netctl-plan') throw new SavedPlanError(`${file} is not a saved netctl plan`);
  if (plan.formatVersion !== '1') throw new SavedPlanError(`${file} is a saved plan of format ${String(plan.formatVersion)}; this netctl reads format 1`);
  return plan as SavedPlan;
}
