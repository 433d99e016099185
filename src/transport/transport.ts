/** How netctl reaches a node: a script in on stdin of a shell there, its output back. */
import {needsRoot} from '../observe/script.js';

export interface ScriptResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
}

export interface RunOptions {
  /** Sees the script's stdout as it comes. */
  readonly onOutput?: (chunk: string) => void;
  /** Seconds the round trip may take before netctl gives up on the node (default: DEFAULT_ROUND_TRIP_SECONDS). */
  readonly limitSeconds?: number;
  /**
   * Nothing follows on this node: the held session is closed right behind the script, so it ends as
   * soon as the script has run instead of one round trip after its answer.
   */
  readonly last?: boolean;
}

/** The limit of a round trip that does ordinary work (a read, a lock, a confirmation). */
export const DEFAULT_ROUND_TRIP_SECONDS = 60;

/**
 * The limit of a round trip that makes `changes` changes: the ordinary limit plus a second per 100
 * changes (a first apply of 10,000 service endpoints takes about 3 s). A node that stops answering
 * altogether is noticed sooner, by the keepalives of the held connection.
 */
export function roundTripLimit(changes: number): number {
  return DEFAULT_ROUND_TRIP_SECONDS + Math.ceil(changes / 100);
}

export interface Transport {
  /** Human name of the way in, for messages: `root@198.51.100.1:22` or `local`. */
  readonly description: string;
  /**
   * Runs a script over the held session (connecting first if needed). A node that stops answering is
   * noticed by the keepalives of the held connection, a slow one by the round trip's limit.
   */
  run(script: string, options?: RunOptions): Promise<ScriptResult>;
  /** Takes the node's lock through the held session, waiting up to `seconds`; LockedError if held. */
  lock(seconds: number): Promise<void>;
  /**
   * Takes the node's lock without waiting and, once it is taken, runs the script under it, in one round
   * trip; LockedError if another run holds the lock (the script is not run).
   */
  lockAndRun(script: string, options?: RunOptions): Promise<ScriptResult>;
  /** Releases the node's lock (the session stays). */
  unlock(): Promise<void>;
  /**
   * Proves that a new connection from here reaches the node's SSH server now: a fresh TCP connection
   * that receives the server's banner, or with `handshake` a whole new SSH session.
   */
  probeNewConnection(handshake: boolean): Promise<void>;
  /**
   * Runs one command on the node with this terminal's stdin, stdout and stderr (and a terminal of its
   * own on the node with `tty`), outside the held session; resolves with its exit status.
   */
  interactive(command: string, tty: boolean): Promise<number>;
  /** Ends the held session, leaving no process behind; called again, waits for that end. */
  close(): Promise<void>;
  /** Kills every process of this transport at once (netctl is being terminated). */
  abort(): void;
}

/** The node could not be reached, or stopped answering (as opposed to a command on it failing). */
export class UnreachableError extends Error {
  /** What happened, without the fix: `cannot reach node NODE: DETAIL`. */
  readonly reason: string;

  /** `fix`: what the operator can do about it, when netctl can tell. */
  constructor(readonly node: string, readonly detail: string, readonly fix?: string) {
    const reason = `cannot reach node ${node}: ${detail}`;
    super(fix === undefined ? reason : `${reason}: ${fix}`);
    this.reason = reason;
  }
}

/** Another netctl holds the node's lock (apply and destroy take it for their whole run). */
export class LockedError extends Error {
  constructor(readonly node: string, readonly holder: string, waitedSeconds: number) {
    super(`node ${node} is locked by another netctl run, ${holder}; waited ${waitedSeconds} s (--lock-timeout)`);
  }

  /** The error for a lock request's answer other than `taken`: `held by ...`, or `denied UID`. */
  static of(node: string, answer: string, waitedSeconds: number): LockedError {
    const denied = /^denied (\d+)/.exec(answer);
    return denied === null ? new LockedError(node, answer, waitedSeconds) : new LockDeniedError(node, denied[1]!);
  }
}

/** The node's lock could not even be tried: the SSH user may not write it. */
export class LockDeniedError extends LockedError {
  constructor(node: string, uid: string) {
    super(node, '', 0);
    // As root, the lock can only be unwritable because its file system is mounted read-only.
    this.message = `node ${node}: netctl cannot take its lock (/run/netctl/lock): ${uid === '0' ? 'root may not write it there (is /run mounted read-only?)' : needsRoot(uid)}`;
  }
}
