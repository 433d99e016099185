/** Runs the checks of every node in parallel, one round trip per node, with optional responders. */
import {mapLimit} from '../engine/limit.js';
import type {Session} from '../engine/session.js';
import {DEBIAN_PACKAGES, type HostTool} from '../host/packages.js';
import type {ClusterNetwork} from '../spec/types.js';
import {UnreachableError} from '../transport/transport.js';
import {withReadiness} from '../desired/readiness.js';
import {netnsPod, podNetns} from '../desired/names.js';
import {needsRoot} from '../observe/script.js';
import {NXDOMAIN_SECONDS, connectivityChecks, servedPorts, toolsOf, type Check} from './checks.js';
import {probeReadiness} from './readiness.js';
import {CHECK_MARK, CHECK_TIMEOUT, SERVE_TOOLS, STOP_SERVING, absentPodsIn, checksScript, notRootIn, missingToolsIn, serveScript} from './script.js';

/** `not run`: the check could not be made (a tool it needs is missing), which proves nothing either way. */
export type CheckStatus = 'passed' | 'failed' | 'not run';

export interface CheckResult {
  readonly check: Check;
  readonly status: CheckStatus;
  /** What happened, for people: "ok", "unreachable", "no listener", ... */
  readonly outcome: string;
  readonly detail: string;
}

/** The result of a check that ran, as a function of whether it passed and what happened. */
const resultOf = (check: Check, output: string) => (passed: boolean, outcome: string): CheckResult =>
  ({check, status: passed ? 'passed' : 'failed', outcome, detail: output});

export function interpret(check: Check, exit: number, output: string, serving: boolean): CheckResult {
  if (check.kind === 'dns' || check.kind === 'nxdomain') return interpretDns(check, exit, output);
  const result = resultOf(check, output);
  if (check.kind === 'policy') {
    const connected = exit === 0;
    // netctl refuses what policies deny: a connection that hangs was dropped somewhere, not refused.
    if (exit === 124) return result(false, `no answer in ${CHECK_TIMEOUT} s, but the spec says ${check.allowed === true ? 'allowed' : 'denied, and netctl refuses denied connections rather than dropping them'} (${check.reason ?? ''})`);
    const what = connected ? 'connected' : 'refused';
    if (connected === check.allowed) return result(true, `${connected ? 'allowed' : 'denied'}, as the spec says`);
    return result(false, `${what}, but the spec says ${check.allowed === true ? 'allowed' : 'denied'} (${check.reason ?? ''})`);
  }
  if (check.refused === true) {
    if (exit === 0) return result(false, `${check.kind === 'udp' ? 'answered' : 'connected'}, but the port has no endpoints: it must refuse connections`);
    if (/refused/i.test(output)) return result(true, 'refused, as a port without endpoints must');
    return result(false, exit === 124 ? `no answer in ${CHECK_TIMEOUT} s: a port without endpoints must refuse connections at once` : 'unreachable');
  }
  if (exit === 0) return result(true, check.kind === 'tcp' ? 'connected' : check.kind === 'udp' ? 'answered' : 'ok');
  switch (check.kind) {
    case 'ping':
      return result(false, 'unreachable');
    case 'mtu':
      return result(false, /too long|mtu/i.test(output)
        ? 'packet too big: the path MTU is below the pod MTU'
        : `a don't-fragment packet of ${check.size ?? 0} bytes was lost: the path MTU is below the pod MTU`);
    case 'tcp':
    case 'udp':
      if (/refused/i.test(output)) return result(false, serving ? 'no listener' : 'no listener (nothing listens on the endpoints; --serve starts a responder)');
      if (exit === 124) return result(false, `unreachable (no answer in ${CHECK_TIMEOUT} s)`);
      return result(false, 'unreachable');
  }
}

/** What a DNS check's exit status and output mean. */
function interpretDns(check: Check, exit: number, output: string): CheckResult {
  const result = resultOf(check, output);
  if (check.kind === 'nxdomain') {
    if (exit === 2) return result(true, 'no such name');
    return exit === 0 ? result(false, `resolves (to ${output.trim().split(/\s+/)[0] ?? '?'}), but must not exist`) : result(false, `no answer within ${NXDOMAIN_SECONDS} s: unknown names must fail at once`);
  }
  const got = output.trim().split(/\s+/).filter((a) => a !== '').sort();
  const want = [...(check.expect ?? [])].sort();
  if (got.length === 0) return result(false, 'does not resolve');
  return got.join(' ') === want.join(' ') ? result(true, 'ok') : result(false, `resolves to ${got.join(' ')}, expected ${want.join(' ')}`);
}

