// Builds dist/netctl.cjs: netctl, oclif, the autocomplete plugin's commands and every dependency in one
// CommonJS file, then V8's code cache of it (scripts/code-cache.mjs), which bin/bundle.cjs loads with
// it. Node 20 keeps compiled code only for CommonJS run through vm.Script, and such code cannot run
// import() when it comes from a cache: hence CommonJS, import() turned into require(), and the plugin's
// commands (an ES module package oclif would import()) bundled as netctl's own.
import {build} from 'esbuild';
import {readFileSync, readdirSync, rmSync} from 'node:fs';
import {readFile} from 'node:fs/promises';

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

// oclif sorts a plugin's commands with localeCompare as it loads them, and a process's first
// localeCompare sets up ICU's collator: 9-22 ms measured before netctl's first ssh. netctl's command ids
// are ASCII, which code units order as the collator does (checked here), so the bundle orders by code
// units. The build fails if oclif's line changes, rather than quietly keeping the slow sort.
const byCodeUnits = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
const ids = commands.map(({id}) => id);
if (ids.toSorted(byCodeUnits).join() !== ids.toSorted((a, b) => a.localeCompare(b)).join()) {
  throw new Error('command ids that code units order unlike localeCompare: keep oclif\'s sort');
}
const oclifCommandSort = {
  name: 'oclif-command-sort',
  setup(esbuild) {
    esbuild.onLoad({filter: /[\\/]@oclif[\\/]core[\\/]lib[\\/]config[\\/]plugin\.js$/}, async ({path}) => {
      const source = await readFile(path, 'utf8');
      const sort = '.sort((a, b) => a.id.localeCompare(b.id))';
      if (!source.includes(sort)) throw new Error(`${path} no longer sorts commands with ${sort}: update scripts/bundle.mjs`);
      return {contents: source.replace(sort, '.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))'), loader: 'js'};
    });
  },
};

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
  plugins: [oclifCommandSort],
  logLevel: 'warning',
});
