/**
 * The session netctl holds open on each node for its whole run, and the node lock it takes through it.
 * The session's shell answers one request per line on its stdin: `lock SECONDS` takes `flock` on
 * /run/netctl/lock (waiting up to SECONDS), `unlock` releases it, `run BYTES` runs the script of that
 * many bytes that follows, and `lockrun BYTES` takes the lock without waiting and runs the script only
 * if it got it (apply's first round trip: the lock and the read under it). Every round trip of a run
 * travels this way, with no ssh client started per round trip: its stdout streams back as it comes,
 * its stderr (captured) and exit status follow on the end line. The lock lives as long as that shell,
 * so it is released when netctl ends or dies, however it ends.
 */
import {hostname} from 'node:os';
import type {Readable, Writable} from 'node:stream';
import {shellQuote} from '../shell/quote.js';
import type {ScriptResult} from './transport.js';

export const LOCK_DIR = '/run/netctl';
/** Makes LOCK_DIR when it is missing, starting no process when it is there (the usual case). */
export const MAKE_LOCK_DIR = `[ -d ${LOCK_DIR} ] || mkdir -p ${LOCK_DIR}`;
export const READY = 'netctl-session-ready';
const ANSWER = '@@lock';
const RUN_BEGIN = '@@run begin';
const RUN_END = '@@run end';
/** The end of a script's output: its exit status and its stderr, base64-encoded. */
const RUN_END_LINE = new RegExp(` ?${RUN_END} (\\d+) ?([A-Za-z0-9+/=]*)$`);

/**
 * The shell command of the held session: prints READY, then serves requests until stdin closes. The
 * lock lives in `lockDir` (tests give one of their own).
 */
