/** Usage errors and unreadable files exit 2, before any spec is read or host contacted. */
import {describe, expect, it} from '@jest/globals';
import {join} from 'node:path';
import {root, scratchCli} from './scratch.js';

const {netctl} = scratchCli();
const demo = join(root, 'examples', 'demo.yaml');

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

describe('a spec given as an argument instead of with -f', () => {
  it.each([
    ['plan', []], ['destroy', []], ['verify', []], ['preflight', []], ['reconcile', []], ['graph', []],
    ['policy check', ['--from', 'a', '--to', 'b', '--port', '80']],
  ])('%s says the command meant, exit 2', async (command, flags) => {
    const run = await netctl(...command.split(' '), 'cluster.yaml', ...flags);
    expect(run.stderr).toBe(`error: netctl ${command} reads the spec from -f (or NETCTL_FILE), not from an argument: netctl ${command} -f cluster.yaml`);
    expect(run.exitCode).toBe(2);
  });

  it('says only that there is no argument to take when -f gives the spec', async () => {
    const run = await netctl('plan', '-f', demo, 'extra');
    expect(run.stderr).toBe('error: netctl plan takes no argument, got extra');
    expect(run.exitCode).toBe(2);
  });

  it.each([['show'], ['apply']])('%s, which takes a saved plan there, says how to give a spec', async (command) => {
    const run = await netctl(command, demo);
    expect(run.stderr).toBe(`error: ${demo} is not a saved netctl plan (not JSON); a spec is given with -f: netctl ${command} -f ${demo}`);
    expect(run.exitCode).toBe(1);
  });
});

describe('a command line that names no command', () => {
  it.each([
    [['pln'], 'error: netctl has no command "pln" (did you mean "netctl plan"?); netctl --help lists them'],
    [['lab', 'upp'], 'error: netctl has no command "lab upp" (did you mean "netctl lab up"?); netctl --help lists them'],
    [['frobnicate', '-f', 'x.yaml'], 'error: netctl has no command "frobnicate"; netctl --help lists them'],
  ])('%j: one line with the command meant, exit 2', async (args, message) => {
    const run = await netctl(...args);
    expect(run.stderr).toBe(message);
    expect(run.exitCode).toBe(2);
  });
});
