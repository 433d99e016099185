/**
 * `netctl apply PLAN`: exactly the changes of a saved plan, without asking again, and only while the
 * spec file and every node are as they were when the plan was made.
 */
import type {Command} from '@oclif/core';
import {readFile} from 'node:fs/promises';
import {observeNode, type ClusterPlan} from '../engine/engine.js';
import {mapLimit} from '../engine/limit.js';
import {Session} from '../engine/session.js';
import {describeDrift, fingerprint} from '../plan/fingerprint.js';
import {planNode, type NodePlan} from '../plan/node-plan.js';
import {SavedPlanError, changesDiffer, parseSavedPlan} from '../plan/saved-plan.js';
import {ObservationError, observedResources} from '../observe/parse.js';
import {LockedError, UnreachableError} from '../transport/transport.js';
import {loadSpecOrExit, type ChangeOptions} from './common.js';
import {applyPlanned, lockEveryNode} from './run-changes.js';

export async function applySavedPlan(command: Command, planFile: string, options: ChangeOptions): Promise<void> {
  let saved;
  try {
    saved = parseSavedPlan(await readFile(planFile, 'utf8'), planFile);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (!(error instanceof SavedPlanError) && code === undefined) throw error;
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    return command.exit(error instanceof SavedPlanError ? 1 : 2);
  }
  const {cluster, sha256} = await loadSpecOrExit(command, saved.spec.file);
  if (sha256 !== saved.spec.sha256) {
    process.stderr.write(`error: the spec ${saved.spec.file} changed since the plan was made (${saved.createdAt}); nothing was applied: make a new plan\n`);
    return command.exit(1);
  }
  const session = await Session.open(cluster, saved.nodes.map((n) => n.node), {connectTimeoutSeconds: options.connectTimeoutSeconds});
  let failed = false;
  try {
    if (!(await lockEveryNode(session, options))) {
      failed = true;
      return;
    }
    // Every node is checked, under its lock, before any is changed: its state must be the one the plan
    // was made against, and its saved changes exactly those the spec gives for that state. What is
    // applied is the plan computed here, never the file's own text.
    const checked = await mapLimit(saved.nodes, options.parallelism, async (stored): Promise<{plan?: NodePlan; problem?: string}> => {
      const node = cluster.nodes.find((n) => n.name === stored.node);
      if (node === undefined) return {problem: `${stored.node} is not in the spec any more`};
      try {
        const now = await observeNode(session.transport(node.name), cluster, node, saved.intent, {underLock: true});
        if (fingerprint(now) !== stored.fingerprint) {
          const drift = describeDrift(stored.observed ?? [], observedResources(now));
          return {problem: `${node.name} changed since the plan was made: ${drift.length > 0 ? drift.join('; ') : 'objects netctl does not own, or the node network, changed'}`};
        }
        const plan = planNode(cluster, node, now, saved.intent);
        if (plan.errors.length > 0) return {problem: `${node.name}: ${plan.errors.join('; ')}`};
        const differs = changesDiffer(stored.changes, plan.changes);
        if (differs !== undefined) return {problem: `${node.name}: the saved plan does not match its spec: ${differs}`};
        return {plan};
      } catch (error) {
        if (error instanceof UnreachableError || error instanceof LockedError || error instanceof ObservationError) return {problem: error.message};
        throw error;
      }
    });
    const refused = checked.flatMap((c) => (c.problem === undefined ? [] : [c.problem]));
    if (refused.length > 0) {
      for (const problem of refused) process.stderr.write(`error: ${problem}\n`);
      process.stderr.write(`The saved plan ${planFile} does not match the spec and the hosts; nothing was applied: make a new plan.\n`);
      failed = true;
      return;
    }
    const plan: ClusterPlan = {intent: saved.intent, nodes: checked.map((c) => ({status: 'planned' as const, ...c.plan!}))};
    if (!plan.nodes.some((n) => n.changes.length > 0)) {
      process.stdout.write('No changes. The saved plan has nothing to do.\n');
      return;
    }
    failed = await applyPlanned(session, cluster, plan, {intent: saved.intent, parallelism: options.parallelism, failFast: options.failFast, confirm: options.confirm});
  } finally {
    await session.close();
    if (failed) command.exit(1);
  }
}
