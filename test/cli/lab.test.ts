/** `netctl lab tools` as a process, against a PATH made for the test: which tools it finds, what it says. */
import {afterAll, beforeAll, describe, expect, it} from '@jest/globals';
import {execa} from 'execa';
import {chmodSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {LAB_TOOLS} from '../../src/cli/lab-tools.js';

const bin = join(import.meta.dirname, '..', '..', 'bin', 'run.cjs');
let path: string;

/**
 * A directory holding a stand-in executable for every lab tool but those left out. The lab also looks in
 * the sbin directories, so the tools left out are ones that live in /usr/bin.
 */
function toolsDirectory(without: readonly string[]): string {
  const dir = mkdtempSync(join(path, 'bin-'));
  for (const tool of LAB_TOOLS.filter((t) => !without.includes(t))) {
    writeFileSync(join(dir, tool), '#!/bin/sh\n');
    chmodSync(join(dir, tool), 0o755);
  }
  return dir;
}

const labTools = (dir: string, ...args: string[]) =>
  execa(process.execPath, [bin, 'lab', 'tools', ...args], {reject: false, env: {PATH: dir, NO_COLOR: '1'}, extendEnv: false});

beforeAll(() => {
  path = mkdtempSync(join(tmpdir(), 'netctl-lab-tools-'));
});
afterAll(() => rmSync(path, {recursive: true, force: true}));

describe('netctl lab tools', () => {
  it('names a missing tool and the exact command that installs it, and exits 1', async () => {
    const result = await labTools(toolsDirectory(['socat']), '--no-install');
    expect(result.stderr).toContain('netctl lab needs socat on this machine; install with: apt-get install -y socat');
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.exitCode).toBe(1);
  });

  it('without apt-get, stops with the command for every missing package', async () => {
    const result = await labTools(toolsDirectory(['socat', 'ping', 'flock']));
    expect(result.stderr).toContain('install with: apt-get install -y iputils-ping socat util-linux');
    expect(result.exitCode).toBe(1);
  });

  it('passes when every tool is there', async () => {
    const result = await labTools(toolsDirectory([]));
    expect(result.stdout).toContain('Every lab tool is present');
    expect(result.exitCode).toBe(0);
  });
});
