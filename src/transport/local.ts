import {execa} from 'execa';
import {LOCKED_EXIT, holder, sessionCommand, type Holder, type LockRequest} from './lock.js';
import {LockedError, type ScriptResult, type Transport} from './transport.js';

/** Runs scripts on the machine netctl runs on (`transport: local`); a holder process keeps the lock. */
export class LocalTransport implements Transport {
  readonly description = 'local';
  private holder: Holder | undefined;

  constructor(private readonly node: string, private readonly lock?: LockRequest) {}

  async run(script: string, onOutput?: (chunk: string) => void): Promise<ScriptResult> {
    if (this.lock !== undefined) await this.hold(this.lock);
    const child = execa('sh', ['-s'], {input: script, reject: false, stripFinalNewline: false});
    if (onOutput !== undefined) child.stdout.on('data', (chunk: Buffer) => onOutput(chunk.toString()));
    const result = await child;
    return {stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode ?? 1};
  }

  async runFresh(script: PromiseLike<string | undefined>): Promise<ScriptResult | undefined> {
    const text = await script;
    return text === undefined ? undefined : this.run(text);
  }

  private hold(lock: LockRequest): Promise<void> {
    this.holder ??= holder(execa('sh', ['-c', sessionCommand(lock)], {stdin: 'pipe', reject: false}), (exitCode, last) => exitCode === LOCKED_EXIT
      ? new LockedError(this.node, last, lock.timeoutSeconds)
      : new Error(`could not hold the lock of node ${this.node}: ${last}`));
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
