/**
 * The I/O around the pure core: observe every node in one round trip each, plan, apply a node's
 * script in one round trip, then observe again and require an empty diff.
 */
import {CONFIRM_LAST, CONFIRM_PENDING, ROLLBACK_LAST, ROLLED_BACK_EXIT, TX_MARK, lastTransactionIn, transactionScript, type LastTransaction} from '../apply/transaction.js';
import {observeScript} from '../observe/script.js';
import {ObservationError, parseObservation, type NodeObservation} from '../observe/parse.js';
import {observeOptions, planNode, type Intent, type NodePlan, type NodeScope} from '../plan/node-plan.js';
import type {Change} from '../plan/diff.js';
import {ChangeList} from '../plan/change-list.js';
import {notReadyPods, notReadyText, type NotReady} from '../plan/readiness.js';
import {desiredIptables} from '../desired/index.js';
import {withReadiness} from '../desired/readiness.js';
import type {ClusterNetwork, Node} from '../spec/types.js';
import {LockedError, UnreachableError, roundTripLimit, type ScriptResult, type Transport} from '../transport/transport.js';
import {mapLimit} from './limit.js';
import type {LockOutcome, Session} from './session.js';

export type NodeOutcome =
  | ({readonly status: 'planned'} & NodePlan)
  | {
    readonly status: 'unreachable' | 'locked'; readonly node: string; readonly errors: readonly string[]; readonly warnings: readonly string[]; readonly changes: ChangeList;
    /** What the operator can do about it, when netctl can tell (UnreachableError.fix). */
    readonly fix?: string;
  };

export interface ClusterPlan {
  readonly intent: Intent;
  readonly nodes: readonly NodeOutcome[];
  /** Probed pods that are not ready, and why: their endpoints are left out. */
  readonly notReady?: readonly NotReady[];
}

/** How a node is read. */
export interface ObserveAs {
  /**
   * The run holds the node's lock, and so first confirms a transaction an earlier run left unconfirmed
   * when it lost the node (CONFIRM_PENDING), in the same round trip.
   */
  readonly underLock?: boolean;
  /** Read only this part of the node (default: all of it). */
  readonly scope?: NodeScope;
  /** Leave readiness probes out (the reconcile loop probes on its own schedule). */
  readonly withoutProbes?: boolean;
  /** Probe kernel support for every link type the mode needs (preflight). */
  readonly preflight?: boolean;
  /** The read is the run's last round trip to the node (RunOptions.last). */
  readonly last?: boolean;
  /**
   * Take the node's lock in the same round trip, and read only if it was taken (Transport.lockAndRun;
   * LockedError otherwise). Implies `underLock`.
   */
  readonly takingLock?: boolean;
}

/** A node's state as read, with its last transaction when the read was made under the node's lock. */
export type ReadObservation = NodeObservation & {readonly lastTransaction?: LastTransaction};

export async function observeNode(transport: Transport, cluster: ClusterNetwork, node: Node, intent: Intent, as: ObserveAs = {}): Promise<ReadObservation> {
  const options = observeOptions(cluster, node, intent, as.scope, as.preflight === true);
  const script = observeScript(as.withoutProbes === true ? {...options, probes: []} : options);
  if (as.takingLock !== true && as.underLock !== true) return observationIn(await transport.run(script, {last: as.last === true}));
  const result = as.takingLock === true
    ? await transport.lockAndRun(CONFIRM_PENDING + script, {last: as.last === true})
    : await transport.run(CONFIRM_PENDING + script, {last: as.last === true});
  const lastTransaction = lastTransactionIn(result.stdout);
  return {...observationIn(result), ...(lastTransaction === undefined ? {} : {lastTransaction})};
}

/** The node's state from the output of a script that ends with the observe script. */
function observationIn(result: ScriptResult): NodeObservation {
  if (result.exitCode !== 0 && !result.stdout.includes('@@netctl end')) {
    throw new ObservationError(`reading the node's state failed (exit ${result.exitCode}): ${result.stderr.trim().split('\n').pop() ?? ''}`);
  }
  return parseObservation(result.stdout);
}

