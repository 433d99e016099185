/**
 * A plan saved by `plan --out`: the changes of every node, with what they were computed from (a digest
 * of the spec file and of each node's observed state), so `apply PLAN` runs exactly what was reviewed
 * or nothing at all.
 */
import type {ClusterPlan} from '../engine/engine.js';
import type {PlanDocument} from '../ui/plan-view.js';
import type {Change} from './diff.js';
import type {Intent, NodePlan} from './node-plan.js';

export interface SavedPlan {
  readonly kind: 'netctl-plan';
  readonly formatVersion: '1';
  readonly createdAt: string;
  readonly intent: Intent;
  readonly spec: {readonly file: string; readonly sha256: string};
  readonly nodes: readonly SavedNodePlan[];
  readonly document: PlanDocument;
}

/** A node's plan as the file holds it: its changes as one list. */
export type SavedNodePlan = Omit<NodePlan, 'changes'> & {readonly changes: readonly Change[]};

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
    nodes: plan.nodes.flatMap((n) => (n.status === 'planned' ? [{...n, changes: n.changes.toArray()}] : [])),
    document,
  };
}

export class SavedPlanError extends Error {
  /** True when the file is not JSON at all: most likely a spec given where a saved plan goes. */
  constructor(message: string, readonly notJson = false) {
    super(message);
  }
}

export function parseSavedPlan(text: string, file: string): SavedPlan {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new SavedPlanError(`${file} is not a saved netctl plan (not JSON)`, true);
  }
  const plan = value as Partial<SavedPlan>;
  if (plan.kind !== 'netctl-plan') throw new SavedPlanError(`${file} is not a saved netctl plan`);
  if (plan.formatVersion !== '1') throw new SavedPlanError(`${file} is a saved plan of format ${String(plan.formatVersion)}; this netctl reads format 1`);
  return plan as SavedPlan;
}

const label = (change: Change) => `${change.action} ${change.key}`;

/** The top-level fields in which two versions of a change's object differ. */
function differingFields(saved: Change, now: Change): string[] {
  const fields = (c: Change) => ({...c.before, ...c.after, action: c.action, reason: c.reason}) as Record<string, unknown>;
  const a = fields(saved);
  const b = fields(now);
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k])).sort();
}

/**
 * How a node's changes in a saved plan differ from those the spec and the node's state give now, for
 * people, or undefined when they are exactly the same (same changes, same order, same objects).
 */
export function changesDiffer(saved: readonly Change[], now: readonly Change[]): string | undefined {
  for (let i = 0; i < Math.max(saved.length, now.length); i++) {
    const a = saved[i];
    const b = now[i];
    if (a !== undefined && b !== undefined && JSON.stringify(a) === JSON.stringify(b)) continue;
    if (a === undefined) return `the spec and the node give ${now.length} changes, the saved plan only ${saved.length}: ${label(b!)} is missing from it`;
    if (b === undefined) return `the saved plan has ${saved.length} changes, the spec and the node give ${now.length}: ${label(a)} is not one of them`;
    if (label(a) !== label(b)) return `change ${i + 1} of the saved plan is ${label(a)}, where the spec and the node give ${label(b)}`;
    const fields = differingFields(a, b);
    return `change ${i + 1} of the saved plan, ${label(a)}, differs from what the spec and the node give in ${fields.length > 0 ? fields.join(', ') : 'its details'}`;
  }
  return undefined;
}

/** Whether a saved plan still matches its spec file, for people. */
export function savedPlanStatus(file: string, spec: 'matches' | 'changed' | 'unreadable'): string {
  switch (spec) {
    case 'matches':
      return `This plan matches its spec ${file}, unchanged since the plan was made. netctl apply checks every change against the spec and the nodes again before it touches any.`;
    case 'changed':
      return `This plan no longer matches its spec: ${file} changed since the plan was made, so netctl apply will refuse it; make a new plan.`;
    case 'unreadable':
      return `This plan's spec ${file} cannot be read, so netctl apply will refuse it.`;
  }
}
