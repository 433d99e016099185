/** `netctl lab`: a namespace lab on this machine, through the shipped lab script. */
import {Flags, type Command} from '@oclif/core';
import {execa} from 'execa';
import {fileURLToPath} from 'node:url';

export const LAB_SCRIPT = fileURLToPath(new URL('../../lab/netctl-lab.sh', import.meta.url));

export const labFlags = {
  name: Flags.string({description: 'name of the lab (up to 7 lowercase letters or digits); one lab runs at a time', default: ''}),
};

export function labDirectory(name: string): string {
  return name === '' ? '/tmp/netctl-lab' : `/tmp/netctl-lab-${name}`;
}

/** Runs the lab script, or exits with a clear error when this machine cannot host a lab. */
export async function runLab(command: Command, name: string, args: string[]): Promise<string> {
  if (process.platform !== 'linux') command.error('netctl lab needs Linux: it builds nodes from network namespaces', {exit: 1});
  if (process.getuid?.() !== 0) command.error('netctl lab needs root: it creates network namespaces and runs an sshd per node (try sudo)', {exit: 1});
  if (!/^[a-z0-9]{0,7}$/.test(name)) command.error(`--name ${name}: use up to 7 lowercase letters or digits`, {exit: 2});
  for (const tool of ['ip', 'sshd', 'ssh-keygen', 'unshare', 'nsenter', 'flock', 'iptables']) {
    const found = await execa('sh', ['-c', `command -v ${tool} || [ -x /usr/sbin/${tool} ]`], {reject: false});
    if (found.exitCode !== 0) command.error(`netctl lab needs ${tool} on this machine (Debian: apt-get install openssh-server iproute2 iptables util-linux)`, {exit: 1});
  }
  const result = await execa(LAB_SCRIPT, args, {
    reject: false,
    env: {NETCTL_LAB_DIR: labDirectory(name), NETCTL_LAB_PREFIX: name === '' ? 'nlab' : `nl-${name}`},
  });
  if (result.exitCode !== 0) command.error(`the lab script failed: ${result.stderr.trim() || result.stdout.trim()}`, {exit: 1});
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
