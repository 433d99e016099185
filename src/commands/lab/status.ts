import {Command} from '@oclif/core/command';
import {labFlags, runLab} from '../../cli/lab.js';

export default class LabStatus extends Command {
  static override summary = 'List the lab\'s nodes and whether their sshd runs.';
  static override examples = ['sudo <%= config.bin %> lab status'];
  static override flags = labFlags;

  async run(): Promise<void> {
    const {flags} = await this.parse(LabStatus);
    process.stdout.write(`${await runLab(this, flags.name, ['status'])}\n`);
  }
}
