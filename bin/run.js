#!/usr/bin/env node
// `--version` needs nothing but package.json: answered here, in oclif's words (its user agent), it
// starts no framework; everything else goes to oclif.
import {readFileSync} from 'node:fs';

if (process.argv[2] === '--version') {
  const {name, version} = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  const arch = process.arch === 'ia32' ? 'x86' : process.arch;
  process.stdout.write(`${name}/${version} ${process.platform}-${arch} node-${process.version}\n`);
} else {
  const {execute} = await import('../dist/main.js');
  await execute({dir: import.meta.url});
}
