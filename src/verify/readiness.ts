/**
 * Readiness for verify: the probed pods are probed once on their nodes before the checks — and before
 * `--serve` starts its responders, which would answer a tcpSocket probe — so that each service is
 * checked against the endpoints it serves now, as a plan computes them: a port whose pods are all not
 * ready must refuse connections, and a headless name answers with ready pods only.
 */
import {mapLimit} from '../engine/limit.js';
import type {Session} from '../engine/session.js';
import {splitSections} from '../observe/parse.js';
import {probeOutputs, probeScript} from '../observe/probes.js';
import {notReadyPods, type NotReady} from '../plan/readiness.js';
import type {ClusterNetwork} from '../spec/types.js';
import {UnreachableError} from '../transport/transport.js';

/** The probed pods of these nodes that are not ready now; a node that cannot be reached: all of its. */
export async function probeReadiness(session: Session, cluster: ClusterNetwork, nodes: readonly string[], parallelism: number): Promise<NotReady[]> {
  const probedOn = (node: string) => cluster.pods.filter((p) => p.node === node && p.readinessProbe !== undefined);
  const probed = new Map<string, ReadonlyMap<string, string>>();
  const lost = new Set<string>();
  await mapLimit(nodes.filter((n) => probedOn(n).length > 0), parallelism, async (node) => {
    try {
      const {stdout} = await session.transport(node).run(`${probeScript(probedOn(node)).join('\n')}\n`);
      probed.set(node, probeOutputs(splitSections(stdout).sections));
    } catch (error) {
      if (!(error instanceof UnreachableError)) throw error;
      lost.add(node);
    }
  });
  return notReadyPods(cluster, probed, lost);
}
