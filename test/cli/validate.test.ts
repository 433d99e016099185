/** `netctl validate` and `netctl schema` as a user runs them: a real process, its output and exit status. */
import {describe, expect, it} from '@jest/globals';
import {Config} from '@oclif/core';
import {readFileSync, readdirSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {root, scratchCli} from './scratch.js';

const invalid = join(root, 'test', 'fixtures', 'invalid');
const examples = readdirSync(join(root, 'examples')).filter((f) => f.endsWith('.yaml')).map((f) => join(root, 'examples', f));
const {dir, netctl} = scratchCli();

describe('netctl validate', () => {
  it('accepts every example and exits 0', async () => {
    const result = await netctl('validate', ...examples);
    expect(result.stdout).toBe(`${examples.length} files checked: ${examples.length} valid, 0 invalid (0 errors, 0 warnings).`);
    expect(result.exitCode).toBe(0);
  });

  it('reports every problem of an invalid spec as FILE:LINE:COL and exits 1', async () => {
    const file = join(invalid, 'pod-ip-is-broadcast.yaml');
    const result = await netctl('validate', file);
    expect(result.stdout.split('\n')).toEqual([
      `${file}:14:39 error: pod IP 10.244.1.255 is the broadcast address of node-a's podCIDR 10.244.1.0/24 (at spec.pods[0].ip)`,
      `${file}:15:39 error: pod IP 10.244.1.0 is the network address of node-a's podCIDR 10.244.1.0/24 (at spec.pods[1].ip)`,
      '1 file checked: 0 valid, 1 invalid (2 errors, 0 warnings).',
    ]);
    expect(result.exitCode).toBe(1);
  });

  it('reads ./netctl.yaml by default and takes -f', async () => {
    writeFileSync(join(dir(), 'netctl.yaml'), readFileSync(examples[0]!));
    expect((await netctl('validate')).exitCode).toBe(0);
    expect((await netctl('validate', '-f', 'netctl.yaml', '-f', join(invalid, 'wrong-kind.yaml'))).exitCode).toBe(1);
  });

  it('exits 2 for an unreadable file, after checking the others', async () => {
    const result = await netctl('validate', 'missing.yaml', join(invalid, 'wrong-kind.yaml'));
    expect(result.stdout).toContain('missing.yaml: error: cannot read: no such file');
    expect(result.stdout).toContain('wrong-kind.yaml:2:7 error');
    // The file that could not be read counts among the errors of the summary.
    expect(result.stdout).toContain('2 files checked: 0 valid, 2 invalid (2 errors, 0 warnings).');
    expect(result.exitCode).toBe(2);
  });

  it('exits 2 on a usage error', async () => {
    const result = await netctl('validate', '--format', 'xml', examples[0]!);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('Expected --format=xml to be one of: text, json, github');
  });

  it('fails on warnings only with --strict', async () => {
    const file = join(invalid, 'selector-matches-no-pod.yaml');
    expect((await netctl('validate', file)).exitCode).toBe(0);
    expect((await netctl('validate', '--strict', file)).exitCode).toBe(1);
  });

  it('prints a versioned JSON document', async () => {
    const result = await netctl('validate', '--format', 'json', join(invalid, 'mode-typo.yaml'));
    expect(JSON.parse(result.stdout)).toEqual({
      formatVersion: '1',
      valid: false,
      files: [{
        file: join(invalid, 'mode-typo.yaml'),
        readable: true,
        valid: false,
        diagnostics: [{
          severity: 'error',
          code: 'schema',
          message: '"overlayy" must be one of overlay, routing, underlay (did you mean "overlay"?)',
          path: 'spec.mode',
          line: 6,
          column: 9,
        }],
      }],
    });
    expect(result.exitCode).toBe(1);
  });

  it('prints GitHub workflow annotations', async () => {
    const result = await netctl('validate', '--format', 'github', join(invalid, 'unknown-field-did-you-mean.yaml'));
    expect(result.stdout).toBe(`::error file=${join(invalid, 'unknown-field-did-you-mean.yaml')},line=12,col=7,title=netctl validate::unknown field "podCidr" (did you mean "podCIDR"?) (at spec.nodes[0].podCidr)`);
  });

  it('refuses a 50 MB file with a located one-line error, without a stack trace', async () => {
    const big = join(dir(), 'big.yaml');
    writeFileSync(big, Buffer.alloc(50 * 1024 * 1024, 'a'));
    const result = await netctl('validate', big);
    expect(result.stdout.split('\n')[0]).toBe(`${big}:1:1 error: the file is 50.0 MiB; specs larger than 16.0 MiB are refused`);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toBe('');
  });

  it.each(['binary-junk.yaml', 'empty-file.yaml', 'malformed-yaml.yaml', 'not-a-mapping.yaml', 'duplicate-key.yaml'])(
    'reports %s without a stack trace', async (name) => {
      const result = await netctl('validate', join(invalid, name));
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toBe('');
      expect(result.stdout).not.toMatch(/\bat .*\.js:\d+/);
      expect(result.stdout).toMatch(new RegExp(`^${join(invalid, name)}:\\d+:\\d+ error: `));
    });

  it('accepts a directory only as an unreadable file', async () => {
    const result = await netctl('validate', dir());
    expect(result.stdout).toContain('cannot read: it is a directory');
    expect(result.exitCode).toBe(2);
  });
});

describe('netctl schema', () => {
  it('prints the JSON Schema', async () => {
    const result = await netctl('schema');
    expect(JSON.parse(result.stdout)).toEqual(JSON.parse(readFileSync(join(root, 'schemas', 'netctl.schema.json'), 'utf8')));
  });
});

describe('netctl --version', () => {
  it('names the version in the words of oclif (its user agent), without starting it', async () => {
    const result = await netctl('--version');
    expect(result.stdout).toMatch(/^netctl\/\d+\.\d+\.\d+ /);
    expect(result.stdout).toBe((await Config.load(root)).userAgent);
    expect(result.exitCode).toBe(0);
  });
});
