#!/bin/sh
':' //; unset NODE_EXTRA_CA_CERTS; exec node "$0" "$@"
// Started as a shell script first, for one reason: with NODE_EXTRA_CA_CERTS set, Node 20 loads its whole
// TLS root store before running any code (nodejs/node#40524), about 50 ms on a small machine, on every
// run; netctl makes no TLS connection and starts no program that would, so the line above drops the
// variable and replaces the shell with Node (`exec`: same process, signals and exit status). To Node
// that line is a string and a comment.
// CommonJS on purpose: Node never starts its ES module loader (about 15 ms) for netctl.
// `--version` needs nothing but package.json: answered here, in oclif's words (its user agent), it
// starts no framework; everything else goes to oclif, in the bundle under dist/ (bin/bundle.cjs).
'use strict';
const {readFileSync} = require('node:fs');
const {join} = require('node:path');

if (process.argv[2] === '--version') {
  const {name, version} = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8'));
  const arch = process.arch === 'ia32' ? 'x86' : process.arch;
  process.stdout.write(`${name}/${version} ${process.platform}-${arch} node-${process.version}\n`);
} else {
  const {exports: netctl} = require('./bundle.cjs').loadBundle();
  void netctl.execute({dir: __dirname});
}
