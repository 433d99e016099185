/**
 * A node's apply as a transaction that runs on the node by itself: the apply script and its rollback
 * are written under /run/netctl/tx, and a job in its own session (so a lost SSH connection or a killed
 * netctl cannot stop it half-way) runs the apply and, if any command fails, the rollback.
 */
import {LOCK_DIR, MAKE_LOCK_DIR} from '../transport/lock.js';
import {OWNER_FILE} from '../observe/owner.js';
import {order, type Change} from '../plan/diff.js';
import type {Intent, NodePlan} from '../plan/node-plan.js';
import {heredoc, shellQuote} from '../shell/quote.js';
import {applyScript} from './script.js';

export const TX_DIR = `${LOCK_DIR}/tx`;
/**
 * Held (flock) by a transaction's job while it runs. The job outlives the connection that started it,
 * so the next run, once it holds the node lock, waits on this before it reads or changes the node.
 */
const RUNNING = `${LOCK_DIR}/tx.running`;
// Waits for the lock on fd 8 and lets go of it as the group ends (no command run under the lock).
const AWAIT_RUNNING = `{ ${MAKE_LOCK_DIR}; } && { flock 8; } 8>>${RUNNING}`;
/** The transaction's status into $tx_status, by the shell (no process). */
const READ_STATUS = `tx_status=; read -r tx_status <${TX_DIR}/status`;
export const TX_MARK = '@@netctl-tx';
/** Starts the line a read under the node's lock gives on the node's last transaction: `@@netctl-last-tx INTENT STATUS`. */
const LAST_TX_MARK = '@@netctl-last-tx';
/** Exit status of a transaction whose apply failed and was rolled back. */
export const ROLLED_BACK_EXIT = 3;

/**
 * The script that takes the node from the planned state back to the state it had when planned: every
 * change undone. After a failed apply the node is somewhere in between, so the script goes on past
 * commands that fail.
 */
export function rollbackScript(plan: NodePlan): string {
  return applyScript(order(plan.changes.map(undo)), {tolerant: true});
}

function undo(change: Change): Change {
  const {key, kind, before, after} = change;
  const reason = 'rollback';
  switch (change.action) {
    case 'create':
      // An object created again with its replaced link comes back as it was, once the link is back.
      return before === undefined ? {action: 'delete', key, kind, before: after!, reason} : {action: 'create', key, kind, after: before, reason};
    case 'delete':
      return {action: 'create', key, kind, after: before!, reason};
    case 'update':
    case 'replace':
      return {action: change.action, key, kind, before: after!, after: before!, reason};
  }
}

/** The watchdog leads its own process group (setsid): ending the group ends its sleep too, leaving nothing behind. */
const STOP_WATCHDOG = `{ watchdog=; [ -e ${TX_DIR}/watchdog.pid ] && read -r watchdog <${TX_DIR}/watchdog.pid && kill -- -"$watchdog" 2>/dev/null; true; }`;

/**
 * With `confirmSeconds`, a watchdog in its own session rolls the node back unless netctl confirms,
 * over a new SSH connection, within that time (commit-confirm, as netplan try does): a change that
 * cuts netctl off from the node undoes itself.
 */
