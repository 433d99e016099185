/**
 * OpenSSH through execa. Only the ssh settings a spec sets become `-o` options (plus BatchMode=yes,
 * Compression and netctl's own bounds), so the user's ~/.ssh/config (or configFile) supplies everything else.
 * One connection per node carries every round trip (see lock.ts): no ssh client is started per script.
 *
 * Every wait is bounded by netctl itself, whatever the user's SSH options: reaching the node (TCP,
 * banner, handshake, the session's ready marker) by the connect timeout; a held session that stops
 * answering by keepalives on the shared connection; each round trip by its own limit.
 */
import {execa} from 'execa';
import {homedir} from 'node:os';
import {shellQuote} from '../shell/quote.js';
import type {SshSettings} from '../spec/types.js';
import {holder, lastLine, sessionCommand, type Holder} from './lock.js';
import {probeBanner} from './probe.js';
import {sshFailureFix} from './ssh-failure.js';
import {tcpPeerOfProcess} from './socket-peer.js';
import {DEFAULT_ROUND_TRIP_SECONDS, LockedError, UnreachableError, type RunOptions, type ScriptResult, type Transport} from './transport.js';

/**
 * `keepStdout: false` for the held session, whose output the holder reads as it comes: execa would
 * otherwise keep every byte of it (each read of a node), and end the client once that passed its
 * maxBuffer (100,000,000 characters).
 */
const spawnSsh = (args: string[], keepStdout: boolean) =>
  execa('ssh', args, {stdin: 'pipe', reject: false, stripFinalNewline: false, detached: true, buffer: {stdout: keepStdout, stderr: true}});
type SshChild = ReturnType<typeof spawnSsh>;

/** Why the ssh client could not run at all, when it could not. */
const NO_SSH_CLIENT = 'the ssh command is not installed on this machine (Debian/Ubuntu package openssh-client)';

/** OpenSSH exits 255 when it fails itself (connection, authentication), not the remote command. */
const SSH_FAILED = 255;
/** Keepalives unanswered before the shared connection counts as lost. */
const KEEPALIVE_COUNT = 3;

/** Where a new connection to the node goes: an address and port, or through a proxy (ProxyJump, ProxyCommand). */
type Target = {readonly proxied: false; readonly host: string; readonly port: number} | {readonly proxied: true};

export function expandHome(path: string): string {
  return path.startsWith('~/') ? `${homedir()}/${path.slice(2)}` : path;
}

/** Arguments before the destination: options from the spec, in a fixed order. */
export function sshOptions(settings: SshSettings): string[] {
  const args: string[] = [];
  if (settings.configFile !== undefined) args.push('-F', expandHome(settings.configFile));
  const option = (name: string, value: string | number | undefined) => {
    if (value !== undefined) args.push('-o', `${name}=${value}`);
  };
  option('BatchMode', 'yes');
  option('User', settings.user);
  option('Port', settings.port);
  option('IdentityFile', settings.identityFile);
  option('StrictHostKeyChecking', settings.strictHostKeyChecking);
  option('UserKnownHostsFile', settings.knownHostsFile);
  option('ProxyJump', settings.proxyJump);
  option('ConnectTimeout', settings.connectTimeout);
  // On unless the spec turns it off: a large ruleset read back is megabytes of text, which over an
  // uncompressed channel arrives in thousands of small packets (docs/performance.md).
  option('Compression', settings.compression === false ? 'no' : 'yes');
  return args;
}

/** Options of sshOptions that are netctl's way of running ssh, not how to reach the node. */
const RUN_ONLY = /^(BatchMode|Compression|ConnectTimeout)=/;

/**
 * The ssh command line an operator types to reach the node as netctl does, and answer what netctl
 * never asks (a host key to record): the spec's settings without netctl's BatchMode and bounds.
 */
export function loginCommand(settings: SshSettings, destination: string): string {
  const options = sshOptions(settings);
  const kept = options.flatMap((word, i) => (i % 2 === 1 || (word === '-o' && RUN_ONLY.test(options[i + 1]!)) ? [] : [word, options[i + 1]!]));
  return ['ssh', ...kept, destination].map(shellQuote).join(' ');
}

/** Seconds between keepalives, so that a silent connection is declared lost after about the connect timeout. */
export function keepaliveInterval(connectTimeoutSeconds: number): number {
  return Math.max(1, Math.ceil(connectTimeoutSeconds / KEEPALIVE_COUNT));
}

/**
 * One SSH connection per node, carrying every script netctl runs there: an ssh client that netctl
 * starts as its own child, running the held session (sessionCommand) until netctl closes its stdin; if
 * netctl dies, the closed pipe ends it too. Every ssh client runs in its own process group (Ctrl-C in
 * the terminal reaches netctl, which decides) and is tracked, so abort() can end them all at once.
 */