/** One error per node and missing tool: what it stops, and the package that provides it. */
export function missingToolError(node: string, tool: HostTool, stops: string): string {
  return `${node}: ${tool} is not installed, so ${stops} (Debian/Ubuntu package ${DEBIAN_PACKAGES[tool]})`;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export async function runVerify(session: Session, cluster: ClusterNetwork, parallelism: number, serve: boolean): Promise<{results: CheckResult[]; errors: string[]}> {
  const nodes = cluster.nodes.filter((n) => session.transports.has(n.name)).map((n) => n.name);
  const notReady = await probeReadiness(session, cluster, nodes, parallelism);
  const checks = connectivityChecks(cluster, nodes, notReady);
  // Each node's errors, printed in the spec's order of nodes whatever order the nodes answer in.
  const errorsOf = new Map<string, string[]>(nodes.map((n) => [n, []]));
  const ports = servedPorts(withReadiness(cluster, new Set(notReady.map((n) => n.pod.ip))), checks);
  // Only nodes of the session: with --target, the others are not contacted, not even to serve.
  const servingNodes = serve ? nodes.filter((n) => cluster.pods.some((p) => p.node === n && ports.has(podNetns(p)))) : [];
  // Nodes where --serve could not start its responders: the service checks that need them are not run.
  const notServing = new Map<string, HostTool[]>();
  try {
    await mapLimit(servingNodes, parallelism, async (node) => {
      const mine = new Map([...ports].filter(([pod]) => cluster.pods.find((p) => podNetns(p) === pod)?.node === node));
      try {
        const answer = await session.transport(node).run(serveScript(mine));
        const missing = missingToolsIn(answer.stdout).filter((t) => SERVE_TOOLS.includes(t));
        if (missing.length > 0) notServing.set(node, missing);
        for (const tool of missing) errorsOf.get(node)!.push(missingToolError(node, tool, '--serve cannot start responders there'));
      } catch (error) {
        errorsOf.get(node)!.push(error instanceof Error ? error.message : String(error));
      }
    });
    const perNode = await mapLimit(nodes, parallelism, async (node): Promise<CheckResult[]> => {
      const mine = checks.filter((c) => c.node === node);
      if (mine.length === 0) return [];
      try {
        const answer = await session.transport(node).run(checksScript(mine));
        const uid = notRootIn(answer.stdout);
        if (uid !== undefined) {
          errorsOf.get(node)!.push(`${node}: no check was run there: ${needsRoot(uid)}`);
          return mine.map((check) => ({check, status: 'not run', outcome: `not run: netctl needs root on ${node}`, detail: ''}));
        }
        const missing = missingToolsIn(answer.stdout);
        for (const tool of missing) {
          const count = mine.filter((c) => toolsOf(c).includes(tool)).length;
          errorsOf.get(node)!.push(missingToolError(node, tool, `${plural(count, 'check')} that need it were not run`));
        }
        const absent = new Set(absentPodsIn(answer.stdout));
        if (absent.size > 0) errorsOf.get(node)!.push(`${node}: ${plural(absent.size, 'pod')} of the spec ${absent.size === 1 ? 'is' : 'are'} not on the node (${[...absent].map(netnsPod).join(', ')}: no network namespace); apply the spec first (netctl plan shows what is missing)`);
        const lines = new Map(answer.stdout.split('\n').filter((l) => l.startsWith(`${CHECK_MARK} `)).map((l) => {
          const [, id = '', exit = '1', ...rest] = l.split(' ');
          return [id, {exit: Number(exit), output: rest.join(' ')}] as const;
        }));
        return mine.map((check): CheckResult => {
          if (check.kind === 'policy' && !serve) return {check, status: 'not run', outcome: 'not run: needs --serve (a denied connection is refused like a closed port)', detail: ''};
          if (check.pod !== undefined && absent.has(check.pod)) return {check, status: 'failed', outcome: `pod ${netnsPod(check.pod)} is not on ${node} (no network namespace)`, detail: ''};
          const lacking = toolsOf(check).filter((t) => missing.includes(t));
          if (lacking.length > 0) return {check, status: 'not run', outcome: `not run: ${lacking.join(' and ')} missing on ${node}`, detail: ''};
          const unserved = (check.endpointNodes ?? []).filter((n) => notServing.has(n));
          if (unserved.length > 0) {
            return {check, status: 'not run', outcome: `not run: no responder on ${unserved.join(', ')} (${[...new Set(unserved.flatMap((n) => notServing.get(n)!))].join(' and ')} missing)`, detail: ''};
          }
          const line = lines.get(check.id);
          return line === undefined ? {check, status: 'failed', outcome: 'no result', detail: answer.stderr.trim()} : interpret(check, line.exit, line.output, serve);
        });
      } catch (error) {
        if (!(error instanceof UnreachableError)) throw error;
        errorsOf.get(node)!.push(error.message);
        return mine.map((check) => ({check, status: 'failed', outcome: 'node unreachable', detail: error.message}));
      }
    });
    return {results: perNode.flat(), errors: nodes.flatMap((n) => errorsOf.get(n)!)};
  } finally {
    await mapLimit(servingNodes, parallelism, async (node) => {
      await session.transport(node).run(STOP_SERVING).catch(() => undefined);
    });
  }
}
