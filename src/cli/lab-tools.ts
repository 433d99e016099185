/**
 * The host tools the local lab, the demo and the end-to-end tests need on this machine, checked
 * before a lab is built. As root with apt-get, missing ones are installed (saying which); otherwise
 * the lab stops with the exact install command. Only the local lab does this: netctl never installs
 * anything on a user's hosts.
 */
import {execa} from 'execa';
import {accessSync, constants} from 'node:fs';
import {delimiter, join} from 'node:path';
import {installCommand, packagesFor, type HostTool} from '../host/packages.js';

/** Everything `lab/netctl-lab.sh`, `netctl verify` on lab nodes and the end-to-end tests run. */
export const LAB_TOOLS: readonly HostTool[] = [
  'sshd', 'ssh', 'ssh-keygen', 'ip', 'bridge', 'ss', 'iptables', 'iptables-save', 'iptables-restore',
  'ping', 'socat', 'conntrack', 'dnsmasq', 'dig', 'nsenter', 'unshare', 'flock', 'setsid', 'timeout', 'bash',
];

/** Administrator directories a root shell may lack in PATH (`su` without `-` on Debian). */
export const SBIN_DIRECTORIES = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

/** The lab's PATH: the caller's, with the administrator directories added. */
export function labPath(path: string): string {
  const dirs = path.split(delimiter).filter((d) => d !== '');
  return [...dirs, ...SBIN_DIRECTORIES.filter((d) => !dirs.includes(d))].join(delimiter);
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The tools not found as executables in any directory of `path`. */
export function missingTools<T extends string>(tools: readonly T[], path: string, isExecutable: (file: string) => boolean = executable): T[] {
  const dirs = path.split(delimiter).filter((d) => d !== '');
  return tools.filter((tool) => !dirs.some((dir) => isExecutable(join(dir, tool))));
}

export type ToolsVerdict =
  | {readonly action: 'none'}
  | {readonly action: 'install'; readonly packages: readonly string[]; readonly message: string}
  | {readonly action: 'stop'; readonly message: string};

/** What to do about missing tools: nothing, install them (root with apt-get), or stop with the command. */
export function toolsVerdict(missing: readonly HostTool[], canInstall: {root: boolean; aptGet: boolean; allowed: boolean}): ToolsVerdict {
  if (missing.length === 0) return {action: 'none'};
  const packages = packagesFor(missing);
  const needs = `netctl lab needs ${missing.join(', ')} on this machine`;
  if (canInstall.root && canInstall.aptGet && canInstall.allowed) {
    return {action: 'install', packages, message: `${needs}: installing ${packages.join(' ')} with apt-get`};
  }
  const why = !canInstall.allowed ? '' : !canInstall.root ? ' (not root, so not installed for you)' : ' (no apt-get here)';
  return {action: 'stop', message: `${needs}${why}; install with: ${installCommand(missing)}`};
}

export class LabToolsError extends Error {}

/**
 * Makes sure every lab tool is present, installing missing ones when allowed; `say` reports what
 * is being installed. Throws LabToolsError with the one-line reason when tools stay missing.
 */
export async function ensureLabTools(say: (line: string) => void, options: {install: boolean; path?: string}): Promise<void> {
  const path = labPath(options.path ?? process.env.PATH ?? '');
  const missing = missingTools(LAB_TOOLS, path);
  const verdict = toolsVerdict(missing, {
    root: process.getuid?.() === 0,
    aptGet: missingTools(['apt-get'], path).length === 0,
    allowed: options.install,
  });
  switch (verdict.action) {
    case 'none':
      return;
    case 'stop':
      throw new LabToolsError(verdict.message);
    case 'install': {
      say(verdict.message);
      await aptInstall(verdict.packages, path);
      const still = missingTools(LAB_TOOLS, path);
      if (still.length > 0) throw new LabToolsError(`netctl lab needs ${still.join(', ')} on this machine, still missing after installing ${verdict.packages.join(' ')}; install with: ${installCommand(still)}`);
    }
  }
}

/** apt-get install, refreshing the package lists first only when they are missing or stale. */
async function aptInstall(packages: readonly string[], path: string): Promise<void> {
  const env = {PATH: path, DEBIAN_FRONTEND: 'noninteractive'};
  const install = () => execa('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], {env, reject: false, all: true});
  let result = await install();
  if (result.exitCode !== 0) {
    const update = await execa('apt-get', ['update', '-qq'], {env, reject: false, all: true});
    if (update.exitCode !== 0) throw new LabToolsError(`apt-get update failed: ${lastLine(update.all)}; install by hand: apt-get install -y ${packages.join(' ')}`);
    result = await install();
  }
  if (result.exitCode !== 0) throw new LabToolsError(`apt-get install ${packages.join(' ')} failed: ${lastLine(result.all)}`);
}

function lastLine(text: string | undefined): string {
  return (text ?? '').trim().split('\n').pop()?.trim() ?? '';
}
