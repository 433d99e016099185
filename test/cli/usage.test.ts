/** Usage errors and unreadable files exit 2, before any spec is read or host contacted. */
import {describe, expect, it} from '@jest/globals';
import {scratchCli} from './scratch.js';

const {netctl} = scratchCli();

describe('usage errors, in oclif\'s form', () => {
  it.each([
    [['reconcile', '--min-sync', '0s'], /Parsing --min-sync \n.*0s: must be longer than 0/],
    [['reconcile', '--resync', '5x'], /Parsing --resync \n.*5x is not a duration: write it as a number and a unit/],
    [['verify', '--parallelism', '0'], /Parsing --parallelism/],
    [['plan', '--nope'], /Nonexistent flag: --nope/],
  ])('%j', async (args, message) => {
    const run = await netctl(...args);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toMatch(/cannot read/);
    expect(run.exitCode).toBe(2);
  });
});

describe('a saved plan that cannot be read', () => {
  it.each([['show'], ['apply']])('%s says so in one line, exit 2', async (command) => {
    const run = await netctl(command, 'nope.plan');
    expect(run.stderr).toBe('nope.plan: error: cannot read: no such file');
    expect(run.exitCode).toBe(2);
  });
});
