// What netctl makes each node do, as one shell script per node, for a bench to time over plain ssh with
// no netctl process: the lower bound of a command on this machine apart from netctl's own start-up.
// `node-work.mjs SPEC INTENT DIR` writes DIR/1.sh, DIR/2.sh... (nodes in spec order) and prints, one
// line per node, its ssh destination and the ssh options netctl gives it (`address option...`), so the
// scripts travel as netctl's do (compression included).
//   plan:    the read of the node (the same observe script netctl sends).
//   apply:   the read, the changes from the node's current state, and the re-read that verifies them
//            (what netctl re-reads: the chains that changed, or all of iptables when that is cheaper).
//   destroy: the same with the changes that remove what netctl owns.
// For apply and destroy the node is read once now (untimed) to know what its changes are; with
// --no-reread the script stops after the changes (a bound that leaves verification out). With --safe,
// the script also does the node's part of netctl's safety protocol, as netctl renders it: the node
// lock, the check for a transaction left unconfirmed, the changes as a transaction (apply and rollback
// scripts written, a watchdog, the job in its own session), the re-read of what changed, and the
// confirmation; the bench adds the new connection that proves sshd still answers. With --rounds, the
// same safe work in netctl's three round trips, one file each (DIR/1.1.sh, 1.2.sh, 1.3.sh...), for
// bench/lib/protocol-work.mjs to send over one held session per node: the lock and the read; the
// transaction and the re-read; the confirmation.
import {execFileSync} from 'node:child_process';
import {readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {
  applyScript, checkSpecText, CONFIRM_LAST, CONFIRM_PENDING, formatAddress, LOCK_DIR, MAKE_LOCK_DIR, observeOptions, observeScript, parseObservation, planNode,
  sshOptions, transactionScript, verificationScope,
} from './core.mjs';

const [specFile, intent, dir, ...options] = process.argv.slice(2);
const reread = !options.includes('--no-reread');
const rounds = options.includes('--rounds');
const safe = rounds || options.includes('--safe');
if (!['plan', 'apply', 'destroy'].includes(intent)) throw new Error(`intent must be plan, apply or destroy, got ${intent}`);
const {cluster, diagnostics} = checkSpecText(readFileSync(specFile, 'utf8'));
if (cluster === undefined) throw new Error(diagnostics.map((d) => `${d.line}:${d.column} ${d.message}`).join('\n'));

const sshArgs = (node) => [...sshOptions(node.ssh), formatAddress(node.address), 'sh -s'];
cluster.nodes.forEach((node, i) => {
  const read = observeScript(observeOptions(cluster, node, intent === 'destroy' ? 'destroy' : 'apply'));
  let script = read;
  if (intent !== 'plan') {
    const observed = parseObservation(execFileSync('ssh', sshArgs(node), {input: read, encoding: 'utf8', maxBuffer: 1 << 30}));
    const plan = planNode(cluster, node, observed, intent);
    if (plan.errors.length > 0) throw new Error(`${node.name}: ${plan.errors.join('; ')}`);
    // What netctl re-reads to verify: the chains that changed, or all of iptables when that is cheaper.
    const verify = observeScript({...observeOptions(cluster, node, intent, verificationScope(plan.changes, plan.observedRules)), probes: []});
    if (rounds) {
      const lock = `{ ${MAKE_LOCK_DIR}; }; exec 9>>${LOCK_DIR}/lock; flock 9`;
      const parts = [`${lock}\n${CONFIRM_PENDING}${read}\n`, `${transactionScript(plan, intent, cluster.name, 30)}${verify}\n`, CONFIRM_LAST];
      parts.forEach((part, round) => writeFileSync(join(dir, `${i + 1}.${round + 1}.sh`), part));
    } else if (safe) {
      // The lock stays on fd 9 of this shell only, as in netctl's held session.
      const lock = `{ ${MAKE_LOCK_DIR}; }; exec 9>>${LOCK_DIR}/lock; flock 9`;
      script = `${lock}\n{\n${CONFIRM_PENDING}${read}\n${transactionScript(plan, intent, cluster.name, 30)}${verify}\n${CONFIRM_LAST}} 9>&-\n`;
    } else {
      script = `${read}\n${applyScript(plan.changes)}\n${reread ? verify : ''}`;
    }
  }
  if (!rounds) writeFileSync(join(dir, `${i + 1}.sh`), script);
  console.log([formatAddress(node.address), ...sshOptions(node.ssh)].join(' '));
});
