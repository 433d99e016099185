/**
 * The reconcile loop: the one-shot apply on a timer, over the connections it keeps open, as kube-proxy
 * runs its sync. It probes every pod at its period (one round trip per node for the probes due
 * together), applies endpoint changes at most once per minSync, re-reads every node and repairs any
 * drift every resync, and reconnects to a node that went away. Every change goes through the same
 * per-node transaction, verification, rollback and confirmation as `apply`; node locks are taken only
 * while nodes are changed.
 */
import {splitSections} from '../observe/parse.js';
import {probeOutputs, probeResult, probeScript} from '../observe/probes.js';
import {ReadinessTracker, type NotReady} from '../plan/readiness.js';
import {withReadiness} from '../desired/readiness.js';
import {podNetns} from '../desired/names.js';
import {podRef} from '../spec/namespaces.js';
import {endpointScope} from '../plan/endpoint-scope.js';
import {groupServiceChanges} from '../plan/service-changes.js';
import type {ClusterNetwork, Node, Pod} from '../spec/types.js';
import {UnreachableError} from '../transport/transport.js';
import {ApplyError, applyNode, planReads, readCluster, type Confirmation, type NodeRead} from './engine.js';
import {destroyedByNetctl} from '../apply/transaction.js';
import {mapLimit} from './limit.js';
import type {Session} from './session.js';

export type ReconcileEvent =
  | {readonly event: 'started'; readonly nodes: number; readonly probes: number}
  | {readonly event: 'pod-ready' | 'pod-not-ready'; readonly pod: string; readonly node: string; readonly detail: string}
  | {readonly event: 'endpoints-changed'; readonly node: string; readonly service: string; readonly added: readonly string[]; readonly removed: readonly string[]}
  | {readonly event: 'drift-repaired'; readonly node: string; readonly changes: number}
  | {readonly event: 'change-failed'; readonly node: string; readonly error: string}
  | {readonly event: 'node-lost' | 'node-back'; readonly node: string; readonly detail: string}
  | {readonly event: 'node-destroyed'; readonly node: string}
  | {readonly event: 'sync-postponed'; readonly reason: string}
  | {readonly event: 'spec-changed'; readonly file: string}
  | {readonly event: 'spec-not-taken'; readonly file: string; readonly problems: readonly string[]}
  | {readonly event: 'stopped'};

export interface ReconcileOptions {
  /** Milliseconds between two syncs for endpoint changes, at least. */
  readonly minSyncMs: number;
  /** Milliseconds between two full re-reads of every node. */
  readonly resyncMs: number;
  readonly parallelism: number;
  readonly lockTimeoutSeconds: number;
  readonly confirm: Confirmation | undefined;
  /** Milliseconds between two attempts to reach a lost node again. */
  readonly reconnectMs?: number;
  /**
   * Asked between two steps of the loop: true ends the run so that a changed spec is taken up (the
   * loop does not change nodes for a spec its user has replaced).
   */
  readonly specChanged?: () => Promise<boolean>;
}

/** The loop's clock and sleep: real ones, or a test's. */
export interface Clock {
  now(): number;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) => new Promise((resolve) => {
    const wake = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', wake);
      resolve();
    };
    const timer = setTimeout(wake, ms);
    signal.addEventListener('abort', wake, {once: true});
  }),
};

/** Longest sleep between two looks at what is due (so a stop is noticed promptly). */
const MAX_IDLE_MS = 1000;

export class Reconciler {
  private readonly tracker: ReadinessTracker;
  /** Nodes whose connection was lost, and since when (or the last attempt to reach them again). */
  private readonly lost = new Map<string, number>();
  private readonly reconnecting = new Set<string>();
  /** Nodes netctl destroy emptied, left alone until an apply builds them again (destroyedByNetctl). */
  private readonly destroyed = new Set<string>();
  private dirty = false;
  private lastSync = Number.NEGATIVE_INFINITY;
  private lastResync = Number.NEGATIVE_INFINITY;
  /**
   * The cluster as it served traffic after the last sync that every node it read took in full; unset
   * when unknown, and then the next sync reads every node whole rather than only what changed.
   */
  private served: ClusterNetwork | undefined;

