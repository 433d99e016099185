import {Command} from '@oclif/core/command';
import {schemaText} from '../spec/schema.js';

export default class Schema extends Command {
  static override summary = 'Print the JSON Schema of netctl specs (for editors and other tools).';
  static override examples = ['<%= config.bin %> schema > netctl.schema.json'];

  async run(): Promise<void> {
    await this.parse(Schema);
    process.stdout.write(schemaText());
  }
}