export function sessionCommand(lockDir = LOCK_DIR): string {
  const owner = `netctl on ${hostname()} (pid ${process.pid}) since ${new Date().toISOString()}`;
  const dir = shellQuote(lockDir);
  return [
    `owner=${shellQuote(owner)}`,
    // A user who may not write the lock (not root) is told so, not sent to wait for a holder.
    `take_lock() { [ -d ${dir} ] || mkdir -p ${dir} 2>/dev/null; if [ ! -w ${dir}/lock ] && { [ -e ${dir}/lock ] || [ ! -w ${dir} ]; }; then echo "${ANSWER} denied $(id -u)"; return 1; fi; exec 9>>${dir}/lock; if flock -w "$1" 9; then printf '%s\\n' "$owner" >${dir}/lock.owner; echo '${ANSWER} taken'; else echo "${ANSWER} held by $(cat ${dir}/lock.owner 2>/dev/null || echo 'an unknown process')"; return 1; fi; }`,
    // head -c reads exactly the script's bytes from the shared stdin, never the next request. The
    // script's stdout goes straight out (fd 3); its stderr is captured, and the assignment's status is
    // the script's.
    // (base64 only when there is stderr to encode: each process is a cost on every round trip.)
    `run_script() { echo '${RUN_BEGIN}'; { err=$( { head -c "$1" | sh 9>&- 3>&-; } 2>&1 1>&3 ); } 3>&1; rc=$?; if [ -n "$err" ]; then echo " ${RUN_END} $rc $(printf %s "$err" | base64 -w0)"; else echo " ${RUN_END} $rc "; fi; }`,
    `echo ${READY}`,
    'while read -r request argument; do case "$request" in',
    'lock) take_lock "$argument";;',
    `unlock) flock -u 9; echo '${ANSWER} released';;`,
    'run) run_script "$argument";;',
    // Without the lock the script's bytes are read and dropped, so that the next request is read whole.
    'lockrun) if take_lock 0; then run_script "$argument"; else head -c "$argument" >/dev/null; fi;;',
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
  /** Runs a script in the held session; `onOutput` sees its stdout as it comes. */
  runScript(script: string, onOutput?: (chunk: string) => void): Promise<ScriptResult>;
  /**
   * Takes the lock without waiting and runs the script only if it was taken, in one round trip:
   * resolves with the script's result, or with the lock's answer (`held by ...`) when it was not
   * taken. `onTaken` is called as soon as the lock is.
   */
  lockAndRunScript(script: string, onOutput?: (chunk: string) => void, onTaken?: () => void): Promise<ScriptResult | string>;
}

interface Waiting {
  /** A lock request's answer (after `@@lock `), or a script's result. */
  resolve(answer: string | ScriptResult): void;
  reject(error: Error): void;
  readonly onOutput?: ((chunk: string) => void) | undefined;
  /** Set for a `lockrun` request: its lock was taken, and its script's result is still to come. */
  readonly onTaken?: (() => void) | undefined;
}

/**
 * Watches a process running sessionCommand. `failure` turns its exit (and its stderr) into the error
 * that `ready`, and any request still waiting, reject with.
 */
export function holder(
  process: {readonly stdin: Writable; readonly stdout: Readable} & PromiseLike<{readonly exitCode?: number | undefined; readonly stderr: unknown; readonly code?: string | undefined}>,
  /**
   * The error the session ended with; `spawnError`: the code of a process that could not start
   * (ENOENT); `said`: the last line the node printed before netctl's shell started, if any (what a
   * login shell such as nologin says instead of running it).
   */
  failure: (exitCode: number | undefined, stderr: string, spawnError?: string, said?: string) => Error,
): Holder {
  // Requests are answered in order, so one queue serves both kinds of answer.
  const waiting: Waiting[] = [];
  let ended: Error | undefined;
  let buffer = '';
  let running: string[] | undefined;
  let started = false;
  let said: string | undefined;
  const ready = new Promise<void>((resolve, reject) => {
    // Decoded as a stream: a character split between two chunks stays whole.
    process.stdout.setEncoding('utf8');
    process.stdout.on('data', (chunk: string) => {
      // Only the new chunk is searched for line ends: a line longer than a chunk (a file read back as
      // one base64 line) would otherwise be split again with every chunk that adds to it.
      const lastNewline = chunk.lastIndexOf('\n');
      if (lastNewline === -1) {
        buffer += chunk;
        return;
      }
      const lines = (buffer + chunk.slice(0, lastNewline)).split('\n');
      buffer = chunk.slice(lastNewline + 1);
      // What a running script printed in this chunk, passed on at once.
      let streamed: string[] = [];
      const stream = () => {
        if (streamed.length > 0) waiting[0]?.onOutput?.(`${streamed.join('\n')}\n`);
        streamed = [];
      };
      for (const line of lines) {
        if (running !== undefined) {
          // The end mark follows the script's last output, on the same line when that had no newline.
          const end = RUN_END_LINE.exec(line);
          if (end === null) {
            running.push(line);
            streamed.push(line);
            continue;
          }
          stream();
          if (end.index > 0) {
            running.push(line.slice(0, end.index));
            waiting[0]?.onOutput?.(line.slice(0, end.index));
          }
          const stdout = running.join('\n') + (end.index === 0 && running.length > 0 ? '\n' : '');
          waiting.shift()?.resolve({exitCode: Number(end[1]), stdout, stderr: Buffer.from(end[2] ?? '', 'base64').toString()});
          running = undefined;
        } else if (line === READY) {
          started = true;
          resolve();
        } else if (line === RUN_BEGIN) running = [];
        else if (!started && line.trim() !== '') said = line.trim();
        else if (line.startsWith(`${ANSWER} `)) {
          const answer = line.slice(ANSWER.length + 1);
          if (answer === 'taken' && waiting[0]?.onTaken !== undefined) waiting[0].onTaken();
          else waiting.shift()?.resolve(answer);
        }
      }
      if (running !== undefined) stream();
    });
    process.then((result) => {
      ended = failure(result.exitCode, String(result.stderr), result.code, started ? undefined : said);
      reject(ended);
      for (const request of waiting.splice(0)) request.reject(ended);
    });
  });
  ready.catch(() => undefined);
  const send = <T extends string | ScriptResult>(text: string, onOutput?: (chunk: string) => void, onTaken?: () => void) => new Promise<T>((resolve, reject) => {
    if (ended !== undefined) return reject(ended);
    waiting.push({resolve: (answer) => resolve(answer as T), reject, onOutput, onTaken});
    process.stdin.write(text);
  });
  return {
    stdin: process.stdin,
    ended: Promise.resolve(process),
    ready,
    request: (line) => send<string>(`${line}\n`),
    runScript: (script, onOutput) => send<ScriptResult>(`run ${Buffer.byteLength(script)}\n${script}`, onOutput),
    // A taken lock is followed by the script's result; onTaken also marks the request as a lockrun.
    lockAndRunScript: (script, onOutput, onTaken) => send<ScriptResult | string>(`lockrun ${Buffer.byteLength(script)}\n${script}`, onOutput, onTaken ?? (() => undefined)),
  };
}

/** The last line of a program's output that is not blank (what ssh says last is why it failed). */
export function lastLine(text: string): string {
  return text.trim().split('\n').filter((l) => l.trim() !== '').pop()?.trim() ?? '';
}
