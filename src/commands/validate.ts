import * as Args from '@oclif/core/args';
import {Command} from '@oclif/core/command';
import * as Flags from '@oclif/core/flags';
import {checkSpecFile} from '../spec/check.js';
import {UnreadableFileError} from '../spec/load.js';
import {isValid, renderValidation, type FileResult} from '../ui/validate-report.js';

export default class Validate extends Command {
  static override summary = 'Check spec files offline: schema and semantic rules, every problem with its file:line:column.';
  static override description = 'Never contacts a host. Exit status: 0 valid, 1 invalid, 2 usage error or unreadable file.';
  static override examples = [
    '<%= config.bin %> validate',
    '<%= config.bin %> validate examples/*.yaml',
    '<%= config.bin %> validate --format github specs/*.yaml',
  ];

  static override strict = false;
  static override args = {
    file: Args.string({description: 'spec files to check (default: ./netctl.yaml)'}),
  };

  static override flags = {
    file: Flags.string({char: 'f', description: 'a spec file to check (repeatable)', multiple: true, env: 'NETCTL_FILE'}),
    format: Flags.option({
      description: 'output format: text for people, json for programs, github for workflow annotations',
      options: ['text', 'json', 'github'] as const,
      default: 'text',
    })(),
    strict: Flags.boolean({description: 'treat warnings as errors'}),
  };

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(Validate);
    const files = [...(flags.file ?? []), ...(argv as string[])];
    if (files.length === 0) files.push('netctl.yaml');
    const results: FileResult[] = [];
    for (const file of files) {
      try {
        const {diagnostics} = await checkSpecFile(file);
        results.push({file, readable: true, diagnostics});
      } catch (cause) {
        if (!(cause instanceof UnreadableFileError)) throw cause;
        results.push({file, readable: false, reason: cause.reason});
      }
    }
    process.stdout.write(renderValidation(results, flags.format, flags.strict));
    if (results.some((r) => !r.readable)) this.exit(2);
    if (!results.every((r) => isValid(r, flags.strict))) this.exit(1);
  }
}
