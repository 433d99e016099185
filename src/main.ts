/** The CLI's entry: oclif, from the same bundle as the commands it runs. */
import {execute as oclifExecute} from '@oclif/core/execute';

/** Runs the command line; `dir`: the directory of the executable, where oclif looks for netctl's package. */
export function execute({dir}: {dir: string}): Promise<unknown> {
  return oclifExecute({args: process.argv.slice(2), loadOptions: {root: dir}});
}