/** What reading one node came to: its observation, or the outcome that says why there is none. */
export type NodeRead =
  | {readonly node: Node; readonly observation: ReadObservation}
  | {readonly node: Node; readonly outcome: NodeOutcome};

function readNode(session: Session, cluster: ClusterNetwork, node: Node, intent: Intent, as: ObserveAs): Promise<NodeRead> {
  return readOf(node, observeNode(session.transport(node.name), cluster, node, intent, as));
}

/** The read an observation comes to: the errors that say why a node has none become its outcome. */
async function readOf(node: Node, observation: Promise<ReadObservation>): Promise<NodeRead> {
  const failed = (outcome: NodeOutcome): NodeRead => ({node, outcome});
  try {
    return {node, observation: await observation};
  } catch (error) {
    if (error instanceof UnreachableError) return failed({status: 'unreachable', node: node.name, errors: [error.reason], warnings: [], changes: ChangeList.EMPTY, ...(error.fix === undefined ? {} : {fix: error.fix})});
    if (error instanceof LockedError) return failed({status: 'locked', node: node.name, errors: [error.message], warnings: [], changes: ChangeList.EMPTY});
    if (error instanceof ObservationError) return failed({status: 'planned', node: node.name, errors: [error.message], warnings: [], changes: ChangeList.EMPTY, fingerprint: ''});
    throw error;
  }
}

/** Reads already under way, by node name (begun as each node's lock was taken: lockAndRead). */
export type StartedReads = ReadonlyMap<string, Promise<NodeRead>>;

export interface PlanOptions {
  /** Fingerprint every node, for a saved plan. */
  readonly withFingerprints?: boolean;
  /** The run holds every node's lock (see ObserveAs). */
  readonly underLock?: boolean;
  /** The plan is all the run does on the nodes: each node's session ends with its read. */
  readonly lastUse?: boolean;
  /** Nodes whose read is under way already: they are not read again. */
  readonly started?: StartedReads;
}

/** The nodes of the cluster the session reaches (only the given ones, when told). */
function reachedNodes(session: Session, cluster: ClusterNetwork, only?: ReadonlySet<string>): Node[] {
  return cluster.nodes.filter((n) => session.transports.has(n.name) && (only === undefined || only.has(n.name)));
}

/**
 * Reads the given nodes (default: every node the session reaches) in parallel, one round trip each,
 * readiness probes included unless told; a node whose read is among `started` is not read again.
 */
export function readCluster(session: Session, cluster: ClusterNetwork, intent: Intent, parallelism: number, as: ObserveAs = {}, only?: ReadonlySet<string>, started?: StartedReads): Promise<NodeRead[]> {
  return mapLimit(reachedNodes(session, cluster, only), parallelism, (node) => started?.get(node.name) ?? readNode(session, cluster, node, intent, as));
}

/**
 * Takes the lock of every node the session reaches (Session.lockAll: all or nothing) and reads each
 * node, with its readiness probes, in the round trip that takes its lock (Transport.lockAndRun),
 * instead of once every lock is: a node's read waits neither for the slowest node's connection nor
 * for a round trip of its own. The reads are given only when they were made under the locks the run
 * holds now (planCluster's and readCluster's `started`); when another run held a lock, they were
 * given back and taken again, so the nodes are to be read again.
 */
