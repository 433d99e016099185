/**
 * The session netctl holds open on each node for its whole run, and the node lock it takes through it.
 * The session's shell answers one request per line on its stdin: `lock SECONDS` takes `flock` on
 * /run/netctl/lock (waiting up to SECONDS), `unlock` releases it, `run BYTES` runs the script of that
 * many bytes that follows (small, frequent scripts: the reconcile loop's probes, without starting an
 * ssh client each time). The lock lives as long as that shell, so it is released when netctl ends or
 * dies, however it ends.
 */
import {hostname} from 'node:os';
import type {Readable, Writable} from 'node:stream';
import {shellQuote} from '../shell/quote.js';

export const LOCK_DIR = '/run/netctl';
export const READY = 'netctl-session-ready';
const ANSWER = '@@lock';
const RUN_BEGIN = '@@run begin';
const RUN_END = '@@run end';
const RUN_END_LINE = new RegExp(` ?${RUN_END} (\\d+)$`);

/** The shell command of the held session: prints READY, then serves lock requests until stdin closes. */
export function sessionCommand(): string {
  const owner = `netctl on ${hostname()} (pid ${process.pid}) since ${new Date().toISOString()}`;
  return [
    `owner=${shellQuote(owner)}`,
    `echo ${READY}`,
    'while read -r request seconds; do case "$request" in',
    `lock) mkdir -p ${LOCK_DIR}; exec 9>>${LOCK_DIR}/lock; if flock -w "$seconds" 9; then printf '%s\\n' "$owner" >${LOCK_DIR}/lock.owner; echo '${ANSWER} taken'; else echo "${ANSWER} held by $(cat ${LOCK_DIR}/lock.owner 2>/dev/null || echo 'an unknown process')"; fi;;`,
    `unlock) flock -u 9; echo '${ANSWER} released';;`,
    // head -c reads exactly the script's bytes from the shared stdin, never the next request.
    `run) echo '${RUN_BEGIN}'; head -c "$seconds" | sh 2>&1 9>&-; echo " ${RUN_END} $?";;`,
    'esac; done',
  ].join('\n');
}

/** A process running sessionCommand. */
export interface Holder {
  readonly stdin: Writable;
  readonly ended: Promise<unknown>;
  /** Resolves once the session printed READY; rejects when it ended before. */
  readonly ready: Promise<void>;
  /** Sends one request line and resolves with the answer (after `@@lock `), in order. */
  request(line: string): Promise<string>;
  /** Runs a script in the held session; resolves with its output (stdout and stderr) and exit status. */
  runScript(script: string): Promise<{output: string; exitCode: number}>;
}

/**
 * Watches a process running sessionCommand. `failure` turns its exit (and its last line of stderr)
 * into the error that `ready`, and any request still waiting, reject with.
 */
export function holder(
  process: {readonly stdin: Writable; readonly stdout: Readable} & PromiseLike<{readonly exitCode?: number | undefined; readonly stderr: unknown}>,
  failure: (exitCode: number | undefined, lastLine: string) => Error,
): Holder {
  // Requests are answered in order, so one queue serves both kinds of answer.
  const waiting: {resolve: (answer: string) => void; reject: (error: Error) => void}[] = [];
  let ended: Error | undefined;
  let buffer = '';
  let running: string[] | undefined;
  const ready = new Promise<void>((resolve, reject) => {
    process.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        if (running !== undefined) {
          // The end mark follows the script's last output, on the same line when that had no newline.
          const end = RUN_END_LINE.exec(line);
          if (end === null) {
            running.push(line);
            continue;
          }
          if (end.index > 0) running.push(line.slice(0, end.index));
          waiting.shift()?.resolve(`${end[1]}\n${running.join('\n')}`);
          running = undefined;
        } else if (line === READY) resolve();
        else if (line === RUN_BEGIN) running = [];
        else if (line.startsWith(`${ANSWER} `)) waiting.shift()?.resolve(line.slice(ANSWER.length + 1));
      }
    });
    process.then((result) => {
      const last = String(result.stderr).trim().split('\n').filter((l) => l.trim() !== '').pop()?.trim() ?? '';
      ended = failure(result.exitCode, last);
      reject(ended);
      for (const request of waiting.splice(0)) request.reject(ended);
    });
  });
  ready.catch(() => undefined);
  const send = (text: string) => new Promise<string>((resolve, reject) => {
    if (ended !== undefined) return reject(ended);
    waiting.push({resolve, reject});
    process.stdin.write(text);
  });
  return {
    stdin: process.stdin,
    ended: Promise.resolve(process),
    ready,
    request: (line) => send(`${line}\n`),
    runScript: async (script) => {
      const answer = await send(`run ${Buffer.byteLength(script)}\n${script}`);
      const newline = answer.indexOf('\n');
      return {exitCode: Number(answer.slice(0, newline)), output: answer.slice(newline + 1)};
    },
  };
}
