/**
 * A command line whose words name no command: one line that says so and suggests the command meant
 * (`netctl pln` → `plan`, `netctl lab upp` → `lab up`), exit 2, instead of oclif's "command pln not found".
 */
import type {Hook} from '@oclif/core/interfaces';
import {suggest} from '../spec/suggest.js';

const hook: Hook<'command_not_found'> = function ({id, config}) {
  const words = id.replaceAll(':', ' ');
  const commands = config.commands.filter((c) => !c.hidden).map((c) => c.id.replaceAll(':', ' '));
  const hint = suggest(words, commands);
  process.stderr.write(`error: netctl has no command "${words}"${hint === undefined ? '' : ` (did you mean "netctl ${hint}"?)`}; netctl --help lists them\n`);
  return Promise.resolve(this.exit(2));
};

export default hook;
