/**
 * Which oclif plugins a command line needs. The only one, autocomplete, adds its own commands and
 * nothing to netctl's: loading it (finding its package, reading its manifest) cost 5-10 ms of every
 * start, so it is loaded only when the command line may be one of its commands or needs the list of
 * every command (help, a mistyped command's suggestion).
 */
export const AUTOCOMPLETE_PLUGIN = '@oclif/plugin-autocomplete';

/** `ownCommands`: the first words of netctl's own commands (`plan`, `lab` for `lab up`, ...). */
export function pluginsFor(args: readonly string[], ownCommands: ReadonlySet<string>): string[] {
  // oclif also accepts a topic and its command joined by a colon (`lab:up`).
  const first = args[0]?.split(':')[0];
  return first !== undefined && ownCommands.has(first) ? [] : [AUTOCOMPLETE_PLUGIN];
}
