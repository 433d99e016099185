/**
 * OpenSSH through execa. Only the ssh settings a spec sets become `-o` options (plus BatchMode=yes),
 * so the user's ~/.ssh/config (or configFile) supplies everything else. Connections are shared per
 * node through a ControlMaster socket in a private directory, and closed by close().
 */
import {execa} from 'execa';
import {homedir} from 'node:os';
import type {SshSettings} from '../spec/types.js';
import {UnreachableError, type ScriptResult, type Transport} from './transport.js';

/** OpenSSH exits 255 when it fails itself (connection, authentication), not the remote command. */
const SSH_FAILED = 255;
/** How long a shared connection outlives its last use, should netctl die before closing it. */
const CONTROL_PERSIST_SECONDS = 30;

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

export class SshTransport implements Transport {
  readonly description: string;
  private readonly args: string[];
  private opened = false;

  constructor(
    private readonly node: string,
    private readonly destination: string,
    settings: SshSettings,
    controlDir: string,
  ) {
    this.args = [
      ...sshOptions(settings),
      '-o', 'ControlMaster=auto',
      '-o', `ControlPath=${controlDir}/%C`,
      '-o', `ControlPersist=${CONTROL_PERSIST_SECONDS}`,
    ];
    const user = settings.user === undefined ? '' : `${settings.user}@`;
    const port = settings.port === undefined ? '' : `:${settings.port}`;
    this.description = `${user}${destination}${port}`;
  }

  async run(script: string): Promise<ScriptResult> {
    this.opened = true;
    // `--` ends ssh's options; the destination is schema-checked and never starts with '-'.
    const result = await execa('ssh', [...this.args, '--', this.destination, 'sh -s'], {
      input: script,
      reject: false,
      stripFinalNewline: false,
    });
    const exitCode = result.exitCode ?? 1;
    if (exitCode === SSH_FAILED) {
      throw new UnreachableError(this.node, lastLine(result.stderr) || `ssh exited ${exitCode}`);
    }
    return {stdout: result.stdout, stderr: result.stderr, exitCode};
  }

  async close(): Promise<void> {
    if (!this.opened) return;
    this.opened = false;
    await execa('ssh', [...this.args, '-O', 'exit', '--', this.destination], {reject: false});
  }
}

function lastLine(text: string): string {
  return text.trim().split('\n').filter((l) => l.trim() !== '').pop()?.trim() ?? '';
}
