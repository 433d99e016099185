/** `netctl plan`'s exit status as a drift check reads it: never 2 ("changes present") for an error. */
import {describe, expect, it} from '@jest/globals';
import {join} from 'node:path';
import {root, scratchCli} from './scratch.js';

const demo = join(root, 'examples', 'demo.yaml');
const {netctl} = scratchCli();

describe('netctl plan --detailed-exitcode', () => {
  it('exits 1, not 2, when the spec cannot be read', async () => {
    const result = await netctl('plan', '-f', 'missing.yaml', '--detailed-exitcode');
    expect(result.stderr).toBe('missing.yaml: error: cannot read: no such file');
    expect(result.exitCode).toBe(1);
  });

  it('exits 1, not 2, on a usage error', async () => {
    const result = await netctl('plan', '-f', demo, '--detailed-exitcode', '--parallelism', '0');
    expect(result.stderr).toContain('Expected an integer greater than or equal to 1 but received: 0');
    expect(result.exitCode).toBe(1);
    const shard = await netctl('plan', '-f', demo, '--detailed-exitcode', '--shard', '3/2');
    expect(shard.stderr).toContain('error: --shard 3/2: write K/N');
    expect(shard.exitCode).toBe(1);
    const argument = await netctl('plan', demo, '--detailed-exitcode');
    expect(argument.stderr).toContain('reads the spec from -f');
    expect(argument.exitCode).toBe(1);
  });

  it('leaves those at 2 without the flag, as for every command', async () => {
    expect((await netctl('plan', '-f', 'missing.yaml')).exitCode).toBe(2);
  });
});