export class SshTransport implements Transport {
  readonly description: string;
  private readonly options: string[];
  private readonly connectTimeout: number;
  /** How the operator reaches the node by hand (loginCommand), for the fixes of failures. */
  private readonly login: string;
  private readonly children = new Set<SshChild>();
  private master: Holder | undefined;
  private masterChild: SshChild | undefined;
  /** Set when a round trip outlasted its limit (and so the connection was ended): why. */
  private expired: string | undefined;
  /** Why the held session ended, once it has: later round trips fail with it instead of reconnecting. */
  private lost: UnreachableError | undefined;
  private locked = false;
  private cachedTarget: Promise<Target> | undefined;
  /** The end of the held session, once close() has ended its stdin. */
  private ending: Promise<unknown> | undefined;

  constructor(
    private readonly node: string,
    private readonly destination: string,
    settings: SshSettings,
    connectTimeoutSeconds: number,
  ) {
    this.connectTimeout = settings.connectTimeout ?? connectTimeoutSeconds;
    this.options = [...sshOptions(settings), ...(settings.connectTimeout === undefined ? ['-o', `ConnectTimeout=${this.connectTimeout}`] : [])];
    const user = settings.user === undefined ? '' : `${settings.user}@`;
    const port = settings.port === undefined ? '' : `:${settings.port}`;
    this.description = `${user}${destination}${port}`;
    this.login = loginCommand(settings, destination);
  }

  /**
   * Runs the script in the held session. A round trip that outlasts its limit ends the connection: the
   * session's shell is busy with it, so nothing else could reach the node through it.
   */
  run(script: string, options: RunOptions = {}): Promise<ScriptResult> {
    return this.roundTrip(options, (master) => master.runScript(script, options.onOutput));
  }

  async lock(seconds: number): Promise<void> {
    const ready = this.connect();
    const [, answer] = await Promise.all([ready, this.master!.request(`lock ${seconds}`)]);
    if (answer !== 'taken') throw LockedError.of(this.node, answer, seconds);
    this.taken();
  }

  async lockAndRun(script: string, options: RunOptions = {}): Promise<ScriptResult> {
    const answer = await this.roundTrip(options, (master) => master.lockAndRunScript(script, options.onOutput, () => this.taken()));
    if (typeof answer === 'string') throw LockedError.of(this.node, answer, 0);
    return answer;
  }

  private taken(): void {
    this.locked = true;
    // A run that locks will change the node and then prove a new connection reaches it: where that
    // connection goes is found now, while the node is read, not once the change is in.
    this.effectiveTarget().catch(() => undefined);
  }

  /**
   * Sends a request through the held session (connecting first if needed) and waits for its answer
   * within the round trip's limit.
   */
  private async roundTrip<T>(options: RunOptions, send: (master: Holder) => Promise<T>): Promise<T> {
    const ready = this.connect();
    if (this.lost !== undefined) throw this.lost;
    const limit = options.limitSeconds ?? DEFAULT_ROUND_TRIP_SECONDS;
    const timer = setTimeout(() => {
      this.expired = `no answer within ${limit} s (the limit of this round trip)`;
      if (this.masterChild !== undefined) killGroup(this.masterChild);
    }, limit * 1000);
    try {
      const answer = send(this.master!);
      if (options.last === true) void this.close();
      return (await Promise.all([ready, answer]))[1];
    } finally {
      clearTimeout(timer);
    }
  }

  async unlock(): Promise<void> {
    if (!this.locked || this.master === undefined || this.lost !== undefined) return;
    this.locked = false;
    await this.master.request('unlock');
  }

  async probeNewConnection(handshake: boolean): Promise<void> {
    const target = await this.effectiveTarget();
    if (handshake || target.proxied) {
      // A whole new SSH session, not the shared one: `sh -s` reads an empty stdin and ends.
      await this.bounded(this.connectTimeout, `no answer within ${this.connectTimeout} s (--connect-timeout)`, (child) => this.script(child, ''),
        ['-o', 'ControlPath=none', '--', this.destination, 'sh -s']);
      return;
    }
    try {
      await probeBanner(target.host, target.port, this.connectTimeout);
    } catch (error) {
      throw new UnreachableError(this.node, error instanceof Error ? error.message : String(error));
    }
  }

  async interactive(command: string, tty: boolean): Promise<number> {
    // ssh says itself why it could not connect (and exits 255).
    const result = await execa('ssh', [...this.options, '-o', 'ControlPath=none', tty ? '-t' : '-T', '--', this.destination, command], {stdio: 'inherit', reject: false});
    return result.exitCode ?? 1;
  }

  /**
   * Where ssh really connects to (its configuration may rename the host or the port): where the held
   * connection went, read from /proc; where /proc cannot tell, what `ssh -G` says.
   */
  private effectiveTarget(): Promise<Target> {
    this.cachedTarget ??= this.heldConnectionTarget().then((target) => target ?? this.configuredTarget());
    return this.cachedTarget;
  }

  private async heldConnectionTarget(): Promise<Target | undefined> {
    const pid = this.masterChild?.pid;
    if (pid === undefined) return undefined;
    const peer = await tcpPeerOfProcess(pid);
    if (peer === 'unknown') return undefined;
    // An ssh client without a TCP socket talks to its node through a proxy.
    return peer === undefined ? {proxied: true} : {proxied: false, ...peer};
  }

