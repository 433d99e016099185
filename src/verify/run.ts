/** Runs the checks of every node in parallel, one round trip per node, with optional responders. */
import {mapLimit} from '../engine/limit.js';
import type {Session} from '../engine/session.js';
import type {ClusterNetwork} from '../spec/types.js';
import {UnreachableError} from '../transport/transport.js';
import {connectivityChecks, servedPorts, type Check} from './checks.js';
import {CHECK_MARK, CHECK_TIMEOUT, STOP_SERVING, checksScript, serveScript} from './script.js';

export interface CheckResult {
  readonly check: Check;
  readonly passed: boolean;
  /** What happened, for people: "ok", "unreachable", "no listener", ... */
  readonly outcome: string;
  readonly detail: string;
}

export function interpret(check: Check, exit: number, output: string, serving: boolean): CheckResult {
  const result = (passed: boolean, outcome: string) => ({check, passed, outcome, detail: output});
  if (exit === 0) return result(true, check.kind === 'tcp' ? 'connected' : 'ok');
  switch (check.kind) {
    case 'ping':
      return result(false, 'unreachable');
    case 'mtu':
      return result(false, /too long|mtu/i.test(output)
        ? 'packet too big: the path MTU is below the pod MTU'
        : `a don't-fragment packet of ${check.size ?? 0} bytes was lost: the path MTU is below the pod MTU`);
    case 'tcp':
      if (/refused/i.test(output)) return result(false, serving ? 'no listener' : 'no listener (nothing listens on the endpoints; --serve starts a responder)');
      if (exit === 124) return result(false, `unreachable (no answer in ${CHECK_TIMEOUT} s)`);
      if (exit === 127) return result(false, 'cannot test: the node has no bash');
      return result(false, 'unreachable');
  }
}

export async function runVerify(session: Session, cluster: ClusterNetwork, parallelism: number, serve: boolean): Promise<{results: CheckResult[]; errors: string[]}> {
  const nodes = cluster.nodes.filter((n) => session.transports.has(n.name)).map((n) => n.name);
  const checks = connectivityChecks(cluster, nodes);
  const errors: string[] = [];
  const ports = servedPorts(cluster);
  // Only nodes of the session: with --target, the others are not contacted, not even to serve.
  const servingNodes = serve ? nodes.filter((n) => cluster.pods.some((p) => p.node === n && ports.has(p.name))) : [];
  try {
    await mapLimit(servingNodes, parallelism, async (node) => {
      const mine = new Map([...ports].filter(([pod]) => cluster.pods.find((p) => p.name === pod)?.node === node));
      try {
        const answer = await session.transport(node).run(serveScript(mine));
        if (answer.stdout.includes('@@serve missing socat')) errors.push(`${node}: --serve needs socat on the node`);
      } catch (error) {
        errors.push(error instanceof Error ? error.message : String(error));
      }
    });
    const perNode = await mapLimit(nodes, parallelism, async (node) => {
      const mine = checks.filter((c) => c.node === node);
      if (mine.length === 0) return [];
      try {
        const answer = await session.transport(node).run(checksScript(mine));
        const lines = new Map(answer.stdout.split('\n').filter((l) => l.startsWith(`${CHECK_MARK} `)).map((l) => {
          const [, id = '', exit = '1', ...rest] = l.split(' ');
          return [id, {exit: Number(exit), output: rest.join(' ')}] as const;
        }));
        return mine.map((check) => {
          const line = lines.get(check.id);
          return line === undefined ? {check, passed: false, outcome: 'not run', detail: answer.stderr.trim()} : interpret(check, line.exit, line.output, serve);
        });
      } catch (error) {
        if (!(error instanceof UnreachableError)) throw error;
        errors.push(error.message);
        return mine.map((check) => ({check, passed: false, outcome: 'node unreachable', detail: error.message}));
      }
    });
    return {results: perNode.flat(), errors};
  } finally {
    await mapLimit(servingNodes, parallelism, async (node) => {
      await session.transport(node).run(STOP_SERVING).catch(() => undefined);
    });
  }
}
