#!/usr/bin/env node
// bench/reconcile: NODES lab nodes (default 20), PODS pods with tcpSocket readiness probes (default 200,
// period PERIOD s, failureThreshold FAILURES), SERVICES services (default 100, two pods each). Prints
// the CPU time of `netctl reconcile` (its process and its ssh clients) over IDLE seconds with nothing
// changing (target: under 5% of one core), and the time from one pod's server dying to the last
// node's rules no longer sending to it (target: period x failureThreshold + 1 s). RESYNC (default 30s)
// is passed to --resync, PARALLELISM (default 10) to --parallelism. Needs root (a lab).
import {execa} from 'execa';
import {readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';

const root = join(import.meta.dirname, '..');
const bin = join(root, 'bin', 'run.cjs');
const NODES = Number(process.env.NODES ?? 20);
const PODS = Number(process.env.PODS ?? 200);
const SERVICES = Number(process.env.SERVICES ?? 100);
const PERIOD = Number(process.env.PERIOD ?? 5);
const FAILURES = Number(process.env.FAILURES ?? 2);
const IDLE = Number(process.env.IDLE ?? 60);
const RESYNC = process.env.RESYNC ?? '30s';
const PARALLELISM = process.env.PARALLELISM ?? '10';
const LAB = '/tmp/netctl-lab';

const spec = [
  'apiVersion: netctl/v1', 'kind: ClusterNetwork', 'metadata: {name: bench}', 'spec:', '  mode: overlay',
  '  clusterCIDR: 10.244.0.0/16', '  serviceCIDR: 10.96.0.0/16', `  ssh: {configFile: ${LAB}/ssh_config}`, '  nodes:',
  ...Array.from({length: NODES}, (_, i) => `    - {name: node${i + 1}, address: 203.0.113.${i + 1}/24}`),
  '  pods:',
  ...Array.from({length: PODS}, (_, i) => `    - {name: pod-${i}, node: node${(i % NODES) + 1}, labels: {svc: s${i % SERVICES}}, ports: [{name: http, containerPort: 8080}], readinessProbe: {tcpSocket: {port: http}, periodSeconds: ${PERIOD}, failureThreshold: ${FAILURES}}}`),
  '  services:',
  ...Array.from({length: SERVICES}, (_, i) => `    - {name: s${i}, selector: {svc: s${i}}, ports: [{name: http, port: 80, targetPort: http}]}`),
].join('\n');

const nodePid = (n) => readFileSync(`${LAB}/node${n}.pid`, 'utf8').trim();
const onNode = (n, command, options = {}) => execa('nsenter', ['-t', nodePid(n), '-m', '-n', '--', ...command], options);
const ticks = (pid) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  // utime stime cutime cstime (fields 14-17 of stat; 12-15 after the command name)
  return fields.slice(11, 15).reduce((sum, f) => sum + Number(f), 0);
};
const childTicks = async (pid) => {
  const {stdout} = await execa('ps', ['-o', 'pid=', '--ppid', String(pid)], {reject: false});
  return stdout.split('\n').map((p) => p.trim()).filter(Boolean).reduce((sum, p) => {
    try {
      return sum + ticks(p);
    } catch {
      return sum;
    }
  }, 0);
};

