// netctl's pure core as the benches call it in process: the source bundled on the fly by esbuild (the
// shipped build is bundled per command, so it has no module per source file to import).
import {build} from 'esbuild';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath, pathToFileURL} from 'node:url';

const dir = mkdtempSync(join(tmpdir(), 'netctl-bench-'));
const outfile = join(dir, 'core.mjs');
await build({
  stdin: {
    contents: [
      "export {applyScript} from './src/apply/script.ts';",
      "export {desiredResources, desiredState} from './src/desired/index.ts';",
      "export {formatAddress} from './src/net/ipv4.ts';",
      "export {observeScript} from './src/observe/script.ts';",
      "export {parseObservation} from './src/observe/parse.ts';",
      "export {diff} from './src/plan/diff.ts';",
      "export {observeOptions, planNode} from './src/plan/node-plan.ts';",
      "export {hostRoutes} from './src/resources/host-routes.ts';",
      "export {iptablesState} from './src/resources/iptables.ts';",
      "export {checkSpecText} from './src/spec/check.ts';",
    ].join('\n'),
    resolveDir: fileURLToPath(new URL('../..', import.meta.url)),
    loader: 'ts',
  },
  outfile,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  banner: {js: "import {createRequire as netctlCreateRequire} from 'node:module'; const require = netctlCreateRequire(import.meta.url);"},
  logLevel: 'warning',
});
const core = await import(pathToFileURL(outfile).href);
rmSync(dir, {recursive: true, force: true});

export const {
  applyScript, desiredResources, desiredState, formatAddress, observeScript, parseObservation, diff, observeOptions, planNode, hostRoutes, iptablesState,
  checkSpecText,
} = core;
