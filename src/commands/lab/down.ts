import {Command} from '@oclif/core/command';
import {labFlags, runLab} from '../../cli/lab.js';

export default class LabDown extends Command {
  static override summary = 'Remove the lab: its namespaces, sshds, keys and files, and nothing else.';
  static override examples = ['sudo <%= config.bin %> lab down'];
  static override flags = labFlags;

  async run(): Promise<void> {
    const {flags} = await this.parse(LabDown);
    await runLab(this, flags.name, ['down']);
    process.stdout.write('Lab down.\n');
  }
}
