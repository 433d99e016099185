/**
 * The I/O around the pure core: observe every node in one round trip each, plan, apply a node's
 * script in one round trip, then observe again and require an empty diff.
 */
import {CONFIRM_LAST, ROLLBACK_LAST, ROLLED_BACK_EXIT, TX_MARK, transactionScript} from '../apply/transaction.js';
import {observeScript} from '../observe/script.js';
import {ObservationError, parseObservation, type NodeObservation} from '../observe/parse.js';
import {observeOptions, planNode, type Intent, type NodePlan} from '../plan/node-plan.js';
import type {Change} from '../plan/diff.js';
import type {ClusterNetwork, Node} from '../spec/types.js';
import {LockedError, UnreachableError, type ScriptResult, type Transport} from '../transport/transport.js';
import {mapLimit} from './limit.js';
import type {Session} from './session.js';

export type NodeOutcome =
  | ({readonly status: 'planned'} & NodePlan)
  | {readonly status: 'unreachable' | 'locked'; readonly node: string; readonly errors: readonly string[]; readonly warnings: readonly string[]; readonly changes: readonly Change[]};

export interface ClusterPlan {
  readonly intent: Intent;
  readonly nodes: readonly NodeOutcome[];
}

export async function observeNode(transport: Transport, cluster: ClusterNetwork, node: Node, intent: Intent, iptablesScope?: ReadonlySet<string>): Promise<NodeObservation> {
  return observationIn(await transport.run(observeScript(observeOptions(cluster, node, intent, iptablesScope))));
}

/** The node's state from the output of a script that ends with the observe script. */
function observationIn(result: ScriptResult): NodeObservation {
  if (result.exitCode !== 0 && !result.stdout.includes('@@netctl end')) {
    throw new ObservationError(`reading the node's state failed (exit ${result.exitCode}): ${result.stderr.trim().split('\n').pop() ?? ''}`);
  }
  return parseObservation(result.stdout);
}

async function planOne(session: Session, cluster: ClusterNetwork, node: Node, intent: Intent, withFingerprint: boolean): Promise<NodeOutcome> {
  try {
    const observed = await observeNode(session.transport(node.name), cluster, node, intent);
    return {status: 'planned', ...planNode(cluster, node, observed, intent, undefined, withFingerprint)};
  } catch (error) {
    if (error instanceof UnreachableError) return {status: 'unreachable', node: node.name, errors: [error.message], warnings: [], changes: []};
    if (error instanceof LockedError) return {status: 'locked', node: node.name, errors: [error.message], warnings: [], changes: []};
    if (error instanceof ObservationError) return {status: 'planned', node: node.name, errors: [error.message], warnings: [], changes: [], fingerprint: ''};
    throw error;
  }
}

/** Plans the nodes the session reaches; desired states still take every node of the spec into account. */
export async function planCluster(session: Session, cluster: ClusterNetwork, intent: Intent, parallelism: number, withFingerprints = false): Promise<ClusterPlan> {
  const reached = cluster.nodes.filter((n) => session.transports.has(n.name));
  const nodes = await mapLimit(reached, parallelism, (node) => planOne(session, cluster, node, intent, withFingerprints));
  return {intent, nodes};
}

export class ApplyError extends Error {
  constructor(message: string, readonly rolledBack: boolean) {
    super(message);
  }
}

/** Beyond this many changed chains, verification reads the whole ruleset at once (about as fast then). */
const MAX_CHAINS_READ_ONE_BY_ONE = 200;

/**
 * The iptables chains verification re-reads: those the apply changed. Everything else on the node
 * (links, addresses, routes, ...) is always re-read in full.
 */
export function verificationScope(changes: readonly Change[]): ReadonlySet<string> | undefined {
  const chains = new Set<string>();
  for (const change of changes) {
    const r = (change.after ?? change.before)!;
    if (r.kind === 'iptables-chain' || r.kind === 'iptables-rule') chains.add(`${r.table} ${r.chain}`);
  }
  return chains.size <= MAX_CHAINS_READ_ONE_BY_ONE ? chains : undefined;
}

