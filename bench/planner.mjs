// In-process planning at scale: compile a spec of NODES nodes, PODS pods and SERVICES services, then
// compute nodes' desired states and diff them against an empty node and against a node that already
// matches. Every node carries every service's rules (kube-proxy semantics), so planning is linear in
// nodes x rules; SAMPLE nodes (default 25) are planned and the time for all nodes is extrapolated
// (SAMPLE=all plans every node). Prints times and peak memory. Run after `npm run build`.
import {execFileSync} from 'node:child_process';
import {cpus} from 'node:os';
import {fileURLToPath} from 'node:url';
import {performance} from 'node:perf_hooks';
import {desiredState} from '../dist/desired/index.js';
import {diff} from '../dist/plan/diff.js';
import {checkSpecText} from '../dist/spec/check.js';

const env = {...process.env, NODES: process.env.NODES ?? '1000', PODS: process.env.PODS ?? '10000', SERVICES: process.env.SERVICES ?? '2000'};
const text = execFileSync(process.execPath, [fileURLToPath(import.meta.resolve('./lib/generate-spec.mjs'))], {env, maxBuffer: 1 << 30}).toString();

const t0 = performance.now();
const {cluster} = checkSpecText(text);
const t1 = performance.now();
let resources = 0;
let changesFromEmpty = 0;
let changesWhenMatching = 0;
let emptyMs = 0;
let matchingMs = 0;
const sample = process.env.SAMPLE === 'all' ? cluster.nodes : cluster.nodes.slice(0, Number(process.env.SAMPLE ?? 25));
for (const node of sample) {
  const a = performance.now();
  const desired = desiredState({cluster, node, facts: {uplink: 'eth0'}});
  changesFromEmpty += diff(desired, {resources: [], foreign: new Map()}).changes.length;
  const b = performance.now();
  changesWhenMatching += diff(desired, {resources: desired, foreign: new Map()}).changes.length;
  const c = performance.now();
  emptyMs += b - a;
  matchingMs += c - b;
  resources += desired.length;
}
const maxRssMiB = process.resourceUsage().maxRSS / 1024;
console.log(`machine: ${cpus().length} cores, ${process.version}`);
console.log(`spec: ${cluster.nodes.length} nodes, ${cluster.pods.length} pods, ${cluster.services.length} services`);
console.log(`compile (parse, validate, allocate): ${Math.round(t1 - t0)} ms`);
const scale = cluster.nodes.length / sample.length;
const note = sample.length === cluster.nodes.length ? '' : ` (measured on ${sample.length} nodes, x${scale.toFixed(0)} for all)`;
console.log(`desired + diff against empty nodes: ${Math.round(emptyMs * scale)} ms${note}; ${changesFromEmpty} changes on the measured nodes`);
console.log(`diff against matching nodes: ${Math.round(matchingMs * scale)} ms${note}; ${changesWhenMatching} changes`);
console.log(`objects per node: ${Math.round(resources / sample.length)}`);
console.log(`total for all nodes: ${Math.round(t1 - t0 + (emptyMs + matchingMs) * scale)} ms (target < 2000 ms); peak memory ${Math.round(maxRssMiB)} MiB (target < 1024 MiB)`);
