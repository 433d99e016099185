// Writes V8's code cache of dist/netctl.cjs (bin/bundle.cjs reads it), taken after netctl has run what a
// run compiles, so that the cache holds those functions and not only the bundle's top level: `validate`
// of the examples (oclif's start, the spec's reading, checking and compiling), then `plan` and
// `plan --destroy` of node1 of a lab spec (the session, the read's parsing, planning and printing). Their
// `ssh` is a stand-in on PATH that serves netctl's held session (src/transport/lock.ts) with a recorded
// read of that node (test/fixtures/observe), so no host is needed.
import {chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import bundle from '../bin/bundle.cjs';

const root = join(import.meta.dirname, '..');
const fixtures = join(root, 'test', 'fixtures', 'observe');
const examples = readdirSync(join(root, 'examples')).filter((file) => file.endsWith('.yaml')).map((file) => join(root, 'examples', file));
const plan = ['plan', '-f', join(fixtures, 'overlay-spec.yaml'), '--target', 'node1'];
const runs = [['validate', ...examples], plan, [...plan, '--destroy']];

const standIn = mkdtempSync(join(tmpdir(), 'netctl-code-cache-'));
writeFileSync(join(standIn, 'ssh'), [
  '#!/bin/sh',
  'echo netctl-session-ready',
  'while read -r request size; do',
  '  case "$request" in lock*) echo "@@lock taken";; esac',
  '  case "$request" in *run) head -c "$size" >/dev/null; echo "@@run begin"; cat "$NETCTL_RECORDED_READ"; echo; echo " @@run end 0 ";; esac',
  'done',
  '',
].join('\n'));
chmodSync(join(standIn, 'ssh'), 0o755);
process.env.PATH = `${standIn}:${process.env.PATH}`;
process.env.NETCTL_RECORDED_READ = join(fixtures, 'overlay-node1.txt');

const {exports: netctl, script} = bundle.loadBundle({codeCache: undefined});
const write = process.stdout.write.bind(process.stdout);
try {
  for (const args of runs) {
    process.argv = [process.argv[0], join(root, 'bin', 'run.cjs'), ...args];
    process.stdout.write = () => true;
    await netctl.execute({dir: join(root, 'bin')});
    process.stdout.write = write;
    if ((process.exitCode ?? 0) !== 0) throw new Error(`netctl ${args.join(' ')} failed (exit ${process.exitCode}) while the code cache was taken`);
  }
} finally {
  process.stdout.write = write;
  rmSync(standIn, {recursive: true, force: true});
}
writeFileSync(bundle.CODE_CACHE, script.createCachedData());
process.stdout.write(`wrote ${bundle.CODE_CACHE}\n`);
