/** apply and destroy: plan, show, confirm, apply every node in parallel with a task each, report. */
import type {Command} from '@oclif/core/command';
import {Listr} from 'listr2';
import {createInterface} from 'node:readline/promises';
import {ApplyError, LostNodeError, applyNode, lockAndRead, planCluster, whileNodesAnswer, type ClusterPlan, type Confirmation, type NodeOutcome} from '../engine/engine.js';
import {Session} from '../engine/session.js';
import type {Intent} from '../plan/node-plan.js';
import type {ClusterNetwork} from '../spec/types.js';
import {colorsFor} from '../ui/colors.js';
import {hasChanges, planDocument, renderPlanText} from '../ui/plan-view.js';
import type {ChangeOptions} from './common.js';

export interface RunOptions extends ChangeOptions {
  readonly intent: Intent;
  readonly autoApprove: boolean;
  readonly nodes: readonly string[];
}

function initialOutcome(node: NodeOutcome): string {
  if (node.status !== 'planned') return node.status;
  if (node.errors.length > 0) return 'not changed: it cannot be planned';
  return node.changes.length === 0 ? 'unchanged' : 'not started';
}

function outcomeOf(error: unknown): string {
  if (error instanceof LostNodeError) return `unreachable during the apply: ${error.state}`;
  return error instanceof ApplyError && error.rolledBack ? 'failed and rolled back' : 'failed';
}

function stoppedBy(failFast: boolean, failed: boolean): string {
  return failFast && failed ? 'skipped (--fail-fast)' : 'skipped (interrupted)';
}

export async function runChanges(command: Command, cluster: ClusterNetwork, options: RunOptions): Promise<void> {
  const colors = colorsFor(process.stdout);
  const session = Session.open(cluster, options.nodes, {connectTimeoutSeconds: options.connectTimeoutSeconds});
  let failed = false;
  try {
    const {locks, started} = await whileNodesAnswer(lockAndRead(session, cluster, options.intent, options.lockTimeoutSeconds, options.parallelism), cluster, options.intent);
    if (!locks.taken) {
      reportLocked(locks.error);
      failed = true;
      return;
    }
    const plan = await planCluster(session, cluster, options.intent, options.parallelism, {underLock: true, started});
    const doc = planDocument(plan);
    process.stdout.write(renderPlanText(doc, colors));
    const planErrors = doc.summary.errors > 0;
    if (!hasChanges(doc)) {
      // Nothing to do; when some nodes could not be planned, say so node by node.
      if (planErrors) failed = await applyPlanned(session, plan.cluster, plan, options);
      return;
    }
    const verb = options.intent === 'destroy' ? 'destroy everything netctl owns on these nodes' : 'perform these actions';
    if (!options.autoApprove) {
      if (process.stdin.isTTY !== true) {
        process.stderr.write(`error: netctl ${options.intent} asks for confirmation, but there is no terminal to ask on; review the plan and pass --auto-approve\n`);
        failed = true;
        return;
      }
      const prompt = createInterface({input: process.stdin, output: process.stdout});
      const answer = await prompt.question(`\nDo you want to ${verb}? Only 'yes' will be accepted: `);
      prompt.close();
      if (answer.trim() !== 'yes') {
        process.stdout.write(`${options.intent === 'destroy' ? 'Destroy' : 'Apply'} cancelled.\n`);
        failed = true;
        return;
      }
    }
    failed = await applyPlanned(session, plan.cluster, plan, options);
    if (planErrors) failed = true;
  } finally {
    await session.close();
    if (failed) command.exit(1);
  }
}

/** Says which node could not be locked (Session.lockAll), and that nothing was changed. */
export function reportLocked(error: Error): void {
  process.stderr.write(`error: ${error.message}\n`);
  process.stderr.write('Nothing was changed: netctl changes nodes only once it holds the lock of every one, and it gave back the locks it took.\n');
}

export interface ApplyOptions {
  readonly intent: Intent;
  readonly parallelism: number;
  readonly failFast: boolean;
  readonly confirm: Confirmation | undefined;
}

/**
 * Applies every planned node that has changes and no errors, in parallel with a task each, then
 * lists each node's outcome. Returns whether anything failed.
 */
export async function applyPlanned(session: Session, cluster: ClusterNetwork, plan: ClusterPlan, options: ApplyOptions): Promise<boolean> {
  const colors = colorsFor(process.stdout);
  let failed = plan.nodes.some((n) => n.errors.length > 0);
  const work = plan.nodes.filter((n) => n.status === 'planned' && n.errors.length === 0 && n.changes.length > 0);
  // A node the run is done with gives back its lock and ends its session now, not after the last node.
  for (const node of plan.nodes) if (!work.includes(node)) session.release(node.node);
  const outcomes = new Map<string, string>(plan.nodes.map((n) => [n.node, initialOutcome(n)]));
  // Ctrl-C, SIGTERM or SIGHUP: start no further node; nodes in flight finish (or roll back) and are
  // reported. A second signal ends netctl at once.
  let stopping = false;
  const stop = () => {
    stopping = true;
    process.stderr.write('\ninterrupted: no further node is started; nodes in flight finish or roll back (a second signal ends netctl now)\n');
  };
  const tasks = new Listr(
    work.map((node) => ({
      title: `${node.node}: ${node.changes.length} change${node.changes.length === 1 ? '' : 's'}`,
      task: async () => {
        if (node.status !== 'planned') return;
        if (stopping) {
          outcomes.set(node.node, stoppedBy(options.failFast, failed));
          return;
        }
        try {
          await applyNode(session.transport(node.node), cluster, node, options.intent, options.confirm, true);
          outcomes.set(node.node, 'applied');
        } catch (error) {
          failed = true;
          if (options.failFast) stopping = true;
          outcomes.set(node.node, outcomeOf(error));
          throw error;
        } finally {
          session.release(node.node);
        }
      },
    })),
    {
      concurrent: options.parallelism,
      exitOnError: false,
      // netctl handles SIGINT itself: nodes in flight must finish, not be abandoned.
      registerSignalListeners: false,
      collectErrors: 'minimal',
      renderer: process.stdout.isTTY === true ? 'default' : 'simple',
      fallbackRenderer: 'simple',
    },
  );
  await session.gracefully(stop, () => tasks.run().catch(() => undefined));
  for (const error of tasks.errors) process.stderr.write(`${colors.red('error:')} ${error.message}\n`);
  const name = options.intent === 'destroy' ? 'Destroy' : 'Apply';
  if (stopping) failed = true;
  process.stdout.write(`\n${name} ${failed ? 'finished with errors' : 'complete'}:\n`);
  for (const [node, outcome] of outcomes) process.stdout.write(`  ${node}: ${outcome}\n`);
  return failed;
}
