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
import {SavedPlanError, parseSavedPlan} from '../plan/saved-plan.js';
import {ObservationError, observedResources} from '../observe/parse.js';
import {LockedError, UnreachableError} from '../transport/transport.js';
import {loadSpecOrExit} from './common.js';
import {applyPlanned} from './run-changes.js';

export interface SavedRunOptions {
  readonly parallelism: number;
  readonly lockTimeoutSeconds: number;
  readonly failFast: boolean;
  readonly confirmSeconds: number | undefined;
}

export async function applySavedPlan(command: Command, planFile: string, options: SavedRunOptions): Promise<void> {
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
  const session = await Session.open(cluster, saved.nodes.map((n) => n.node), {timeoutSeconds: options.lockTimeoutSeconds});
  let failed = false;
  try {
    // Every node is checked, under its lock, before any is changed.
    const problems = await mapLimit(saved.nodes, options.parallelism, async (stored) => {
      const node = cluster.nodes.find((n) => n.name === stored.node);
      if (node === undefined) return `${stored.node} is not in the spec any more`;
      try {
        const now = await observeNode(session.transport(node.name), cluster, node, saved.intent);
        if (fingerprint(now) === stored.fingerprint) return undefined;
        const drift = describeDrift(stored.observed ?? [], observedResources(now));
        return `${node.name} changed since the plan was made: ${drift.length > 0 ? drift.join('; ') : 'objects netctl does not own, or the node network, changed'}`;
      } catch (error) {
        if (error instanceof UnreachableError || error instanceof LockedError || error instanceof ObservationError) return error.message;
        throw error;
      }
    });
    const refused = problems.filter((p): p is string => p !== undefined);
    if (refused.length > 0) {
      for (const problem of refused) process.stderr.write(`error: ${problem}\n`);
      process.stderr.write(`The saved plan ${planFile} no longer matches the hosts; nothing was applied: make a new plan.\n`);
      failed = true;
      return;
    }
    const plan: ClusterPlan = {intent: saved.intent, nodes: saved.nodes.map((n) => ({status: 'planned' as const, ...n}))};
    if (!plan.nodes.some((n) => n.changes.length > 0)) {
      process.stdout.write('No changes. The saved plan has nothing to do.\n');
      return;
    }
    failed = await applyPlanned(session, cluster, plan, {intent: saved.intent, parallelism: options.parallelism, failFast: options.failFast, confirmSeconds: options.confirmSeconds});
  } finally {
    await session.close();
    if (failed) command.exit(1);
  }
}
