/** `netctl lab`: a namespace lab on this machine, through the shipped lab script. */
import * as Flags from '@oclif/core/flags';
import type {Command} from '@oclif/core/command';
import {execa} from 'execa';
import {packageFile} from '../package-files.js';
import {exitWithError} from './common.js';
import {LabToolsError, ensureLabTools, labPath} from './lab-tools.js';

const LAB_SCRIPT = packageFile('lab/netctl-lab.sh');

export const labFlags = {
  name: Flags.string({description: 'name of the lab (up to 7 lowercase letters or digits); one lab runs at a time', default: ''}),
};

export function labDirectory(name: string): string {
  return name === '' ? '/tmp/netctl-lab' : `/tmp/netctl-lab-${name}`;
}

/** Exits with a clear error unless this machine can host a lab: Linux, as root. */
export function requireLabHost(command: Command): void {
  if (process.platform !== 'linux') exitWithError(command, 'netctl lab needs Linux: it builds nodes from network namespaces', 1);
  if (process.getuid?.() !== 0) exitWithError(command, 'netctl lab needs root: it creates network namespaces and runs an sshd per node (try sudo)', 1);
}

/** Checks the lab's host tools, installing missing ones when `install` (apt-get, as root); exits 1 if any stay missing. */
export async function ensureLabToolsOrExit(command: Command, install: boolean): Promise<void> {
  try {
    await ensureLabTools((line) => process.stderr.write(`${line}\n`), {install});
  } catch (error) {
    if (error instanceof LabToolsError) exitWithError(command, error.message, 1);
    throw error;
  }
}

/** Runs the lab script, or exits with a clear error when this machine cannot host a lab. */
export async function runLab(command: Command, name: string, args: string[]): Promise<string> {
  requireLabHost(command);
  if (!/^[a-z0-9]{0,7}$/.test(name)) exitWithError(command, `--name ${name}: use up to 7 lowercase letters or digits`, 2);
  const result = await execa(LAB_SCRIPT, args, {
    reject: false,
    env: {NETCTL_LAB_DIR: labDirectory(name), NETCTL_LAB_PREFIX: name === '' ? 'nlab' : `nl-${name}`, PATH: labPath(process.env.PATH ?? '')},
  });
  if (result.exitCode !== 0) exitWithError(command, `the lab script failed: ${result.stderr.trim() || result.stdout.trim()}`, 1);
  return result.stdout;
}

/** The spec lines that reach the lab's nodes. */
export function labSnippet(directory: string, nodes: number): string {
  const lines = [
    'spec:',
    `  ssh: {configFile: ${directory}/ssh_config}`,
    '  nodes:',
    ...Array.from({length: nodes}, (_, i) => `    - {name: node${i + 1}, address: 203.0.113.${i + 1}/24}`),
  ];
  return `${lines.join('\n')}\n`;
}
