import {execa} from 'execa';
import type {Writable} from 'node:stream';
import {LOCKED_EXIT, READY, sessionCommand, type LockRequest} from './lock.js';
import {LockedError, type ScriptResult, type Transport} from './transport.js';

/** Runs scripts on the machine netctl runs on (`transport: local`); a holder process keeps the lock. */
export class LocalTransport implements Transport {
  readonly description = 'local';
  private holder: {readonly stdin: Writable; readonly ended: Promise<unknown>; readonly ready: Promise<void>} | undefined;

  constructor(private readonly node: string, private readonly lock?: LockRequest) {}

  async run(script: string): Promise<ScriptResult> {
    if (this.lock !== undefined) await this.hold(this.lock);
    const result = await execa('sh', ['-s'], {input: script, reject: false, stripFinalNewline: false});
    return {stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode ?? 1};
  }

  runFresh(script: string): Promise<ScriptResult> {
    return this.run(script);
  }

  private hold(lock: LockRequest): Promise<void> {
    if (this.holder === undefined) {
      const process = execa('sh', ['-c', sessionCommand(lock)], {stdin: 'pipe', reject: false});
      const ready = new Promise<void>((resolve, reject) => {
        process.stdout.on('data', (chunk: Buffer) => {
          if (chunk.toString().includes(READY)) resolve();
        });
        void process.then((result) => {
          if (result.exitCode === LOCKED_EXIT) reject(new LockedError(this.node, result.stderr.trim(), lock.timeoutSeconds));
          else reject(new Error(`could not hold the lock of node ${this.node}: ${result.stderr.trim()}`));
        });
      });
      this.holder = {stdin: process.stdin, ended: process, ready};
    }
    return this.holder.ready;
  }

  async close(): Promise<void> {
    const holder = this.holder;
    if (holder === undefined) return;
    this.holder = undefined;
    holder.stdin.end();
    await holder.ended;
  }
}
