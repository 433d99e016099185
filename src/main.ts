/** The CLI's entry: oclif, from the same bundle as the commands it runs. */
import {execute as oclifExecute} from '@oclif/core/execute';
import {readdirSync} from 'node:fs';
import {pluginsFor} from './cli/plugins.js';

/** Runs the command line; `dir`: the directory of the executable, where oclif looks for netctl's package. */
export function execute({dir}: {dir: string}): Promise<unknown> {
  const args = process.argv.slice(2);
  // The bundle holds one module per command, named after it, in commands/ (a directory per topic).
  const ownCommands = new Set(readdirSync(new URL('commands/', import.meta.url)).map((name) => name.replace(/\.js$/, '')));
  return oclifExecute({args, loadOptions: {root: dir, pluginAdditions: {core: pluginsFor(args, ownCommands)}}});
}
