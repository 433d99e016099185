/** The held session's protocol, run by a local shell: scripts and lock requests in order, nothing over-read. */
import {afterAll, describe, expect, it} from '@jest/globals';
import {execa} from 'execa';
import {chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import {holder, lastLine, sessionCommand} from '../../src/transport/lock.js';
import {LockedError} from '../../src/transport/transport.js';

describe('the held session', () => {
  const session = holder(execa('sh', ['-c', sessionCommand()], {stdin: 'pipe', reject: false}), (_code, stderr) => new Error(lastLine(stderr)));
  afterAll(async () => {
    session.stdin.end();
    await session.ended;
  });

  it('runs scripts one after another, each with its stdout, stderr and exit status', async () => {
    await session.ready;
    expect(await session.runScript('echo one\necho two >&2\nexit 3\n')).toEqual({stdout: 'one\n', stderr: 'two', exitCode: 3});
    expect(await session.runScript("printf 'no newline at the end'")).toEqual({stdout: 'no newline at the end', stderr: '', exitCode: 0});
    expect(await session.runScript('true\n')).toEqual({stdout: '', stderr: '', exitCode: 0});
    const answers = await Promise.all([session.runScript('echo a\n'), session.runScript('echo b >&2; echo b\n'), session.runScript('echo é\n')]);
    expect(answers.map((a) => a.stdout)).toEqual(['a\n', 'b\n', 'é\n']);
  });

  it('streams a script\'s stdout as it comes', async () => {
    // The script goes on only once its first line reached this side (or gives up after 5 s).
    const signal = join(mkdtempSync(join(tmpdir(), 'netctl-test-')), 'seen');
    const seen: string[] = [];
    const result = await session.runScript(`echo first\nn=0; until [ -e ${signal} ] || [ $n -gt 100 ]; do n=$((n+1)); sleep 0.05; done\n[ -e ${signal} ] && echo second\n`, (chunk) => {
      seen.push(chunk);
      writeFileSync(signal, '');
    });
    rmSync(dirname(signal), {recursive: true});
    expect(result.stdout).toBe('first\nsecond\n');
    expect(seen).toEqual(['first\n', 'second\n']);
  });

  it('does not let a script read the next request', async () => {
    expect(await session.runScript('cat; echo read-nothing\n')).toEqual({stdout: 'read-nothing\n', stderr: '', exitCode: 0});
    expect(await session.runScript('echo still-here\n')).toEqual({stdout: 'still-here\n', stderr: '', exitCode: 0});
  });

  it('runs a lockrun\'s script only when it takes the lock, and reads its bytes either way', async () => {
    const lockDir = mkdtempSync(join(tmpdir(), 'netctl-lock-'));
    const start = () => holder(execa('sh', ['-c', sessionCommand(lockDir)], {stdin: 'pipe', reject: false}), (_code, stderr) => new Error(lastLine(stderr)));
    const first = start();
    const second = start();
    try {
      const taken: string[] = [];
      expect(await first.lockAndRunScript('echo ran-first\n', undefined, () => taken.push('first'))).toEqual({stdout: 'ran-first\n', stderr: '', exitCode: 0});
      expect(taken).toEqual(['first']);
      // The other session finds the lock held, does not run the script, and still reads the next request whole.
      const marker = join(lockDir, 'ran');
      const answer = await second.lockAndRunScript(`touch ${marker}\n`, undefined, () => taken.push('second'));
      expect(answer).toMatch(/^held by netctl on .* \(pid \d+\)/);
      expect(taken).toEqual(['first']);
      expect(existsSync(marker)).toBe(false);
      expect(await second.runScript('echo next\n')).toEqual({stdout: 'next\n', stderr: '', exitCode: 0});
      expect(await first.request('unlock')).toBe('released');
      expect(await second.lockAndRunScript('echo ran-second\n')).toEqual({stdout: 'ran-second\n', stderr: '', exitCode: 0});
    } finally {
      for (const s of [first, second]) s.stdin.end();
      await Promise.all([first.ended, second.ended]);
      rmSync(lockDir, {recursive: true});
    }
  });

  it('tells a user who may not write the lock so, instead of waiting for a holder', async () => {
    const lockDir = mkdtempSync(join(tmpdir(), 'netctl-lock-'));
    writeFileSync(join(lockDir, 'lock'), '');
    chmodSync(join(lockDir, 'lock'), 0o444);
    chmodSync(lockDir, 0o755);
    // Not root: as root, the session drops to nobody; as any other user, it already is one.
    const asUser = process.getuid?.() === 0 ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', 'sh'] : ['sh'];
    const session = holder(execa(asUser[0]!, [...asUser.slice(1), '-c', sessionCommand(lockDir)], {stdin: 'pipe', reject: false}), (_code, stderr) => new Error(lastLine(stderr)));
    try {
      const answer = await session.lockAndRunScript('echo ran\n');
      expect(answer).toMatch(/^denied [1-9]\d*$/);
      expect(LockedError.of('node1', answer as string, 0).message).toMatch(/^node node1: netctl cannot take its lock \(\/run\/netctl\/lock\): netctl needs root on the node, and its SSH user has uid [1-9]\d*: connect as root/);
      expect(await session.runScript('echo next\n')).toEqual({stdout: 'next\n', stderr: '', exitCode: 0});
      // Root is denied only by the file system itself.
      expect(LockedError.of('node1', 'denied 0', 0).message).toBe('node node1: netctl cannot take its lock (/run/netctl/lock): root may not write it there (is /run mounted read-only?)');
    } finally {
      session.stdin.end();
      await session.ended;
      rmSync(lockDir, {recursive: true});
    }
  });
});
