// Writes V8's code cache of dist/netctl.cjs (bin/bundle.cjs reads it), taken after netctl has run what a
// run compiles, so that the cache holds those functions and not only the bundle's top level: `validate`
// of the examples (oclif's start, the spec's reading, checking and compiling), then `plan`, `plan
// --destroy` and `apply` of node1 of a lab spec (the session, the read's parsing, planning, printing,
// the transaction and its verification). Their `ssh` is a stand-in on PATH that serves netctl's held
// session (src/transport/lock.ts), answering its Nth script with the file RUN/N (or the last one),
// recorded reads of that node (test/fixtures/observe): no host is needed.
import {chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import bundle from '../bin/bundle.cjs';

const root = join(import.meta.dirname, '..');
const fixtures = join(root, 'test', 'fixtures', 'observe');
const examples = readdirSync(join(root, 'examples')).filter((file) => file.endsWith('.yaml')).map((file) => join(root, 'examples', file));
const empty = readFileSync(join(fixtures, 'empty-node1.txt'), 'utf8');
const applied = readFileSync(join(fixtures, 'overlay-node1.txt'), 'utf8');
const node1 = ['-f', join(fixtures, 'overlay-spec.yaml'), '--target', 'node1'];
// Each run: netctl's arguments, and the answers to its scripts in turn.
const runs = [
  {args: ['validate', ...examples], answers: []},
  {args: ['plan', ...node1], answers: [empty]},
  {args: ['plan', ...node1, '--destroy'], answers: [applied]},
  // The lock and the read, then the transaction with the re-read (apply's mark, then the node as applied).
  {args: ['apply', ...node1, '--auto-approve', '--no-confirm'], answers: [empty, `@@netctl-tx applied\n${applied}`]},
];

const standIn = mkdtempSync(join(tmpdir(), 'netctl-code-cache-'));
writeFileSync(join(standIn, 'ssh'), [
  '#!/bin/sh',
  'echo netctl-session-ready',
  'n=0',
  'while read -r request size; do',
  '  case "$request" in lock*) echo "@@lock taken";; esac',
  '  case "$request" in *run) head -c "$size" >/dev/null; n=$((n + 1)); [ -f "$NETCTL_ANSWERS/$n" ] && answer="$NETCTL_ANSWERS/$n"',
  '    echo "@@run begin"; cat "$answer"; echo; echo " @@run end 0 ";; esac',
  'done',
  '',
].join('\n'));
chmodSync(join(standIn, 'ssh'), 0o755);
process.env.PATH = `${standIn}:${process.env.PATH}`;

const {exports: netctl, script} = bundle.loadBundle({codeCache: undefined});
const write = process.stdout.write.bind(process.stdout);
try {
  for (const [i, {args, answers}] of runs.entries()) {
    process.env.NETCTL_ANSWERS = join(standIn, `run-${i}`);
    mkdirSync(process.env.NETCTL_ANSWERS);
    answers.forEach((answer, n) => writeFileSync(join(process.env.NETCTL_ANSWERS, String(n + 1)), answer));
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
