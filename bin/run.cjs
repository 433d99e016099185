#!/usr/bin/env node
// CommonJS on purpose: Node starts its ES module loader (about 15 ms) only once a command needs it.
// `--version` needs nothing but package.json: answered here, in oclif's words (its user agent), it
// starts no framework; everything else goes to oclif, in the bundled ES modules under dist/.
'use strict';
const {readFileSync} = require('node:fs');
const {join} = require('node:path');

if (process.argv[2] === '--version') {
  const {name, version} = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8'));
  const arch = process.arch === 'ia32' ? 'x86' : process.arch;
  process.stdout.write(`${name}/${version} ${process.platform}-${arch} node-${process.version}\n`);
} else {
  void import('../dist/main.js').then(({execute}) => execute({dir: __dirname}));
}
