/** Shell completion (the oclif autocomplete plugin): setup instructions, and the scripts it writes. */
import {afterAll, beforeAll, describe, expect, it} from '@jest/globals';
import {execa} from 'execa';
import {mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

const bin = join(import.meta.dirname, '..', '..', 'bin', 'run.cjs');
let cache: string;

beforeAll(() => {
  cache = mkdtempSync(join(tmpdir(), 'netctl-autocomplete-'));
});
afterAll(() => rmSync(cache, {recursive: true, force: true}));

const netctl = (...args: string[]) => execa(process.execPath, [bin, ...args], {reject: false, env: {XDG_CACHE_HOME: cache, NO_COLOR: '1'}});

describe('netctl autocomplete', () => {
  it('says how to set completion up for bash', async () => {
    const result = await netctl('autocomplete', 'bash');
    expect(result.stdout).toContain('printf "$(netctl autocomplete script bash)" >> ~/.bashrc');
    expect(result.exitCode).toBe(0);
    expect((await netctl('autocomplete', 'script', 'bash')).stdout).toContain('netctl autocomplete setup');
  });

  it('is listed among the commands by help; the help of netctl\'s own commands stands without it', async () => {
    expect((await netctl('--help')).stdout).toMatch(/^ {2}autocomplete +Display autocomplete installation instructions/m);
    expect((await netctl('autocomplete', '--help')).exitCode).toBe(0);
    const plan = await netctl('plan', '--help');
    expect(plan.exitCode).toBe(0);
    expect(plan.stdout).toContain('Read every node over SSH');
  });

  it('writes bash and zsh completions that know the commands, topics and flags', async () => {
    expect((await netctl('autocomplete', '--refresh-cache')).exitCode).toBe(0);
    const bash = readFileSync(join(cache, 'netctl', 'autocomplete', 'functions', 'bash', 'netctl.bash'), 'utf8');
    for (const word of ['plan', 'apply', 'exec', 'policy:check', '--shard', '--auto-approve']) expect(bash).toContain(word);
    const zsh = readFileSync(join(cache, 'netctl', 'autocomplete', 'functions', 'zsh', '_netctl'), 'utf8');
    expect(zsh).toContain('reconcile');
    expect(readFileSync(join(cache, 'netctl', 'autocomplete', 'bash_setup'), 'utf8')).toContain('netctl.bash');
  });
});