export async function lockAndRead(session: Session, cluster: ClusterNetwork, intent: Intent, lockTimeoutSeconds: number, parallelism: number): Promise<{locks: LockOutcome; started: StartedReads}> {
  const byName = new Map(cluster.nodes.map((n) => [n.name, n]));
  const reads = new Map<string, Promise<NodeRead>>();
  const locks = await session.lockAll(lockTimeoutSeconds, parallelism, undefined, (name) => {
    const node = byName.get(name)!;
    const observation = observeNode(session.transport(name), cluster, node, intent, {takingLock: true});
    reads.set(name, readOf(node, observation));
    // A read that failed on the node was made under the lock all the same.
    return observation.catch((error: unknown) => {
      if (!(error instanceof ObservationError)) throw error;
    });
  });
  return {locks, started: locks.taken && locks.atOnce ? reads : new Map()};
}

/** A plan with the cluster it was made for: the spec as it serves traffic, with only ready endpoints. */
export interface PlannedCluster extends ClusterPlan {
  readonly cluster: ClusterNetwork;
}

interface PlanReadOptions {
  readonly withFingerprints?: boolean;
  readonly scope?: NodeScope;
}

/** Plans one node from its read against `serving`; a pod of the node that is not ready is named on it. */
function planRead(serving: ClusterNetwork, intent: Intent, read: NodeRead, notReady: readonly NotReady[], options: PlanReadOptions): NodeOutcome {
  if ('outcome' in read) return read.outcome;
  const plan = planNode(serving, read.node, read.observation, intent, options.scope, options.withFingerprints === true);
  const here = notReady.filter((n) => n.pod.node === read.node.name).map((n) => `pod ${notReadyText(n)}; it is no endpoint until its probe passes`);
  return {status: 'planned', ...plan, warnings: [...plan.warnings, ...here]};
}

/**
 * Plans from what was read. Readiness comes first, since every node's service rules (and headless
 * DNS answers) hold only ready endpoints; a pod that is not ready is named on its node.
 */
export function planReads(cluster: ClusterNetwork, intent: Intent, reads: readonly NodeRead[], options: PlanReadOptions & {notReady?: readonly NotReady[]} = {}): PlannedCluster {
  const probed = new Map(reads.flatMap((r) => ('observation' in r ? [[r.node.name, r.observation.probeOutputs] as const] : [])));
  const lost = new Set(reads.flatMap((r) => ('outcome' in r && r.outcome.status === 'unreachable' ? [r.node.name] : [])));
  const notReady = intent === 'apply' ? options.notReady ?? notReadyPods(cluster, probed, lost) : [];
  const serving = withReadiness(cluster, new Set(notReady.map((n) => n.pod.ip)));
  return {intent, nodes: reads.map((read) => planRead(serving, intent, read, notReady, options)), notReady, cluster: serving};
}

/**
 * Waits for the nodes' answers, and meanwhile (netctl is otherwise idle) builds the iptables chains
 * every node of an apply gets: with 1,000 services, a quarter of a second. Planning finds them made,
 * unless a probe fails and so changes the services.
 */
export async function whileNodesAnswer<T>(answers: Promise<T>, cluster: ClusterNetwork, intent: Intent): Promise<T> {
  if (intent === 'apply') {
    // Handled here too: a failure that comes while the chains are built is the caller's, not unhandled.
    answers.catch(() => undefined);
    await new Promise(setImmediate);
    desiredIptables(cluster);
  }
  return answers;
}

/** Whether a plan needs every node's read before it can plan any: readiness probes decide the endpoints of every node's services. */
function readinessNeedsEveryRead(cluster: ClusterNetwork, intent: Intent): boolean {
  return intent === 'apply' && cluster.pods.some((p) => p.readinessProbe !== undefined);
}

/**
 * Plans the nodes the session reaches; desired states still take every node of the spec into account.
 * Without readiness probes no node's read changes another's plan, so each node is planned as soon as
 * its read comes back, while the others still answer (and its observation is let go at once).
 */
