// In-process plan computation for a spec file against an empty node: load, compile, diff, render the script.
import {Buffer} from 'node:buffer';
import {readFileSync} from 'node:fs';
import {performance} from 'node:perf_hooks';
import {applyScript, checkSpecText, desiredResources, desiredState, diff} from './core.mjs';

const text = readFileSync(process.argv[2], 'utf8');
const start = performance.now();
const {cluster} = checkSpecText(text);
const node = cluster.nodes[0];
const desired = desiredResources(desiredState({cluster, node, facts: {uplink: 'eth0'}}));
const {changes} = diff(desired, {resources: [], foreign: new Map()});
const script = applyScript(changes);
const ms = performance.now() - start;
const restore = script.slice(script.indexOf('iptables-restore'));
console.log(JSON.stringify({ms: Math.round(ms), resources: desired.length, restoreBytes: Buffer.byteLength(restore), restoreLines: restore.split('\n').length}));
