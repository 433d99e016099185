/**
 * OpenSSH through execa. Only the ssh settings a spec sets become `-o` options (plus BatchMode=yes),
 * so the user's ~/.ssh/config (or configFile) supplies everything else. Connections are shared per
 * node through a ControlMaster socket in a private directory, and closed by close().
 */
import {execa} from 'execa';
import {homedir} from 'node:os';
import type {SshSettings} from '../spec/types.js';
import {LOCKED_EXIT, holder, sessionCommand, type Holder, type LockRequest} from './lock.js';
import {LockedError, UnreachableError, type ScriptResult, type Transport} from './transport.js';

/** OpenSSH exits 255 when it fails itself (connection, authentication), not the remote command. */
const SSH_FAILED = 255;

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
  return args;
}

/**
 * One SSH connection per node, shared by every script netctl runs there. The connection is a
 * ControlMaster that netctl starts as its own child: its session idles on `cat` until netctl closes
 * its stdin, so close() ends it deterministically, and if netctl dies the closed pipe ends it too.
 * For apply and destroy that session also holds the node's lock.
 */
export class SshTransport implements Transport {
  readonly description: string;
  private readonly options: string[];
  private readonly controlPath: string;
  private master: Holder | undefined;

  constructor(
    private readonly node: string,
    private readonly destination: string,
    settings: SshSettings,
    controlDir: string,
    private readonly lock?: LockRequest,
  ) {
    this.options = sshOptions(settings);
    this.controlPath = `${controlDir}/${node}`;
    const user = settings.user === undefined ? '' : `${settings.user}@`;
    const port = settings.port === undefined ? '' : `:${settings.port}`;
    this.description = `${user}${destination}${port}`;
  }

  async run(script: string, onOutput?: (chunk: string) => void): Promise<ScriptResult> {
    await this.connect();
    return (await this.script(`ControlPath=${this.controlPath}`, script, onOutput))!;
  }

  runFresh(script: PromiseLike<string | undefined>): Promise<ScriptResult | undefined> {
    // The handshake runs while the script is still being decided.
    return this.script('ControlPath=none', script);
  }

  /**
   * Runs a script through `sh -s` on the node, over the shared connection or (ControlPath=none) a new
   * one; with no script, `sh -s` reads an empty stdin and the connection ends unused.
   */
  private async script(controlPath: string, script: string | PromiseLike<string | undefined>, onOutput?: (chunk: string) => void): Promise<ScriptResult | undefined> {
    // `--` ends ssh's options; the destination is schema-checked and never starts with '-'.
    const child = execa('ssh', [...this.options, '-o', 'ControlMaster=no', '-o', controlPath, '--', this.destination, 'sh -s'], {
      stdin: 'pipe',
      reject: false,
      stripFinalNewline: false,
      // Its own process group: Ctrl-C in the terminal reaches netctl, which lets node work finish.
      detached: true,
    });
    // ssh may be gone (no connection) before the script is written; its exit status says why.
    child.stdin.on('error', () => undefined);
    if (onOutput !== undefined) child.stdout.on('data', (chunk: Buffer) => onOutput(chunk.toString()));
    const text = await script;
    child.stdin.end(text ?? '');
    const result = await child;
    const exitCode = result.exitCode ?? 1;
    if (exitCode === SSH_FAILED) throw new UnreachableError(this.node, lastLine(result.stderr) || `ssh exited ${exitCode}`);
    return text === undefined ? undefined : {stdout: result.stdout, stderr: result.stderr, exitCode};
  }

  private connect(): Promise<void> {
    this.master ??= holder(execa('ssh', [
      ...this.options,
      '-o', 'ControlMaster=yes',
      '-o', `ControlPath=${this.controlPath}`,
      '-o', 'ControlPersist=no',
      '--', this.destination, sessionCommand(this.lock),
    ], {stdin: 'pipe', reject: false, detached: true}), (exitCode, last) => exitCode === LOCKED_EXIT
      ? new LockedError(this.node, last, this.lock?.timeoutSeconds ?? 0)
      : new UnreachableError(this.node, last || `ssh exited ${exitCode ?? '?'}`));
    return this.master.ready;
  }

  async close(): Promise<void> {
    const master = this.master;
    if (master === undefined) return;
    this.master = undefined;
    master.stdin.end();
    await master.ended;
  }
}

function lastLine(text: string): string {
  return text.trim().split('\n').filter((l) => l.trim() !== '').pop()?.trim() ?? '';
}
