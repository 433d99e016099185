// Builds dist/netctl.cjs: netctl, oclif, the autocomplete plugin's commands and every dependency in one
// CommonJS file, then V8's code cache of it (scripts/code-cache.mjs), which bin/bundle.cjs loads with
// it. Node 20 keeps compiled code only for CommonJS run through vm.Script, and such code cannot run
// import() when it comes from a cache: hence CommonJS, import() turned into require(), and the plugin's
// commands (an ES module package oclif would import()) bundled as netctl's own.
import {build} from 'esbuild';
import {readFileSync, readdirSync, rmSync} from 'node:fs';

// oclif finds the commands in the bundle's COMMANDS (package.json: oclif.commands, strategy explicit):
// netctl's named by their path under src/commands (`lab/up.ts` is `lab:up`), the plugin's as its
// manifest lists them.
const own = readdirSync('src/commands', {recursive: true})
  .filter((file) => file.endsWith('.ts'))
  .map((file) => file.slice(0, -'.ts'.length))
  .sort()
  .map((file) => ({id: file.replaceAll('/', ':'), path: `./src/commands/${file}.ts`}));
const plugin = 'node_modules/@oclif/plugin-autocomplete';
const pluginCommands = Object.entries(JSON.parse(readFileSync(`${plugin}/oclif.manifest.json`, 'utf8')).commands)
  .map(([id, command]) => ({id, path: `./${plugin}/${command.relativePath.join('/')}`}));
const commands = [...own, ...pluginCommands];
const entry = [
  "export {execute} from './src/main.ts';",
  "export {default as commandNotFound} from './src/hooks/command-not-found.ts';",
  ...commands.map(({path}, i) => `import command${i} from ${JSON.stringify(path)};`),
  `export const COMMANDS = {${commands.map(({id}, i) => `${JSON.stringify(id)}: command${i}`).join(', ')}};`,
].join('\n');

// The code cache of a former bundle is of no use (and bin/bundle.cjs would not take it).
rmSync('dist/netctl.cjs.v8cache', {force: true});
await build({
  stdin: {contents: entry, resolveDir: '.', sourcefile: 'netctl-bundle.ts', loader: 'ts'},
  outfile: 'dist/netctl.cjs',
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  // TypeScript is only oclif's way to run uncompiled commands.
  external: ['typescript'],
  supported: {'dynamic-import': false},
  // ES modules bundled into CommonJS: import.meta.url is the bundle's own URL.
  define: {'import.meta.url': 'netctlBundleUrl'},
  banner: {js: "const netctlBundleUrl = require('node:url').pathToFileURL(__filename).href;"},
  logLevel: 'warning',
});
