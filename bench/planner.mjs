// In-process planning at scale: load a spec of NODES nodes, PODS pods and SERVICES services, then
// plan every node (desired state + diff, through planNode as `netctl plan` does) against a node that
// holds nothing and against a node that already holds its desired state. Prints times and peak memory.
// Run after `npm run build`. Target (compile + diff, both cases, all nodes): < 2 s and < 1 GiB.
import {execFileSync} from 'node:child_process';
import {cpus} from 'node:os';
import {fileURLToPath} from 'node:url';
import {performance} from 'node:perf_hooks';
import {desiredState} from '../dist/desired/index.js';
import {formatAddress} from '../dist/net/ipv4.js';
import {planNode} from '../dist/plan/node-plan.js';
import {iptablesState} from '../dist/resources/iptables.js';
import {checkSpecText} from '../dist/spec/check.js';

const env = {...process.env, NODES: process.env.NODES ?? '1000', PODS: process.env.PODS ?? '10000', SERVICES: process.env.SERVICES ?? '2000'};
const text = execFileSync(process.execPath, [fileURLToPath(import.meta.resolve('./lib/generate-spec.mjs'))], {env, maxBuffer: 1 << 30}).toString();

const t0 = performance.now();
const {cluster} = checkSpecText(text);
const loadMs = performance.now() - t0;

// What the nodes hold, built before timing from a separate compilation, so planning below starts cold
// as a fresh `netctl plan` does. Every object is a copy, keyed, as observe's parser gives them (it
// also digests the node's iptables objects while reading them).
const {cluster: twin} = checkSpecText(text);
const uplink = 'eth0';
const observation = (node, resources, iptables) => ({
  resources, iptables, foreign: new Map(), hostAddresses: [{dev: uplink, address: formatAddress(node.address)}], hostLinks: new Set([uplink]),
  routesToPeers: new Map(), linkTypes: new Map(), missingTools: [], iptablesBackend: 'nf_tables', chainsInOtherBackend: undefined,
});
const nothing = iptablesState([]);
const heldIptables = iptablesState(structuredClone(desiredState({cluster: twin, node: twin.nodes[0], facts: {uplink}}).iptables.resources));
const empty = cluster.nodes.map((node) => observation(node, new Map(), nothing));
const matching = twin.nodes.map((node) => observation(node, structuredClone(desiredState({cluster: twin, node, facts: {uplink}}).node), heldIptables));

let changesFromEmpty = 0;
let changesWhenMatching = 0;
let objects = 0;
const t1 = performance.now();
cluster.nodes.forEach((node, i) => {
  const plan = planNode(cluster, node, empty[i], 'apply');
  changesFromEmpty += plan.changes.length;
  objects += plan.desired.length;
});
const t2 = performance.now();
cluster.nodes.forEach((node, i) => {
  changesWhenMatching += planNode(cluster, node, matching[i], 'apply').changes.length;
});
const t3 = performance.now();

const maxRssMiB = process.resourceUsage().maxRSS / 1024;
const ms = (x) => `${Math.round(x)} ms`;
console.log(`machine: ${cpus().length} cores, ${process.version}`);
console.log(`spec: ${cluster.nodes.length} nodes, ${cluster.pods.length} pods, ${cluster.services.length} services; ${Math.round(objects / cluster.nodes.length)} objects per node`);
console.log(`load and validate (parse, schema, rules, allocation; bench/validate measures it as a command): ${ms(loadMs)}`);
console.log(`compile + diff against empty nodes, all nodes: ${ms(t2 - t1)}; ${changesFromEmpty} changes`);
console.log(`compile + diff against matching nodes, all nodes: ${ms(t3 - t2)}; ${changesWhenMatching} changes`);
console.log(`compile + diff, both: ${ms(t3 - t1)} (target < 2000 ms); peak memory ${Math.round(maxRssMiB)} MiB (target < 1024 MiB)`);
