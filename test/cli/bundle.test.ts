/**
 * The shipped build: one CommonJS bundle loaded with V8's code cache (bin/bundle.cjs). Code that comes
 * from a cache cannot run import(), so what once went through it (Graphviz, the autocomplete plugin's
 * commands) must work from the bundle.
 */
import {describe, expect, it} from '@jest/globals';
import {execa} from 'execa';
import {readdirSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {root, scratchCli} from './scratch.js';

const {dir, netctl} = scratchCli();

describe('the bundle', () => {
  it('is loaded with the code cache the build wrote, which this Node accepts', async () => {
    const load = "const {loadBundle} = require('./bin/bundle.cjs'); const {script} = loadBundle(); process.stdout.write(String(script.cachedDataRejected))";
    const run = await execa(process.execPath, ['-e', load], {cwd: root, reject: false, env: {NODE_OPTIONS: ''}});
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('false');
  });

  it('draws SVG with Graphviz from the cached code', async () => {
    const run = await netctl('graph', '-f', join(root, 'examples', 'demo.yaml'), '--format', 'svg');
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/^<\?xml[\s\S]*<\/svg>\s*$/);
    expect(run.exitCode).toBe(0);
  });

  it('runs the autocomplete plugin\'s commands as its own', async () => {
    const run = await netctl('autocomplete', 'script', 'bash');
    expect(run.stdout).toContain('netctl autocomplete setup');
    expect(run.exitCode).toBe(0);
  });

  it('starts and checks specs without ICU\'s collator, whose set-up costs a run about 10 ms', async () => {
    const guard = join(dir(), 'no-collator.cjs');
    writeFileSync(guard, "String.prototype.localeCompare = function () { process.stderr.write(`localeCompare: ${new Error().stack}`); process.exit(99); };\n");
    const examples = readdirSync(join(root, 'examples')).filter((file) => file.endsWith('.yaml')).map((file) => join(root, 'examples', file));
    for (const args of [['validate', ...examples], ['--help'], ['lab', '--help']]) {
      const run = await execa(join(root, 'bin', 'run.cjs'), args, {reject: false, cwd: dir(), env: {NO_COLOR: '1', NODE_OPTIONS: `-r ${guard}`}});
      expect(run.stderr).not.toContain('localeCompare');
      expect(run.exitCode).toBe(0);
    }
  });
});
