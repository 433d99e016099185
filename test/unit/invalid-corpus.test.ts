/**
 * Every file under test/fixtures/invalid is a broken spec; its .expected file holds the exact lines
 * `netctl validate` prints for it (file name, line, column, message, path).
 * UPDATE_GOLDEN=1 rewrites the .expected files from the current output.
 */
import {describe, expect, it} from '@jest/globals';
import {readdirSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {checkSpecFile} from '../../src/spec/check.js';
import {renderValidation} from '../../src/ui/validate-report.js';

const dir = join(import.meta.dirname, '..', 'fixtures', 'invalid');
const cases = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();

describe('invalid spec corpus', () => {
  it('holds at least 25 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(25);
  });

  it.each(cases)('%s', async (name) => {
    const {cluster, diagnostics} = await checkSpecFile(join(dir, name));
    expect(diagnostics.length).toBeGreaterThan(0);
    if (diagnostics.some((d) => d.severity === 'error')) expect(cluster).toBeUndefined();
    const output = renderValidation([{file: name, readable: true, diagnostics}], 'text', false);
    const expectedFile = join(dir, name.replace(/\.yaml$/, '.expected'));
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(expectedFile, output);
    expect(output).toBe(readFileSync(expectedFile, 'utf8'));
  });
});
