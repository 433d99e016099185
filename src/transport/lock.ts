/**
 * The per-node lock of apply and destroy: `flock` on /run/netctl/lock, held by the session that
 * netctl keeps open on the node for its whole run, so it is released when netctl ends or dies.
 */
import {hostname} from 'node:os';
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