export async function planCluster(session: Session, cluster: ClusterNetwork, intent: Intent, parallelism: number, options: PlanOptions = {}): Promise<PlannedCluster> {
  const withFingerprints = options.withFingerprints === true;
  const read = (node: Node) => options.started?.get(node.name) ?? readNode(session, cluster, node, intent, {underLock: options.underLock === true, last: options.lastUse === true});
  const nodes = reachedNodes(session, cluster);
  if (readinessNeedsEveryRead(cluster, intent)) {
    return planReads(cluster, intent, await whileNodesAnswer(mapLimit(nodes, parallelism, read), cluster, intent), {withFingerprints});
  }
  const planned = mapLimit(nodes, parallelism, async (node) => planRead(cluster, intent, await read(node), [], {withFingerprints}));
  return {intent, nodes: await whileNodesAnswer(planned, cluster, intent), notReady: [], cluster};
}

export class ApplyError extends Error {
  constructor(message: string, readonly rolledBack: boolean) {
    super(message);
  }
}

/**
 * Reading one chain (`iptables -S CHAIN`) costs about what reading a small ruleset whole does, since
 * each loads the ruleset: measured with nf_tables, 0.7 ms a chain, and iptables-save 0.7 ms plus
 * 4.4 µs a rule (30,000 rules: 135 ms). So chains are read one by one only while that is cheaper: fewer
 * than 1 + rules / 160 of them.
 */
const RULES_PER_CHAIN_READ = 160;

const SERVICE_RULE_KINDS: ReadonlySet<string> = new Set(['iptables-chain', 'iptables-rule', 'dns-hosts', 'dns-server', 'pod-resolver']);

/**
 * What verification re-reads: of iptables, the chains the apply changed, one by one when the node's
 * ruleset (`observedRules`, unknown: assumed large) makes that cheaper than reading it whole; the rest
 * of the node (links, addresses, routes, ...) in full, unless the apply changed nothing but iptables
 * chains and DNS objects (an endpoint change), which are then all it re-reads.
 */
export function verificationScope(changes: Iterable<Change>, observedRules?: number): NodeScope {
  const chains = new Set<string>();
  let serviceRulesOnly = true;
  for (const change of changes) {
    const r = (change.after ?? change.before)!;
    if (r.kind === 'iptables-chain' || r.kind === 'iptables-rule') chains.add(`${r.table} ${r.chain}`);
    if (!SERVICE_RULE_KINDS.has(r.kind)) serviceRulesOnly = false;
  }
  const oneByOne = observedRules === undefined || chains.size < 1 + observedRules / RULES_PER_CHAIN_READ;
  return {
    ...(oneByOne ? {iptablesChains: chains} : {}),
    ...(serviceRulesOnly ? {serviceRulesOnly} : {}),
  };
}

/** How apply proves, after a node's change, that netctl can still reach it (commit-confirm). */
export interface Confirmation {
  /** Seconds the node's watchdog waits for the confirmation before it undoes the change. */
  readonly seconds: number;
  /** Prove it with a whole new SSH session (--confirm-ssh) rather than a new TCP connection that gets the SSH banner. */
  readonly handshake: boolean;
}

/** The node stopped answering during its apply; `state` says what netctl knows of the node. */
export class LostNodeError extends ApplyError {
  constructor(node: string, detail: string, readonly state: string) {
    super(`${node}: the node stopped answering during the apply (${detail}); ${state}`, false);
  }
}

/** What netctl knows of a node it lost during its transaction, from the output it saw. */
function lostState(output: string, confirm: Confirmation | undefined): string {
  if (output.includes(`${TX_MARK} applied`)) {
    return confirm === undefined
      ? 'its changes were applied but not verified: run netctl plan once it answers'
      : `its changes were applied, and since no confirmation can come, its watchdog restores its previous state within ${confirm.seconds} s`;
  }
  if (output.includes(`${TX_MARK} rolled-back`)) return 'a command failed and the node rolled itself back';
  if (confirm !== undefined) {
    return `its transaction runs to the end by itself on the node: a failed command rolls it back, and its watchdog undoes an applied change ${confirm.seconds} s after the apply began unless a netctl run reaches the node before then (which confirms it); run netctl plan once it answers`;
  }
  return 'its state is unknown: its transaction runs to the end by itself on the node (applied, or rolled back if a command fails); run netctl plan once it answers';
}

