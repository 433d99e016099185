import {Command} from '@oclif/core/command';
import * as Flags from '@oclif/core/flags';
import {LAB_TOOLS} from '../../cli/lab-tools.js';
import {ensureLabToolsOrExit} from '../../cli/lab.js';
import {packagesFor} from '../../host/packages.js';

export default class LabTools extends Command {
  static override summary = 'Check the host tools the lab needs on this machine, and install missing ones.';
  static override description = `The lab, the demo and verify on lab nodes need: ${LAB_TOOLS.join(', ')} (Debian/Ubuntu packages ${packagesFor(LAB_TOOLS).join(', ')}). As root with apt-get, missing ones are installed, saying which; otherwise (or with --no-install) it exits 1 with the install command. \`netctl lab up\` runs this check first. Only for this machine: netctl never installs anything on the hosts of a spec.`;
  static override examples = ['sudo <%= config.bin %> lab tools', '<%= config.bin %> lab tools --no-install'];
  static override flags = {
    install: Flags.boolean({description: 'install missing tools with apt-get', default: true, allowNo: true}),
  };

  async run(): Promise<void> {
    const {flags} = await this.parse(LabTools);
    await ensureLabToolsOrExit(this, flags.install);
    process.stdout.write(`Every lab tool is present: ${LAB_TOOLS.join(', ')}.\n`);
  }
}
