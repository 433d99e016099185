/**
 * `netctl apply PLAN`: exactly the changes of a saved plan, without asking again, and only while the
 * spec file and every node are as they were when the plan was made.
 */
import type {Command} from '@oclif/core/command';
import {lockAndRead, planReads, readCluster, type ClusterPlan} from '../engine/engine.js';
import {Session} from '../engine/session.js';
import {describeDrift, fingerprint} from '../plan/fingerprint.js';
import type {NodePlan} from '../plan/node-plan.js';
import {changesDiffer} from '../plan/saved-plan.js';
import {observedResources} from '../observe/parse.js';
import {loadSavedPlanOrExit, loadSpecOrExit, type ChangeOptions} from './common.js';
import {applyPlanned, reportLocked} from './run-changes.js';

export async function applySavedPlan(command: Command, planFile: string, options: ChangeOptions): Promise<void> {
  const saved = await loadSavedPlanOrExit(command, planFile);
  const {cluster, sha256} = await loadSpecOrExit(command, saved.spec.file);
  if (sha256 !== saved.spec.sha256) {
    process.stderr.write(`error: the spec ${saved.spec.file} changed since the plan was made (${saved.createdAt}); nothing was applied: make a new plan\n`);
    return command.exit(1);
  }
  const session = Session.open(cluster, saved.nodes.map((n) => n.node), {connectTimeoutSeconds: options.connectTimeoutSeconds});
  let failed = false;
  try {
    const {locks, started} = await lockAndRead(session, cluster, saved.intent, options.lockTimeoutSeconds, options.parallelism);
    if (!locks.taken) {
      reportLocked(locks.error);
      failed = true;
      return;
    }
    // Every node is checked, under its lock, before any is changed: its state must be the one the plan
    // was made against, and its saved changes exactly those the spec gives for that state (readiness
    // included). What is applied is the plan computed here, never the file's own text.
    const reads = await readCluster(session, cluster, saved.intent, options.parallelism, {underLock: true}, undefined, started);
    const fresh = planReads(cluster, saved.intent, reads);
    const checked = saved.nodes.map((stored): {plan?: NodePlan; problem?: string} => {
      const read = reads.find((r) => r.node.name === stored.node);
      const outcome = fresh.nodes.find((n) => n.node === stored.node);
      if (read === undefined || outcome === undefined) return {problem: `${stored.node} is not in the spec any more`};
      if ('outcome' in read) return {problem: read.outcome.errors.join('; ')};
      if (fingerprint(read.observation) !== stored.fingerprint) {
        const drift = describeDrift(stored.observed ?? [], observedResources(read.observation));
        return {problem: `${stored.node} changed since the plan was made: ${drift.length > 0 ? firstOf(drift) : 'objects netctl does not own, or the node network, changed'}`};
      }
      if (outcome.status !== 'planned') return {problem: outcome.errors.join('; ')};
      if (outcome.errors.length > 0) return {problem: `${stored.node}: ${outcome.errors.join('; ')}`};
      const differs = changesDiffer(stored.changes, outcome.changes.toArray());
      if (differs !== undefined) return {problem: `${stored.node}: the saved plan does not match its spec: ${differs}`};
      return {plan: outcome};
    });
    const refused = checked.flatMap((c) => (c.problem === undefined ? [] : [c.problem]));
    if (refused.length > 0) {
      for (const problem of refused) process.stderr.write(`error: ${problem}\n`);
      process.stderr.write(`The saved plan ${planFile} does not match the spec and the hosts; nothing was applied: make a new plan.\n`);
      failed = true;
      return;
    }
    const plan: ClusterPlan = {intent: saved.intent, nodes: checked.map((c) => ({status: 'planned' as const, ...c.plan!})), notReady: fresh.notReady ?? []};
    if (!plan.nodes.some((n) => n.changes.length > 0)) {
      process.stdout.write('No changes. The saved plan has nothing to do.\n');
      return;
    }
    failed = await applyPlanned(session, fresh.cluster, plan, {intent: saved.intent, parallelism: options.parallelism, failFast: options.failFast, confirm: options.confirm});
  } finally {
    await session.close();
    if (failed) command.exit(1);
  }
}

/** The first few of a long list, and how many more: a node applied since may list hundreds of objects. */
function firstOf(items: readonly string[], shown = 5): string {
  return items.length <= shown ? items.join('; ') : `${items.slice(0, shown).join('; ')}; and ${items.length - shown} more (netctl plan shows them all)`;
}