/**
 * Applies one node's planned changes as a transaction and re-reads what it changed in the same round
 * trip; verifies that nothing is left to do; with `confirm`, proves that a new connection still reaches
 * the node and confirms over the held session before the node's watchdog would roll it back. The
 * proof starts as soon as the changes are in, while the verification runs. `last`: the run does
 * nothing more on the node, so its session ends with the confirmation (RunOptions.last).
 */
export async function applyNode(transport: Transport, cluster: ClusterNetwork, plan: NodePlan, intent: Intent, confirm?: Confirmation, last = false): Promise<void> {
  const node = cluster.nodes.find((n) => n.name === plan.node)!;
  const scope = verificationScope(plan.changes, plan.observedRules);
  let reachable: Promise<{error?: string}> | undefined;
  // The transaction's own output (before the re-read) is short; it says when the changes are in.
  let transactionOutput = '';
  const onOutput = (chunk: string) => {
    if (reachable !== undefined) return;
    transactionOutput += chunk;
    if (confirm !== undefined && transactionOutput.includes(`${TX_MARK} applied`)) reachable = settled(transport.probeNewConnection(confirm.handshake));
  };
  let result: ScriptResult;
  try {
    // The transaction exits before the re-read when it did not apply.
    result = await transport.run(transactionScript(plan, intent, cluster.name, confirm?.seconds) + observeScript({...observeOptions(cluster, node, intent, scope), probes: []}), {onOutput, limitSeconds: roundTripLimit(plan.changes.length)});
  } catch (error) {
    if (error instanceof UnreachableError) throw new LostNodeError(plan.node, error.detail, lostState(transactionOutput, confirm));
    throw error;
  }
  if (result.exitCode === ROLLED_BACK_EXIT) {
    throw new ApplyError(`${plan.node}: applying changes failed, and the node was rolled back to its state before this apply: ${result.stderr.trim()}`, true);
  }
  if (!result.stdout.includes(`${TX_MARK} applied`)) {
    throw new ApplyError(`${plan.node}: applying changes failed (exit ${result.exitCode}): ${result.stderr.trim() || result.stdout.trim()}`, false);
  }
  // In case the output did not come in pieces.
  if (reachable === undefined) onOutput(result.stdout);
  const after = planNode(cluster, node, observationIn(result), intent, scope);
  const left = [...after.errors, ...after.changes.map((c) => `${c.action} ${c.key} (${c.reason})`)];
  if (left.length > 0) {
    await reachable;
    const undo = await transport.run(ROLLBACK_LAST);
    if (confirm !== undefined && undo.stdout.includes(`${TX_MARK} expired`)) {
      throw new ApplyError(`${plan.node}: the node's watchdog rolled the apply back before it was verified: reading the node back took longer than --confirm-timeout (${confirm.seconds} s); run again with a longer --confirm-timeout`, true);
    }
    throw new ApplyError(`${plan.node}: the node still differed from the spec after applying, so it was rolled back to its state before this apply: ${left.join('; ')}`, true);
  }
  if (confirm === undefined) return;
  const proof = (await reachable)!;
  if (proof.error !== undefined) {
    throw new ApplyError(`${plan.node}: applied and verified, but a new connection could not reach the node (${proof.error}), so netctl did not confirm; the node's watchdog restores its previous state within ${confirm.seconds} s of the apply`, true);
  }
  const answer = await settled(transport.run(CONFIRM_LAST, {last}));
  if (answer.result?.stdout.includes(`${TX_MARK} confirmed`) !== true) {
    const why = answer.error ?? 'its watchdog had already rolled it back';
    throw new ApplyError(`${plan.node}: applied and verified, but netctl could not confirm (${why}); the node's watchdog restores its previous state within ${confirm.seconds} s of the apply`, true);
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
