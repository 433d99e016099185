/**
 * The held SSH session, with a stand-in for ssh that runs the session command locally and ends a moment
 * after it (noting that it did in the file `ended`). With STANDIN_INPUT_FIRST set, it starts the session
 * only once something was written to it, as a slow link delivers the session's ready line late.
 */
import {afterAll, beforeAll, describe, expect, it} from '@jest/globals';
import {existsSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {SshTransport} from '../../src/transport/ssh.js';

const dir = mkdtempSync(join(tmpdir(), 'netctl-ssh-'));
const ended = join(dir, 'ended');
const path = process.env.PATH;
beforeAll(() => {
  writeFileSync(join(dir, 'ssh'), [
    '#!/bin/bash',
    '# Runs the command, the last argument, here.',
    'for command; do :; done',
    'if [ -n "$STANDIN_INPUT_FIRST" ]; then',
    '  for _ in $(seq 100); do read -t 0 && break; sleep 0.02; done',
    '  read -t 0 || { echo "nothing was written before the session was ready" >&2; exit 255; }',
    'fi',
    '# A user whose login shell is nologin: sshd says so on stderr, nologin on stdout, and nothing runs.',
    'if [ -n "$STANDIN_NOLOGIN" ]; then',
    '  echo "Could not chdir to home directory /nonexistent: No such file or directory" >&2',
    '  echo "This account is currently not available."',
    '  exit 1',
    'fi',
    'sh -c "$command"',
    'sleep 0.2',
    `touch ${ended}`,
    '',
  ].join('\n'), {mode: 0o755});
  process.env.PATH = `${dir}:${path ?? ''}`;
});
afterAll(() => {
  process.env.PATH = path;
  rmSync(dir, {recursive: true, force: true});
});

/**
 * It carries every read of a node for as long as netctl runs (a reconcile loop: for days), so nothing
 * may keep its output: execa, told to keep it, ends the client once it has printed 100,000,000
 * characters in all.
 */
describe('the held SSH session', () => {
  it('carries more output over its life than execa would keep', async () => {
    const transport = new SshTransport('node1', 'node1.example', {}, 10);
    const lengths: number[] = [];
    try {
      for (let i = 0; i < 4; i++) {
        const result = await transport.run("head -c 30000000 /dev/zero | tr '\\0' x\n", {limitSeconds: 60});
        lengths.push(result.stdout.length);
      }
    } finally {
      await transport.close();
    }
    expect(lengths).toEqual([30_000_000, 30_000_000, 30_000_000, 30_000_000]);
  }, 60_000);

  // A plan ends each node's session once its read is in, and closes them all again at the end: that
  // second close must still wait for the client to be gone.
  it('makes a second close wait until the session has ended', async () => {
    const transport = new SshTransport('node1', 'node1.example', {}, 10);
    await transport.run('true\n');
    rmSync(ended, {force: true});
    const first = transport.close();
    await transport.close();
    expect(existsSync(ended)).toBe(true);
    await first;
  });

  it('sends the first script at once, without waiting for the session to say it is ready', async () => {
    process.env.STANDIN_INPUT_FIRST = '1';
    const transport = new SshTransport('node1', 'node1.example', {}, 10);
    try {
      expect((await transport.run('echo first\n')).stdout).toBe('first\n');
    } finally {
      delete process.env.STANDIN_INPUT_FIRST;
      await transport.close();
    }
  });

  it('ends the session right behind a script that is the last round trip, with no close', async () => {
    const transport = new SshTransport('node1', 'node1.example', {}, 10);
    try {
      await transport.run('true\n');
      rmSync(ended, {force: true});
      const result = await transport.run('echo read\n', {last: true});
      expect(result.stdout).toBe('read\n');
      const deadline = Date.now() + 5_000;
      while (!existsSync(ended) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(existsSync(ended)).toBe(true);
    } finally {
      await transport.close();
    }
  }, 15_000);

  it('says what the node printed when the user\'s login shell runs no command (nologin), not sshd\'s last warning', async () => {
    process.env.STANDIN_NOLOGIN = '1';
    const transport = new SshTransport('node1', 'node1.example', {}, 10);
    try {
      await expect(transport.run('true\n')).rejects.toThrow('cannot reach node node1: logged in, but the SSH user\'s login shell did not run netctl\'s commands (exit 1): This account is currently not available.');
    } finally {
      delete process.env.STANDIN_NOLOGIN;
      await transport.close();
    }
  });

  it('says so when this machine has no ssh command', async () => {
    const transport = new SshTransport('node1', 'node1.example', {}, 10);
    process.env.PATH = join(dir, 'empty');
    try {
      await expect(transport.run('true\n')).rejects.toThrow('cannot reach node node1: the ssh command is not installed on this machine (Debian/Ubuntu package openssh-client)');
    } finally {
      process.env.PATH = `${dir}:${path ?? ''}`;
      await transport.close();
    }
  });
});
