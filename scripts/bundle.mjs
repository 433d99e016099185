// Builds dist/: one ES module per command plus the entry, with the code they share (netctl's and its
// dependencies') in chunks. Node then loads a handful of files instead of hundreds at start-up.
import {build} from 'esbuild';
import {readdirSync} from 'node:fs';

const commands = readdirSync('src/commands', {recursive: true})
  .filter((file) => file.endsWith('.ts'))
  .map((file) => `src/commands/${file}`);

await build({
  entryPoints: ['src/main.ts', 'src/hooks/command-not-found.ts', ...commands],
  outdir: 'dist',
  outbase: 'src',
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // TypeScript is only oclif's way to run uncompiled commands; Graphviz (WebAssembly, 1 MB) is loaded
  // by `graph` when it draws SVG.
  external: ['typescript', '@hpcc-js/wasm-graphviz'],
  // CommonJS dependencies bundled into ES modules still call require() for Node's own modules.
  banner: {js: "import {createRequire as netctlCreateRequire} from 'node:module'; const require = netctlCreateRequire(import.meta.url);"},
  logLevel: 'warning',
});
