/** The transports to every node for one netctl command, their locks, and their clean-up on any exit. */
import {formatAddress} from '../net/ipv4.js';
import type {ClusterNetwork, Node} from '../spec/types.js';
import {LocalTransport} from '../transport/local.js';
import {SshTransport} from '../transport/ssh.js';
import {LockDeniedError, LockedError, UnreachableError, type Transport} from '../transport/transport.js';
import {mapLimit} from './limit.js';

/** Default of --connect-timeout. */
export const DEFAULT_CONNECT_TIMEOUT = 10;
/** Exit statuses of a netctl ended by a signal, as a shell reports them. */
const SIGNAL_EXITS = {SIGINT: 130, SIGTERM: 143, SIGHUP: 129} as const;
type Signal = keyof typeof SIGNAL_EXITS;
/**
 * Seconds a run waits, in the ordered phase, for a lock that another run took in its own all-at-once
 * attempt and is about to give back; without it, two runs started together could both give up.
 */
const CONTENDED_LOCK_WAIT = 2;

export interface SessionOptions {
  /** Seconds to reach a node (TCP, banner, handshake, session ready), unless its spec sets ssh.connectTimeout. */
  readonly connectTimeoutSeconds?: number;
  /** How a node is reached (default: as its spec says, over SSH or on this machine). */
  readonly transport?: (node: Node) => Transport;
}

/** What taking every node's lock came to. */
export type LockOutcome =
  | {
    readonly taken: true;
    readonly unreachable: ReadonlyMap<string, UnreachableError>;
    /** Every lock was taken in the first, all-at-once attempt, and held since: what `whileLocked` did there still holds. */
    readonly atOnce: boolean;
  }
  | {readonly taken: false; readonly error: LockedError | UnreachableError};

export class Session {
  /** While set, the first SIGINT/SIGTERM/SIGHUP calls it (nodes in flight finish) instead of ending netctl. */
  private graceful: (() => void) | undefined;
  private readonly onSignal = (signal: Signal) => {
    const stop = this.graceful;
    this.graceful = undefined;
    if (stop !== undefined) return stop();
    this.abort();
    process.exit(SIGNAL_EXITS[signal]);
  };

  private constructor(
    private readonly open: Map<string, Transport>,
    private readonly connect: (node: Node) => Transport,
  ) {
    for (const signal of Object.keys(SIGNAL_EXITS) as Signal[]) process.on(signal, this.onSignal);
  }

  /**
   * Transports to the given nodes only: the others are never contacted. From here until close(), a
   * signal that ends netctl ends its SSH clients too.
   */
  static open(cluster: ClusterNetwork, nodes: readonly string[], options: SessionOptions = {}): Session {
    const connect = options.transport ?? ((node: Node): Transport => node.transport === 'local'
      ? new LocalTransport(node.name)
      : new SshTransport(node.name, node.ssh.host ?? formatAddress(node.address), node.ssh, options.connectTimeoutSeconds ?? DEFAULT_CONNECT_TIMEOUT));
    const transports = new Map<string, Transport>();
    for (const node of cluster.nodes.filter((n) => nodes.includes(n.name))) transports.set(node.name, connect(node));
    return new Session(transports, connect);
  }

  get transports(): ReadonlyMap<string, Transport> {
    return this.open;
  }

  /** A new transport to a node whose connection was lost (the reconcile loop reconnects this way). */
  async renew(node: Node): Promise<void> {
    const old = this.open.get(node.name);
    if (old === undefined) return;
    old.abort();
    await old.close().catch(() => undefined);
    this.open.set(node.name, this.connect(node));
  }

  transport(node: string): Transport {
    const transport = this.transports.get(node);
    if (transport === undefined) throw new Error(`no transport for node ${node}`);
    return transport;
  }

  /**
   * Takes the lock of every node it reaches before any is changed, all or nothing. First all at once
   * without waiting (the common case: nobody else is there); if any is held, gives back what it took
   * and takes them one by one in node-name order, waiting up to `timeoutSeconds` in all, so that two
   * runs cannot deadlock. When one stays held, gives back every lock it took and reports the holder.
   * Nodes that cannot be reached are left out (they will not be changed) and reported.
   * `take`, when given, takes a node's lock in the all-at-once attempt instead of Transport.lock(0),
   * doing its work under it in the same round trip (apply reads the node so: Transport.lockAndRun);
   * it rejects as lock(0) does. When that attempt has to give the locks back, that work no longer
   * holds (`atOnce` is false).
   */
  async lockAll(timeoutSeconds: number, parallelism: number, only?: ReadonlySet<string>, take?: (node: string) => Promise<unknown>): Promise<LockOutcome> {
    const names = [...this.transports.keys()].filter((n) => only === undefined || only.has(n)).sort();
    const unreachable = new Map<string, UnreachableError>();
    const taken: string[] = [];
    const attempts = await mapLimit(names, parallelism, async (name) => {
      try {
        await (take === undefined ? this.transport(name).lock(0) : take(name));
        taken.push(name);
        return undefined;
      } catch (error) {
        if (error instanceof UnreachableError) unreachable.set(name, error);
        else if (!(error instanceof LockedError)) throw error;
        return error;
      }
    });
    if (attempts.every((a) => a === undefined || a instanceof UnreachableError)) return {taken: true, unreachable, atOnce: true};
    await this.unlockAll(taken);
    // Waiting would not help a node whose lock its SSH user may not take.
    const denied = attempts.find((a) => a instanceof LockDeniedError);
    if (denied !== undefined) return {taken: false, error: denied};
    const deadline = Date.now() + Math.max(timeoutSeconds, CONTENDED_LOCK_WAIT) * 1000;
    const ordered: string[] = [];
    for (const name of names.filter((n) => !unreachable.has(n))) {
      try {
        await this.transport(name).lock(Math.max(0, Math.round((deadline - Date.now()) / 100) / 10));
        ordered.push(name);
      } catch (error) {
        await this.unlockAll(ordered);
        if (error instanceof LockDeniedError) return {taken: false, error};
        if (error instanceof LockedError) return {taken: false, error: new LockedError(name, error.holder, timeoutSeconds)};
        if (error instanceof UnreachableError) return {taken: false, error};
        throw error;
      }
    }
    return {taken: true, unreachable, atOnce: false};
  }

  /** Gives back the locks of these nodes (those not held are left alone). */
  async unlockAll(names: readonly string[]): Promise<void> {
    await Promise.all(names.map((name) => this.transport(name).unlock().catch(() => undefined)));
  }

  /** Runs `work` during which the first signal calls `stop` instead of ending netctl; a second one ends it. */
  async gracefully<T>(stop: () => void, work: () => Promise<T>): Promise<T> {
    this.graceful = stop;
    try {
      return await work();
    } finally {
      this.graceful = undefined;
    }
  }

  /** Ends the node's held session now, as the run is done with the node; close() waits for its end. */
  release(node: string): void {
    this.transport(node).close().catch(() => undefined);
  }

  /** Kills every SSH client, at once and synchronously. */
  abort(): void {
    for (const transport of this.transports.values()) transport.abort();
  }

  async close(): Promise<void> {
    await Promise.all([...this.transports.values()].map((t) => t.close()));
    for (const signal of Object.keys(SIGNAL_EXITS) as Signal[]) process.off(signal, this.onSignal);
  }
}
