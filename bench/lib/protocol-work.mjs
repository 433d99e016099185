// The nodes' part of netctl's safety protocol with its round trips, and nothing of netctl: for each node
// of DIR/nodes (`address option...`, from node-work.mjs --rounds), one plain ssh client running `sh -s`,
// which runs each round's script (DIR/N.R.sh) as it arrives, as netctl's held session does, and:
//   1. the lock and the read, on every node, and a wait for the last of them (no node changes before
//      every lock is held: netctl's all-or-nothing start);
//   2. the transaction and the re-read, with a new TCP connection to the node's sshd, started when the
//      node says the changes are in, that must get the SSH banner (netctl's proof, docs/safety.md);
//   3. once both are back, the confirmation, and the end of the session.
// Prints the ms from the first client's start to the end of the last session: with netctl's start-up
// to its first ssh, a lower bound for any apply or destroy that keeps the protocol, round trips
// included, with no planning, printing or framing of netctl's own.
import {spawn} from 'node:child_process';
import {readFileSync} from 'node:fs';
import {connect} from 'node:net';
import {join} from 'node:path';
import {performance} from 'node:perf_hooks';

const [dir] = process.argv.slice(2);
const TX_APPLIED = '@@netctl-tx applied';
const nodes = readFileSync(join(dir, 'nodes'), 'utf8').trim().split('\n').map((line, i) => {
  const [address, ...options] = line.split(' ');
  return {address, options, round: (r) => readFileSync(join(dir, `${i + 1}.${r}.sh`), 'utf8')};
});

/** A node's held `sh -s`: `send(script)` resolves with what the script printed, once it is done. */
function session({address, options}) {
  const client = spawn('ssh', [...options, address, 'sh -s'], {stdio: ['pipe', 'pipe', 'inherit']});
  client.stdout.setEncoding('utf8');
  let output = '';
  let waiting;
  client.stdout.on('data', (chunk) => {
    output += chunk;
    waiting?.onOutput(output);
  });
  const ended = new Promise((resolve, reject) => client.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${address}: ssh exited ${code}`)))));
  let sent = 0;
  return {
    ended,
    send(script, onOutput = () => {}) {
      const done = `@@round-${++sent}-done`;
      client.stdin.write(`${script}\necho ${done}\n`);
      return new Promise((resolve) => {
        waiting = {onOutput: (text) => {
          onOutput(text);
          if (text.includes(done)) resolve(text);
        }};
      });
    },
    end: () => client.stdin.end(),
  };
}

/** Resolves once a new TCP connection to the node's sshd has the banner's first bytes. */
function banner(address) {
  return new Promise((resolve, reject) => {
    const socket = connect(22, address);
    socket.once('data', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', reject);
  });
}

const start = performance.now();
const sessions = nodes.map(session);
await Promise.all(sessions.map((s, i) => s.send(nodes[i].round(1))));
await Promise.all(sessions.map(async (s, i) => {
  let proof;
  await s.send(nodes[i].round(2), (text) => {
    if (proof === undefined && text.includes(TX_APPLIED)) proof = banner(nodes[i].address);
  });
  await proof;
  await s.send(nodes[i].round(3));
  s.end();
  await s.ended;
}));
process.stdout.write(`${Math.round(performance.now() - start)}\n`);
