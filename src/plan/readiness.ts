/**
 * Which pods are ready, for a plan: each probed pod was probed once in its node's read round trip, and
 * one failure makes it not ready (the reconcile loop applies the thresholds over time). A probed pod
 * on a node that could not be read is not ready either; pods on nodes the run does not read
 * (`--target`) are taken as they are.
 */
import {probeResult, type ProbeResult} from '../observe/probes.js';
import type {ClusterNetwork, Pod, Probe} from '../spec/types.js';

export interface NotReady {
  readonly pod: Pod;
  readonly detail: string;
}

/** How a probe is named in messages: `tcp 8080`, `http GET :8080/healthz`, `exec cat /tmp/ready`. */
export function probeName(probe: Probe): string {
  switch (probe.action.kind) {
    case 'tcpSocket':
      return `tcp ${probe.action.port}`;
    case 'httpGet':
      return `http GET :${probe.action.port}${probe.action.path}`;
    case 'exec':
      return `exec ${probe.action.command.join(' ')}`;
  }
}

/** `web-1 not ready: tcp 8080: connection refused` */
export function notReadyText(entry: NotReady): string {
  return `${entry.pod.name} not ready: ${probeName(entry.pod.readinessProbe!)}: ${entry.detail}`;
}

/**
 * The probed pods that are not ready. `probed` holds, per node read, the raw probe outputs by pod;
 * `lost` the nodes that could not be read.
 */
export function notReadyPods(cluster: ClusterNetwork, probed: ReadonlyMap<string, ReadonlyMap<string, string>>, lost: ReadonlySet<string>): NotReady[] {
  const found: NotReady[] = [];
  for (const pod of cluster.pods) {
    const probe = pod.readinessProbe;
    if (probe === undefined) continue;
    if (lost.has(pod.node)) {
      found.push({pod, detail: 'its node cannot be read'});
      continue;
    }
    const output = probed.get(pod.node)?.get(pod.name);
    if (output === undefined) continue;
    const result: ProbeResult = probeResult(probe, output);
    if (!result.ready) found.push({pod, detail: result.detail});
  }
  return found;
}
