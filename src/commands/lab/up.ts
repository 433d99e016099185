import {Command} from '@oclif/core/command';
import * as Flags from '@oclif/core/flags';
import {ensureLabToolsOrExit, labDirectory, labFlags, labSnippet, requireLabHost, runLab} from '../../cli/lab.js';

export default class LabUp extends Command {
  static override summary = 'Create a lab of N nodes on this machine: network namespaces, each with its own sshd.';
  static override description = 'Linux and root only. First checks the host tools the lab, the demo and verify need (see `netctl lab tools`) and installs missing ones with apt-get, saying which (--no-install: stop with the command instead). Nodes get 203.0.113.1..N (TEST-NET-3, refused if this machine routes it), a fresh key pair and an OpenSSH config file; prints the spec lines that reach them. `netctl lab down` removes it all.';
  static override examples = ['sudo <%= config.bin %> lab up --nodes 3'];
  static override flags = {
    ...labFlags,
    nodes: Flags.integer({description: 'number of nodes', default: 3, min: 1, max: 200}),
    install: Flags.boolean({description: 'install missing host tools with apt-get', default: true, allowNo: true}),
  };

  async run(): Promise<void> {
    const {flags} = await this.parse(LabUp);
    requireLabHost(this);
    await ensureLabToolsOrExit(this, flags.install);
    await runLab(this, flags.name, ['up', String(flags.nodes)]);
    process.stdout.write(`Lab up: ${flags.nodes} node${flags.nodes === 1 ? '' : 's'}. Put these lines in a spec to use them:\n\n${labSnippet(labDirectory(flags.name), flags.nodes)}`);
  }
}
