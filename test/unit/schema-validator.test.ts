/** The validator netctl ships is the one ajv compiles from schemas/netctl.schema.json today. */
import {describe, expect, it} from '@jest/globals';
import {execFileSync} from 'node:child_process';
import {join} from 'node:path';

describe('the generated schema validator', () => {
  it('is up to date with the schema (npm run generate rewrites it)', () => {
    const script = join(import.meta.dirname, '..', '..', 'scripts', 'generate-schema-validator.mjs');
    expect(() => execFileSync(process.execPath, [script, '--check'], {stdio: 'pipe'})).not.toThrow();
  });
});
