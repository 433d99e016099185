import {execa} from 'execa';
import {holder, lastLine, sessionCommand, type Holder} from './lock.js';
import {DEFAULT_ROUND_TRIP_SECONDS, LockedError, UnreachableError, type RunOptions, type ScriptResult, type Transport} from './transport.js';

/** Runs scripts on the machine netctl runs on (`transport: local`); a held session process keeps the lock. */
export class LocalTransport implements Transport {
  readonly description = 'local';
  private holder: Holder | undefined;
  /** The end of the held session, once close() has ended its stdin. */
  private ending: Promise<unknown> | undefined;
  private readonly children = new Set<{kill: (signal: 'SIGKILL') => unknown}>();

  constructor(private readonly node: string) {}

  async run(script: string, options: RunOptions = {}): Promise<ScriptResult> {
    const limit = options.limitSeconds ?? DEFAULT_ROUND_TRIP_SECONDS;
    const child = this.track(execa('sh', ['-s'], {input: script, reject: false, stripFinalNewline: false, timeout: limit * 1000, killSignal: 'SIGKILL'}));
    if (options.onOutput !== undefined) child.stdout.on('data', (chunk: Buffer) => options.onOutput!(chunk.toString()));
    const result = await child;
    if (result.timedOut) throw new UnreachableError(this.node, `the script did not end within ${limit} s (the limit of this round trip)`);
    return {stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode ?? 1};
  }

  private async held(): Promise<Holder> {
    this.holder ??= holder(this.track(execa('sh', ['-c', sessionCommand()], {stdin: 'pipe', reject: false})),
      (_exitCode, stderr) => new Error(`the held session of node ${this.node} ended: ${lastLine(stderr)}`));
    await this.holder.ready;
    return this.holder;
  }

  async lock(seconds: number): Promise<void> {
    const answer = await (await this.held()).request(`lock ${seconds}`);
    if (answer !== 'taken') throw LockedError.of(this.node, answer, seconds);
  }

  /** The lock is held by a session of its own here, so the script follows it (no round trip to save). */
  async lockAndRun(script: string, options?: RunOptions): Promise<ScriptResult> {
    await this.lock(0);
    return this.run(script, options);
  }

  async unlock(): Promise<void> {
    await this.holder?.request('unlock');
  }

  async interactive(command: string): Promise<number> {
    return (await execa('sh', ['-c', command], {stdio: 'inherit', reject: false})).exitCode ?? 1;
  }

  /** Nothing to prove: netctl runs on this node. */
  async probeNewConnection(): Promise<void> {}

  private track<T extends {kill: (signal: 'SIGKILL') => unknown} & Promise<unknown>>(child: T): T {
    this.children.add(child);
    void child.finally(() => this.children.delete(child));
    return child;
  }

  async close(): Promise<void> {
    const holder = this.holder;
    if (holder !== undefined) {
      this.holder = undefined;
      holder.stdin.end();
      this.ending = holder.ended;
    }
    // A second close waits for the end the first one started.
    await this.ending;
  }

  abort(): void {
    for (const child of this.children) child.kill('SIGKILL');
  }
}