  constructor(
    private readonly session: Session,
    private readonly cluster: ClusterNetwork,
    private readonly options: ReconcileOptions,
    private readonly emit: (event: ReconcileEvent) => void,
    private readonly clock: Clock = realClock,
    /** The readiness a loop on the spec before this one left (a reloaded spec): unchanged pods keep theirs. */
    previous?: ReadinessTracker,
  ) {
    const nodes = new Set(session.transports.keys());
    const pods = cluster.pods.filter((p) => nodes.has(p.node));
    this.tracker = previous?.followedBy(pods, clock.now()) ?? new ReadinessTracker(pods, clock.now());
  }

  /** The pods' readiness as the loop knows it, for a loop that takes over (a reloaded spec). */
  get readiness(): ReadinessTracker {
    return this.tracker;
  }

  /** Runs until `signal` ('stopped') or until the spec changed ('spec-changed'). */
  async run(signal: AbortSignal): Promise<'stopped' | 'spec-changed'> {
    this.emit({event: 'started', nodes: this.session.transports.size, probes: this.cluster.pods.filter((p) => p.readinessProbe !== undefined).length});
    while (!signal.aborted) {
      if (await this.options.specChanged?.()) return 'spec-changed';
      const now = this.clock.now();
      this.reconnect(now);
      await this.probeDue(now);
      if (signal.aborted) break;
      const settled = this.tracker.settled(this.clock.now());
      if (settled && this.clock.now() - this.lastResync >= this.options.resyncMs) await this.sync(true);
      else if (settled && this.dirty && this.clock.now() - this.lastSync >= this.options.minSyncMs) await this.sync(this.served === undefined);
      await this.clock.sleep(this.idle(), signal);
    }
    this.emit({event: 'stopped'});
    return 'stopped';
  }

  /** How long nothing is due. */
  private idle(): number {
    const now = this.clock.now();
    const wakes = [now + MAX_IDLE_MS, this.lastResync + this.options.resyncMs];
    const probe = this.tracker.nextDue();
    if (probe !== undefined) wakes.push(probe);
    if (this.dirty) wakes.push(this.lastSync + this.options.minSyncMs);
    return Math.max(0, Math.min(...wakes) - now);
  }

  private node(name: string): Node {
    return this.cluster.nodes.find((n) => n.name === name)!;
  }

  /**
   * Runs the probes that are due, one round trip per node. Results are recorded at the round's start,
   * so pods probed together stay due together (a probe's own duration does not shift its schedule, as
   * a kubelet's ticker does not).
   */
  private async probeDue(now: number): Promise<void> {
    const byNode = new Map<string, Pod[]>();
    for (const pod of this.tracker.due(now)) {
      const pods = byNode.get(pod.node) ?? [];
      pods.push(pod);
      byNode.set(pod.node, pods);
    }
    await mapLimit([...byNode], this.options.parallelism, async ([node, pods]) => {
      if (this.lost.has(node)) {
        for (const pod of pods) this.note(this.tracker.record(pod, {ready: false, detail: 'its node cannot be reached'}, now));
        return;
      }
      try {
        const {stdout} = await this.session.transport(node).run(`${probeScript(pods).join('\n')}\n`);
        const outputs = probeOutputs(splitSections(stdout).sections);
        for (const pod of pods) this.note(this.tracker.record(pod, probeResult(pod.readinessProbe!, outputs.get(podNetns(pod)) ?? 'exit 1 no result'), now));
      } catch (error) {
        if (!(error instanceof UnreachableError)) throw error;
        this.loseNode(node, error.detail);
      }
    });
  }

  private note(change: {pod: Pod; ready: boolean; detail: string} | undefined): void {
    if (change === undefined) return;
    this.emit({event: change.ready ? 'pod-ready' : 'pod-not-ready', pod: podRef(change.pod), node: change.pod.node, detail: change.detail});
    this.dirty = true;
  }

  private loseNode(node: string, detail: string): void {
    if (this.lost.has(node)) return;
    this.lost.set(node, this.clock.now());
    this.emit({event: 'node-lost', node, detail});
  }