const servers = [];
let reconcile;
try {
  await execa(bin, ['lab', 'up', '--nodes', String(NODES)]);
  const file = `${LAB}/bench-reconcile.yaml`;
  writeFileSync(file, `${spec}\n`);
  await execa(bin, ['apply', '-f', file, '--auto-approve'], {reject: false});
  for (let i = 0; i < PODS; i++) {
    const server = onNode((i % NODES) + 1, ['ip', 'netns', 'exec', `pod-${i}`, 'socat', 'TCP-LISTEN:8080,fork,reuseaddr', 'SYSTEM:echo ok'], {reject: false});
    servers.push(server);
  }
  reconcile = execa(bin, ['reconcile', '-f', file, '--json', '--resync', RESYNC, '--parallelism', PARALLELISM], {reject: false});
  const events = [];
  let buffer = '';
  reconcile.stdout.on('data', (chunk) => {
    buffer += chunk.toString();
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const line of lines) events.push({...JSON.parse(line), at: Date.now()});
  });
  const waitFor = async (condition, what, seconds) => {
    const deadline = Date.now() + seconds * 1000;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  await waitFor(() => events.filter((e) => e.event === 'pod-ready').length === PODS, 'every pod to be ready', 120);
  await waitFor(() => events.some((e) => e.event === 'endpoints-changed'), 'the first sync', 60);
  // Let the first sync end, then measure a quiet stretch.
  await new Promise((r) => setTimeout(r, 5000));
  const hz = Number((await execa('getconf', ['CLK_TCK'])).stdout);
  const before = ticks(reconcile.pid) + (await childTicks(reconcile.pid));
  const start = Date.now();
  await new Promise((r) => setTimeout(r, IDLE * 1000));
  const after = ticks(reconcile.pid) + (await childTicks(reconcile.pid));
  const seconds = (Date.now() - start) / 1000;
  const cpu = (after - before) / hz;

  // One server dies: until the last node's service rules stop sending to that pod.
  const victim = 0;
  const node = (victim % NODES) + 1;
  const {stdout: ipText} = await onNode(node, ['ip', 'netns', 'exec', `pod-${victim}`, 'ip', '-4', '-o', 'addr', 'show', 'eth0']);
  const ip = /inet ([\d.]+)/.exec(ipText)[1];
  servers[victim].kill('SIGKILL');
  const died = Date.now();
  const stillSending = async (n) => (await onNode(n, ['iptables-save', '-t', 'nat'])).stdout.includes(`--to-destination ${ip}:8080`);
  const pending = new Set(Array.from({length: NODES}, (_, i) => i + 1));
  // All pending nodes are looked at together, so the figure is not the time of a pass over them.
  await waitFor(async () => {
    const nodes = [...pending];
    const sending = await Promise.all(nodes.map(stillSending));
    nodes.forEach((n, i) => sending[i] || pending.delete(n));
    return pending.size === 0;
  }, 'every node to stop sending to the dead pod', 120);
  const gone = (Date.now() - died) / 1000;
  const detected = events.find((e) => e.event === 'pod-not-ready' && e.pod === `pod-${victim}` && e.at >= died);
  const detection = detected === undefined ? NaN : (detected.at - died) / 1000;

  console.log(`machine: ${(await execa('nproc')).stdout} cores, ${process.version}`);
  console.log(`lab: ${NODES} nodes, ${PODS} pods with tcpSocket probes (period ${PERIOD} s, failureThreshold ${FAILURES}), ${SERVICES} services; resync ${RESYNC}, parallelism ${PARALLELISM}`);
  console.log(`CPU of netctl reconcile with nothing changing: ${cpu.toFixed(2)} s over ${seconds.toFixed(0)} s = ${(100 * cpu / seconds).toFixed(1)}% of one core (target < 5%)`);
  console.log(`server died -> last node no longer sends to it: ${gone.toFixed(1)} s (target ${PERIOD * FAILURES + 1} s = period x failureThreshold + 1 s)`);
  const changed = events.filter((e) => e.event === 'endpoints-changed' && e.at >= died && e.removed.includes(`${ip}:8080`));
  const lastEvent = changed.length === 0 ? NaN : (Math.max(...changed.map((e) => e.at)) - died) / 1000;
  console.log(`  (the loop itself reported the last node changed, verified and confirmed ${lastEvent.toFixed(1)} s after the death)`);
  console.log(`  of which: detection (failureThreshold failed probes, at most period x failureThreshold = ${PERIOD * FAILURES} s) ${detection.toFixed(1)} s, then every node's rules changed ${(gone - detection).toFixed(1)} s later (target 1 s)`);
} finally {
  reconcile?.kill('SIGTERM');
  await reconcile;
  for (const server of servers) server.kill('SIGKILL');
  await execa(bin, ['lab', 'down'], {reject: false});
}
