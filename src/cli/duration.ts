/** Durations on the command line, as `500ms`, `3s` or `2m` (a number and a unit, nothing else). */
import {CLIError} from '@oclif/core/errors';
import * as Flags from '@oclif/core/flags';

const UNITS = {ms: 1, s: 1000, m: 60_000, h: 3_600_000} as const;

/** Milliseconds of `500ms`, `1.5s`, `2m`, `1h`; undefined for anything else. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text.trim());
  if (match === null) return undefined;
  return Math.round(Number(match[1]) * UNITS[match[2] as keyof typeof UNITS]);
}

/** An oclif flag holding a duration in milliseconds. */
export const durationFlag = Flags.custom<number>({
  parse: (input) => {
    const ms = parseDuration(input);
    // A CLIError keeps oclif's usage-error form and exit status 2, as its own flag types get.
    if (ms === undefined) return Promise.reject(new CLIError(`${input} is not a duration: write it as a number and a unit, like 500ms, 3s or 2m`, {exit: 2}));
    if (ms <= 0) return Promise.reject(new CLIError(`${input}: must be longer than 0`, {exit: 2}));
    return Promise.resolve(ms);
  },
});