export function transactionScript(plan: NodePlan, intent: Intent, cluster: string, confirmSeconds?: number): string {
  const watchdog = confirmSeconds === undefined ? [] : [
    // A transaction still running when the time is up is waited for: it may be what cut netctl off.
    `setsid sh -c ${shellQuote(`sleep ${confirmSeconds}; { flock 8; } 8>>${RUNNING}; flock ${TX_DIR}/confirm.lock sh -c '${READ_STATUS}; [ -e ${TX_DIR}/confirmed ] || [ "$tx_status" != applied ] || { sh ${TX_DIR}/rollback.sh >${TX_DIR}/watchdog.log 2>&1; echo expired >${TX_DIR}/status; }'`)} </dev/null >/dev/null 2>&1 &`,
    `echo $! >${TX_DIR}/watchdog.pid`,
  ];
  return [
    AWAIT_RUNNING,
    // The last transaction has ended, confirmed or rolled back (or confirmed by this run's read): its
    // watchdog, if still asleep, must not wake to judge this one.
    STOP_WATCHDOG,
    `rm -rf ${TX_DIR} && mkdir -p ${TX_DIR}`,
    `echo ${intent} >${TX_DIR}/intent`,
    heredoc(`cat >${TX_DIR}/apply.sh`, applyScript(plan.changes).trimEnd(), '', 'NETCTL_APPLY_EOF'),
    heredoc(`cat >${TX_DIR}/rollback.sh`, rollbackScript(plan).trimEnd(), '', 'NETCTL_ROLLBACK_EOF'),
    ...watchdog,
    // setsid -w: the job lives in its own session, so the hang-up of a lost connection does not reach it.
    `setsid -w flock ${RUNNING} sh -c 'if sh ${TX_DIR}/apply.sh >${TX_DIR}/apply.log 2>&1; then echo applied; else sh ${TX_DIR}/rollback.sh >${TX_DIR}/rollback.log 2>&1; echo rolled-back; fi >${TX_DIR}/status' </dev/null`,
    `read -r status <${TX_DIR}/status`,
    // Whose objects the node holds now (observe/owner.ts); the name is a DNS label.
    `[ "$status" = applied ] && ${intent === 'destroy' ? `rm -f ${OWNER_FILE}` : `echo ${shellQuote(cluster)} >${OWNER_FILE}`}`,
    `echo "${TX_MARK} $status"`,
    `[ -s ${TX_DIR}/apply.log ] && cat ${TX_DIR}/apply.log >&2`,
    `[ "$status" = applied ] || exit ${ROLLED_BACK_EXIT}`,
    '',
  ].join('\n');
}

/**
 * Rolls back the last transaction, after an apply that ran but did not verify; the watchdog stands down.
 * Says `expired` instead when the watchdog had already rolled it back (the verification outlasted it).
 */
export const ROLLBACK_LAST = `flock ${TX_DIR}/confirm.lock sh -c '${READ_STATUS}; if [ "$tx_status" = expired ]; then echo "${TX_MARK} expired"; else sh ${TX_DIR}/rollback.sh >${TX_DIR}/rollback.log 2>&1; echo rolled-back >${TX_DIR}/status; echo "${TX_MARK} rolled-back"; fi'; ${STOP_WATCHDOG}\n`;

/** Confirms the last transaction, unless its watchdog already rolled it back. */
export const CONFIRM_LAST = `flock ${TX_DIR}/confirm.lock sh -c '${READ_STATUS}; [ "$tx_status" = applied ] && : >${TX_DIR}/confirmed' && { ${STOP_WATCHDOG}; echo "${TX_MARK} confirmed"; }\n`;

/**
 * Waits for a transaction an earlier run started to end, and confirms it if that run left it applied
 * but unconfirmed because it lost the node.
 * Run by apply and destroy once they hold the node's lock, in their read round trip: this run reached
 * the node over a new connection after that change, which is what the confirmation proves, and it
 * plans from the state the change left; without this, the old watchdog would undo that state later.
 */
export const CONFIRM_PENDING = [
  `${AWAIT_RUNNING}; tx_status=; [ -f ${TX_DIR}/status ] && read -r tx_status <${TX_DIR}/status`,
  // Only an applied, unconfirmed transaction needs it (CONFIRM_LAST checks again under its lock).
  `[ "$tx_status" = applied ] && [ ! -e ${TX_DIR}/confirmed ] && { ${CONFIRM_LAST.trim()}; } >/dev/null 2>&1`,
  `tx_intent=; [ -f ${TX_DIR}/intent ] && read -r tx_intent <${TX_DIR}/intent; echo "${LAST_TX_MARK} \${tx_intent:-none} \${tx_status:-none}"`,
  '',
].join('\n');

/** The node's last transaction, from the line CONFIRM_PENDING prints: what it did and how it ended. */
export interface LastTransaction {
  /** `apply`, `destroy`, or `none` (no transaction since the node started: /run is emptied at boot). */
  readonly intent: string;
  /** `applied`, `rolled-back`, `expired` (its watchdog undid it), or `none`. */
  readonly status: string;
}

export function lastTransactionIn(stdout: string): LastTransaction | undefined {
  const match = new RegExp(`^${LAST_TX_MARK} (\\S+) (\\S+)$`, 'm').exec(stdout);
  return match === null ? undefined : {intent: match[1]!, status: match[2]!};
}

/**
 * netctl destroy took netctl's objects off the node, and nothing has built them since: not drift for
 * the reconcile loop to repair. (A node started since has no transaction: its objects are simply gone.)
 */
export function destroyedByNetctl(last: LastTransaction | undefined): boolean {
  return last?.intent === 'destroy' && last.status === 'applied';
}
