// Writes V8's code cache of dist/netctl.cjs (bin/bundle.cjs reads it), taken after netctl has run
// `validate` on the examples: the cache then holds the functions a run compiles (oclif's start, the
// spec's reading, checking and compiling), not only the bundle's top level.
import {readdirSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import bundle from '../bin/bundle.cjs';

const root = join(import.meta.dirname, '..');
const examples = readdirSync(join(root, 'examples')).filter((file) => file.endsWith('.yaml')).map((file) => join(root, 'examples', file));
const {exports: netctl, script} = bundle.loadBundle({codeCache: undefined});
process.argv = [process.argv[0], join(root, 'bin', 'run.cjs'), 'validate', ...examples];
process.once('exit', (code) => {
  if (code !== 0) return;
  writeFileSync(bundle.CODE_CACHE, script.createCachedData());
  process.stdout.write(`wrote ${bundle.CODE_CACHE}\n`);
});
void netctl.execute({dir: join(root, 'bin')});
