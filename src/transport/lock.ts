/**
 * The per-node lock of apply and destroy: `flock` on /run/netctl/lock, held by the session that
 * netctl keeps open on the node for its whole run, so it is released when netctl ends or dies.
 */
import {hostname} from 'node:os';
import type {Readable, Writable} from 'node:stream';
import {shellQuote} from '../shell/quote.js';

export const LOCK_DIR = '/run/netctl';
/** Exit status of the holder when the lock is taken: EX_TEMPFAIL. */
export const LOCKED_EXIT = 75;
export const READY = 'netctl-session-ready';

export interface LockRequest {
  /** Seconds to wait for the lock; 0 fails at once. */
  readonly timeoutSeconds: number;
}

/**
 * A shell command that prints READY and then idles until its stdin closes, holding the node's lock
 * (when asked) all along. The owner line says who holds it, for the one who has to wait.
 */
export function sessionCommand(lock: LockRequest | undefined): string {
  if (lock === undefined) return `echo ${READY}; exec cat >/dev/null`;
  const owner = `netctl on ${hostname()} (pid ${process.pid}) since ${new Date().toISOString()}`;
  return [
    `mkdir -p ${LOCK_DIR}`,
    `exec 9>>${LOCK_DIR}/lock`,
    `if flock -w ${lock.timeoutSeconds} 9; then printf '%s\\n' ${shellQuote(owner)} >${LOCK_DIR}/lock.owner; echo ${READY}; exec cat >/dev/null; fi`,
    `echo "held by $(cat ${LOCK_DIR}/lock.owner 2>/dev/null || echo 'an unknown process')" >&2`,
    `exit ${LOCKED_EXIT}`,
  ].join('; ');
}

/** A process running sessionCommand: ready once it printed READY, ended when its stdin is closed. */
export interface Holder {
  readonly stdin: Writable;
  readonly ended: Promise<unknown>;
  readonly ready: Promise<void>;
}

/**
 * Watches a process running sessionCommand. `failure` turns its exit before READY (and its last line
 * of stderr) into the error that `ready` rejects with.
 */
export function holder(
  process: {readonly stdin: Writable; readonly stdout: Readable} & PromiseLike<{readonly exitCode?: number | undefined; readonly stderr: unknown}>,
  failure: (exitCode: number | undefined, lastLine: string) => Error,
): Holder {
  const ready = new Promise<void>((resolve, reject) => {
    let seen = '';
    process.stdout.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes(READY)) resolve();
    });
    process.then((result) => {
      const last = String(result.stderr).trim().split('\n').filter((l) => l.trim() !== '').pop()?.trim() ?? '';
      reject(failure(result.exitCode, last));
    });
  });
  return {stdin: process.stdin, ended: Promise.resolve(process), ready};
}
