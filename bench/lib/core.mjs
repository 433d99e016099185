// netctl's pure core as the benches call it in process: the source bundled on the fly by esbuild (the
// shipped build is one bundle of every command, so it has no module per source file to import).
import {build} from 'esbuild';
import {mkdirSync, mkdtempSync, rmSync} from 'node:fs';
import {join} from 'node:path';
import {fileURLToPath, pathToFileURL} from 'node:url';

// Inside the repository, so that what the bundle leaves out (yaml, loaded on first use) resolves from node_modules.
const root = fileURLToPath(new URL('../..', import.meta.url));
mkdirSync(join(root, 'node_modules', '.cache'), {recursive: true});
const dir = mkdtempSync(join(root, 'node_modules', '.cache', 'netctl-bench-'));
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
      "export {CONFIRM_LAST, CONFIRM_PENDING, transactionScript} from './src/apply/transaction.ts';",
      "export {verificationScope} from './src/engine/engine.ts';",
      "export {LOCK_DIR, MAKE_LOCK_DIR} from './src/transport/lock.ts';",
      "export {sshOptions} from './src/transport/ssh.ts';",
    ].join('\n'),
    resolveDir: root,
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
  checkSpecText, CONFIRM_LAST, CONFIRM_PENDING, transactionScript, verificationScope, LOCK_DIR, MAKE_LOCK_DIR, sshOptions,
} = core;