  /**
   * Starts reaching lost nodes again, in the background (a node that does not answer takes the connect
   * timeout, and the other nodes' probes must not wait for it); a node that is back is fully re-read at
   * the next sync.
   */
  private reconnect(now: number): void {
    const every = this.options.reconnectMs ?? 5000;
    for (const [node, since] of this.lost) {
      if (now - since < every || this.reconnecting.has(node)) continue;
      this.reconnecting.add(node);
      void (async () => {
        try {
          await this.session.renew(this.node(node));
          await this.session.transport(node).run('true\n');
          this.lost.delete(node);
          this.emit({event: 'node-back', node, detail: 'reconnected'});
          // Its pods are probed before the resync that repairs whatever happened meanwhile.
          this.tracker.reprobe(this.cluster.pods.filter((p) => p.node === node), this.clock.now());
          this.lastResync = Number.NEGATIVE_INFINITY;
        } catch {
          this.lost.set(node, this.clock.now());
        } finally {
          this.reconnecting.delete(node);
        }
      })();
    }
  }

  /** Notes the nodes netctl destroy emptied since the last sync, and those an apply has built again. */
  private noteDestroyed(reads: readonly NodeRead[]): void {
    for (const read of reads) {
      if (!('observation' in read)) continue;
      const name = read.node.name;
      if (!destroyedByNetctl(read.observation.lastTransaction)) this.destroyed.delete(name);
      else if (!this.destroyed.has(name)) {
        this.destroyed.add(name);
        this.emit({event: 'node-destroyed', node: name});
      }
    }
  }

  /**
   * Makes the reachable nodes match the spec as it serves traffic now (ready endpoints only): locks
   * them, reads them, applies what differs, then gives the locks back. `full` reads every node whole
   * (the periodic resync); otherwise only the chains and DNS objects the endpoint changes touch.
   */
  private async sync(full: boolean): Promise<void> {
    const now = this.clock.now();
    this.lastSync = now;
    if (full) this.lastResync = now;
    this.dirty = false;
    const nodes = new Set([...this.session.transports.keys()].filter((n) => !this.lost.has(n)));
    if (nodes.size === 0) return;
    const locks = await this.session.lockAll(this.options.lockTimeoutSeconds, this.options.parallelism, nodes);
    if (!locks.taken) {
      this.dirty = true;
      this.emit({event: 'sync-postponed', reason: locks.error.message});
      return;
    }
    for (const [node, error] of locks.unreachable) this.loseNode(node, error.detail);
    let complete = true;
    const lose = (node: string, detail: string) => {
      complete = false;
      this.loseNode(node, detail);
    };
    const fail = (node: string, error: string) => {
      complete = false;
      this.emit({event: 'change-failed', node, error});
    };
    try {
      const notReady: NotReady[] = this.tracker.notReady();
      const scope = full || this.served === undefined ? undefined : endpointScope(this.served, withReadiness(this.cluster, new Set(notReady.map((n) => n.pod.ip))));
      const reads = await readCluster(this.session, this.cluster, 'apply', this.options.parallelism, {underLock: true, withoutProbes: true, ...(scope === undefined ? {} : {scope})}, new Set([...nodes].filter((n) => !this.lost.has(n))));
      this.noteDestroyed(reads);
      const plan = planReads(this.cluster, 'apply', reads, {notReady, ...(scope === undefined ? {} : {scope})});
      await mapLimit(plan.nodes, this.options.parallelism, async (outcome) => {
        if (this.destroyed.has(outcome.node)) {
          complete = false;
          return;
        }
        if (outcome.status === 'unreachable') return lose(outcome.node, outcome.errors.join('; '));
        if (outcome.status !== 'planned') {
          complete = false;
          return;
        }
        if (outcome.errors.length > 0) return fail(outcome.node, outcome.errors.join('; '));
        if (outcome.changes.length === 0) return;
        try {
          await applyNode(this.session.transport(outcome.node), plan.cluster, outcome, 'apply', this.options.confirm);
        } catch (error) {
          if (error instanceof UnreachableError) return lose(outcome.node, error.detail);
          if (!(error instanceof ApplyError)) throw error;
          this.dirty = true;
          return fail(outcome.node, error.message);
        }
        const {services, others} = groupServiceChanges(outcome.changes);
        for (const s of services) this.emit({event: 'endpoints-changed', node: outcome.node, service: s.service, added: s.endpointsAdded, removed: s.endpointsRemoved});
        const drift = others.filter((c) => c.kind !== 'dns-hosts' && c.kind !== 'dns-server').length;
        if (drift > 0) this.emit({event: 'drift-repaired', node: outcome.node, changes: drift});
      });
      this.served = complete ? plan.cluster : undefined;
    } finally {
      await this.session.unlockAll([...nodes]);
    }
  }
}
