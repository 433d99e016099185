// `stack-floor.mjs FILE` writes to FILE a program that only loads the libraries netctl's `plan` keeps
// (oclif, execa, yaml), bundled by esbuild as netctl's build is: Node's start plus that is the part of
// the time to the first ssh that no netctl code adds.
import {build} from 'esbuild';
import {fileURLToPath} from 'node:url';

await build({
  stdin: {
    contents: "import * as oclif from '@oclif/core'; import * as execa from 'execa'; import * as yaml from 'yaml'; globalThis.stack = [oclif, execa, yaml];",
    resolveDir: fileURLToPath(new URL('../..', import.meta.url)),
  },
  outfile: process.argv[2],
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['typescript'],
  banner: {js: "import {createRequire as netctlCreateRequire} from 'node:module'; const require = netctlCreateRequire(import.meta.url);"},
  logLevel: 'warning',
});
