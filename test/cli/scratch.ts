/** netctl as a user runs it: a real process, started in a scratch directory made for the test file. */
import {afterAll, beforeAll} from '@jest/globals';
import {execa} from 'execa';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

export const root = join(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'run.cjs');

/** Makes the scratch directory before the file's tests and removes it after them. */
export function scratchCli() {
  let scratch = '';
  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'netctl-cli-'));
  });
  afterAll(() => rmSync(scratch, {recursive: true, force: true}));
  return {
    dir: () => scratch,
    netctl: (...args: string[]) => execa(bin, args, {reject: false, cwd: scratch, env: {NO_COLOR: '1'}}),
  };
}
