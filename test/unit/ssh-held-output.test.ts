/**
 * The held SSH session carries every read of a node for as long as netctl runs (a reconcile loop: for
 * days), so nothing may keep its output: execa, told to keep it, ends the client once it has printed
 * 100,000,000 characters in all. ssh here is a stand-in that runs the session command locally.
 */
import {afterAll, beforeAll, describe, expect, it} from '@jest/globals';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {SshTransport} from '../../src/transport/ssh.js';

describe('the held SSH session', () => {
  const dir = mkdtempSync(join(tmpdir(), 'netctl-ssh-'));
  const path = process.env.PATH;
  const transport = new SshTransport('node1', 'node1.example', {}, 10);
  beforeAll(() => {
    writeFileSync(join(dir, 'ssh'), '#!/bin/sh\n# Runs the command, the last argument, here.\nfor command; do :; done\nexec sh -c "$command"\n', {mode: 0o755});
    process.env.PATH = `${dir}:${path ?? ''}`;
  });
  afterAll(async () => {
    await transport.close();
    process.env.PATH = path;
    rmSync(dir, {recursive: true, force: true});
  });

  it('carries more output over its life than execa would keep', async () => {
    const lengths: number[] = [];
    for (let i = 0; i < 4; i++) {
      const result = await transport.run("head -c 30000000 /dev/zero | tr '\\0' x\n", {limitSeconds: 60});
      lengths.push(result.stdout.length);
    }
    expect(lengths).toEqual([30_000_000, 30_000_000, 30_000_000, 30_000_000]);
  }, 60_000);
});