/**
 * Applies one node's planned changes as a transaction and re-reads what it changed in the same round
 * trip; verifies that nothing is left to do, and with `confirmSeconds` confirms over a new connection
 * before the node's watchdog would roll it back. That connection is opened as soon as the changes
 * are in, while the verification runs, and is told to confirm only once the verification passes.
 */
export async function applyNode(transport: Transport, cluster: ClusterNetwork, plan: NodePlan, intent: Intent, confirmSeconds?: number): Promise<void> {
  const node = cluster.nodes.find((n) => n.name === plan.node)!;
  const scope = verificationScope(plan.changes);
  let decide: (script: string | undefined) => void = () => undefined;
  let confirmation: Promise<{result?: ScriptResult | undefined; error?: string}> | undefined;
  // The transaction's own output (before the re-read) is short; it says when the changes are in.
  let transactionOutput = '';
  const openConfirmation = (chunk: string) => {
    if (confirmSeconds === undefined || confirmation !== undefined) return;
    transactionOutput += chunk;
    if (!transactionOutput.includes(`${TX_MARK} applied`)) return;
    confirmation = settled(transport.runFresh(new Promise((resolve) => {
      decide = resolve;
    })));
  };
  // The transaction exits before the re-read when it did not apply.
  const result = await transport.run(transactionScript(plan, confirmSeconds) + observeScript(observeOptions(cluster, node, intent, scope)), openConfirmation);
  if (result.exitCode === ROLLED_BACK_EXIT) {
    throw new ApplyError(`${plan.node}: applying changes failed, and the node was rolled back to its state before this apply: ${result.stderr.trim()}`, true);
  }
  if (!result.stdout.includes(`${TX_MARK} applied`)) {
    throw new ApplyError(`${plan.node}: applying changes failed (exit ${result.exitCode}): ${result.stderr.trim() || result.stdout.trim()}`, false);
  }
  // In case the output did not come in pieces.
  if (confirmation === undefined) openConfirmation(result.stdout);
  let left: string[];
  try {
    const after = planNode(cluster, node, observationIn(result), intent, scope);
    left = [...after.errors, ...after.changes.map((c) => `${c.action} ${c.key} (${c.reason})`)];
  } catch (error) {
    decide(undefined);
    await confirmation;
    throw error;
  }
  if (left.length > 0) {
    decide(undefined);
    await confirmation;
    await transport.run(ROLLBACK_LAST);
    throw new ApplyError(`${plan.node}: the node still differed from the spec after applying, so it was rolled back to its state before this apply: ${left.join('; ')}`, true);
  }
  if (confirmation === undefined) return;
  decide(CONFIRM_LAST);
  const answer = await confirmation;
  const confirmed = answer.result?.stdout.includes(`${TX_MARK} confirmed`) === true;
  if (!confirmed) {
    const why = answer.error ?? 'its watchdog had already rolled it back';
    throw new ApplyError(`${plan.node}: applied and verified, but netctl could not confirm over a new connection (${why}); the node's watchdog restores its previous state within ${confirmSeconds} s of the apply`, true);
  }
}

/** A promise that never rejects: its result, or the message of its error. */
async function settled<T>(promise: Promise<T>): Promise<{result?: T; error?: string}> {
  try {
    return {result: await promise};
  } catch (error) {
    return {error: error instanceof Error ? error.message : String(error)};
  }
}

/** Reads what every node of the session holds, without planning (for `netctl show`). */
export async function observeCluster(session: Session, cluster: ClusterNetwork, parallelism: number): Promise<{node: string; observation?: NodeObservation; error?: string}[]> {
  const reached = cluster.nodes.filter((n) => session.transports.has(n.name));
  return mapLimit(reached, parallelism, async (node) => {
    try {
      return {node: node.name, observation: await observeNode(session.transport(node.name), cluster, node, 'destroy')};
    } catch (error) {
      if (error instanceof UnreachableError || error instanceof ObservationError) return {node: node.name, error: error.message};
      throw error;
    }
  });
}
