// In-process planning at scale: load a spec of NODES nodes, PODS pods and SERVICES services, then
// plan every node (desired state + diff, through planNode as `netctl plan` does) against a node that
// holds nothing and against a node that already holds its desired state. Prints times and peak memory.
// Targets (compile + diff, both cases, all nodes): at 1,000 nodes < 2 s and < 1 GiB; at 5,000 nodes
// (NODES=5000 PODS=50000 SERVICES=5000) < 10 s and < 2 GiB. KEEP=1 keeps every node's plan, as
// `netctl plan` does to print them; by default each plan is dropped once counted, as a run that streams
// node by node would.
import {execFileSync} from 'node:child_process';
import {cpus} from 'node:os';
import {fileURLToPath} from 'node:url';
import {performance} from 'node:perf_hooks';
import {checkSpecText, desiredState, formatAddress, hostRoutes, iptablesState, planNode} from './lib/core.mjs';

const env = {...process.env, NODES: process.env.NODES ?? '1000', PODS: process.env.PODS ?? '10000', SERVICES: process.env.SERVICES ?? '2000'};
const text = execFileSync(process.execPath, [fileURLToPath(import.meta.resolve('./lib/generate-spec.mjs'))], {env, maxBuffer: 1 << 30}).toString();

const t0 = performance.now();
const {cluster} = checkSpecText(text);
const loadMs = performance.now() - t0;

// What a node holds, as observe's parser hands it over (fresh objects with their keys, and the digests
// of the node's host routes and iptables objects), built from a separate compilation so that planning starts cold as
// a fresh `netctl plan` does. Building it is observation, so it is not timed.
const {cluster: twin} = checkSpecText(text);
const uplink = 'eth0';
const observation = (node, resources, routes, iptables) => ({
  resources, hostRoutes: routes, iptables, foreign: new Map(), hostAddresses: [{dev: uplink, address: formatAddress(node.address)}], hostLinks: new Set([uplink]),
  routesToPeers: new Map(), linkTypes: new Map(), missingTools: [], iptablesBackend: 'nf_tables', chainsInOtherBackend: undefined,
  host: {linkMtus: new Map([[uplink, 1500]]), foreignAddresses: [], foreignRoutes: [], rpFilter: new Map(), iptablesMode: 'nf_tables'},
});
const nothing = iptablesState([]);
const heldIptables = iptablesState(structuredClone(desiredState({cluster: twin, node: twin.nodes[0], facts: {uplink}}).iptables.resources));
const empty = (i) => observation(cluster.nodes[i], new Map(), hostRoutes([]), nothing);
const matching = (i) => {
  const held = desiredState({cluster: twin, node: twin.nodes[i], facts: {uplink}});
  return observation(cluster.nodes[i], structuredClone(held.node), hostRoutes(structuredClone(held.hostRoutes.resources)), heldIptables);
};

const keep = process.env.KEEP === '1';

/** Plans every node against what `observe` gives for it; kept with KEEP=1, else dropped once counted. */
function planAll(observe) {
  const plans = [];
  let ms = 0;
  let changes = 0;
  cluster.nodes.forEach((node, i) => {
    const observed = observe(i);
    const start = performance.now();
    const plan = planNode(cluster, node, observed, 'apply');
    ms += performance.now() - start;
    changes += plan.changes.length;
    if (keep) plans.push(plan);
  });
  return {ms, changes, plans};
}

const fromEmpty = planAll(empty);
fromEmpty.plans.length = 0;
const whenMatching = planAll(matching);

const maxRssMiB = process.resourceUsage().maxRSS / 1024;
const ms = (x) => `${Math.round(x)} ms`;
console.log(`machine: ${cpus().length} cores, ${process.version}`);
console.log(`spec: ${cluster.nodes.length} nodes, ${cluster.pods.length} pods, ${cluster.services.length} services; ${Math.round(fromEmpty.changes / cluster.nodes.length)} objects per node`);
console.log(`load and validate (parse, schema, rules, allocation; bench/validate measures it as a command): ${ms(loadMs)}`);
console.log(`compile + diff against empty nodes, all nodes: ${ms(fromEmpty.ms)}; ${fromEmpty.changes} changes`);
console.log(`compile + diff against matching nodes, all nodes: ${ms(whenMatching.ms)}; ${whenMatching.changes} changes`);
const big = cluster.nodes.length >= 5000;
console.log(`compile + diff, both: ${ms(fromEmpty.ms + whenMatching.ms)} (target < ${big ? 10000 : 2000} ms); peak memory ${Math.round(maxRssMiB)} MiB (target < ${big ? 2048 : 1024} MiB); plans ${keep ? 'kept' : 'dropped node by node'}`);