  private async configuredTarget(): Promise<Target> {
    const result = await execa('ssh', [...this.options, '-G', '--', this.destination], {reject: false});
    const settings = new Map(result.stdout.split('\n').map((line) => {
      const space = line.indexOf(' ');
      return [line.slice(0, space).toLowerCase(), line.slice(space + 1)] as const;
    }));
    if (['proxyjump', 'proxycommand'].some((key) => (settings.get(key) ?? 'none') !== 'none')) return {proxied: true};
    return {proxied: false, host: settings.get('hostname') ?? this.destination, port: Number(settings.get('port') ?? 22)};
  }

  /** Starts ssh in its own process group, tracked until it ends. */
  private spawn(args: string[], keepStdout = true): SshChild {
    const child = spawnSsh([...this.options, ...args], keepStdout);
    this.children.add(child);
    void child.finally(() => this.children.delete(child));
    return child;
  }

  /** Runs `use` on a new ssh client, killing it and failing with `message` after `seconds`. */
  private async bounded<T>(seconds: number, message: string, use: (child: SshChild) => Promise<T>, args: string[]): Promise<T> {
    const child = this.spawn(args);
    let expired = false;
    const timer = setTimeout(() => {
      expired = true;
      killGroup(child);
    }, seconds * 1000);
    try {
      const result = await use(child);
      if (expired) throw new UnreachableError(this.node, message);
      return result;
    } catch (error) {
      throw expired ? new UnreachableError(this.node, message) : error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Writes the script to the client's `sh -s` and collects what it printed. */
  private async script(child: SshChild, script: string, onOutput?: (chunk: string) => void): Promise<ScriptResult> {
    // ssh may be gone (no connection) before the script is written; its exit status says why.
    child.stdin.on('error', () => undefined);
    if (onOutput !== undefined) child.stdout.on('data', (chunk: Buffer) => onOutput(chunk.toString()));
    child.stdin.end(script);
    const result = await child;
    if (result.code === 'ENOENT') throw new UnreachableError(this.node, NO_SSH_CLIENT);
    const exitCode = result.exitCode ?? 1;
    if (exitCode === SSH_FAILED || result.signal !== undefined) {
      throw this.lost ?? this.failed(String(result.stderr), `ssh ended (${result.signal ?? `exit ${exitCode}`})`);
    }
    return {stdout: String(result.stdout), stderr: String(result.stderr), exitCode};
  }

  /**
   * Starts the held session if there is none. Requests need not wait for it to be ready: written at
   * once, they wait in the connection until its shell reads them, which saves each node's first round
   * trip the time the session's ready line takes to come back.
   */
  private connect(): Promise<void> {
    if (this.master !== undefined) return this.master.ready;
    const child = this.spawn([
      // Never through a multiplexing socket of the user's configuration: this connection is netctl's own.
      '-o', 'ControlPath=none',
      '-o', `ServerAliveInterval=${keepaliveInterval(this.connectTimeout)}`,
      '-o', `ServerAliveCountMax=${KEEPALIVE_COUNT}`,
      '--', this.destination, sessionCommand(),
    ], false);
    this.masterChild = child;
    let connecting = true;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child);
    }, this.connectTimeout * 1000);
    this.master = holder(child, (exitCode, stderr, spawnError, said) => {
      if (this.expired !== undefined) {
        this.lost = new UnreachableError(this.node, this.expired);
        return this.lost;
      }
      // Logged in, but the user's login shell did not run netctl's (nologin, a forced command).
      const refused = said !== undefined && exitCode !== SSH_FAILED ? `logged in, but the SSH user's login shell did not run netctl's commands (exit ${exitCode ?? '?'}): ${said}` : undefined;
      const why = spawnError === 'ENOENT' ? NO_SSH_CLIENT : timedOut ? `no answer within ${this.connectTimeout} s (--connect-timeout)` : refused;
      if (why !== undefined) this.lost = new UnreachableError(this.node, connecting ? why : `the connection was lost: ${why}`);
      else if (connecting) this.lost = this.failed(stderr, `ssh exited ${exitCode ?? '?'}`);
      else this.lost = new UnreachableError(this.node, `the connection was lost: ${lastLine(stderr) || `ssh exited ${exitCode ?? '?'}`}`);
      return this.lost;
    });
    void this.master.ready.then(() => {
      connecting = false;
    }, () => undefined).finally(() => clearTimeout(timer));
    return this.master.ready;
  }

  /** The node could not be reached: ssh's last words, and what to do about them when they tell. */
  private failed(stderr: string, otherwise: string): UnreachableError {
    const said = lastLine(stderr);
    if (said === '') return new UnreachableError(this.node, otherwise);
    return new UnreachableError(this.node, said.replace(/\.$/, ''), sshFailureFix(stderr, this.login));
  }

  async close(): Promise<void> {
    const master = this.master;
    if (master !== undefined) {
      this.master = undefined;
      master.stdin.end();
      this.ending = master.ended;
    }
    // A second close waits for the end the first one started.
    await this.ending;
  }

  abort(): void {
    for (const child of this.children) killGroup(child);
  }
}

/** Ends an ssh client started in its own process group, and anything it started. */
function killGroup(child: {readonly pid?: number | undefined}): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}
