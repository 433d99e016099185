/**
 * Which pods are ready, for a plan: each probed pod was probed once in its node's read round trip, and
 * one failure makes it not ready (the reconcile loop applies the thresholds over time). A probed pod
 * on a node that could not be read is not ready either; pods on nodes the run does not read
 * (`--target`) are taken as they are.
 */
import {isDeepStrictEqual} from 'node:util';
import {probeResult, type ProbeResult} from '../observe/probes.js';
import {podNetns} from '../desired/names.js';
import {podRef} from '../spec/namespaces.js';
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
  return `${podRef(entry.pod)} not ready: ${probeName(entry.pod.readinessProbe!)}: ${entry.detail}`;
}

/**
 * The probed pods that are not ready. `probed` holds, per node read, the raw probe outputs by the
 * pods' network namespaces;
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
    const output = probed.get(pod.node)?.get(podNetns(pod));
    if (output === undefined) continue;
    const result: ProbeResult = probeResult(probe, output);
    if (!result.ready) found.push({pod, detail: result.detail});
  }
  return found;
}

/** A pod's readiness over time, as the kubelet keeps it: consecutive results against the thresholds. */
interface PodState {
  ready: boolean;
  /** Set once the pod's first probe came back: until then it is not ready, and no sync waits for it. */
  probed: boolean;
  successes: number;
  failures: number;
  detail: string;
  /** When the next probe is due, in ms since the epoch. */
  due: number;
}

export interface ReadinessChange {
  readonly pod: Pod;
  readonly ready: boolean;
  readonly detail: string;
}

/**
 * The readiness of every probed pod over time. A pod starts not ready and is first probed after its
 * initialDelaySeconds; successThreshold consecutive successes make it ready, failureThreshold
 * consecutive failures not ready again. Pure: the caller says what time it is.
 */
export class ReadinessTracker {
  private readonly states = new Map<string, PodState>();

  constructor(private readonly pods: readonly Pod[], start: number) {
    for (const pod of pods) {
      const probe = pod.readinessProbe;
      if (probe !== undefined) this.states.set(podRef(pod), {ready: false, probed: false, successes: 0, failures: 0, detail: 'not probed yet', due: start + probe.initialDelaySeconds * 1000});
    }
  }

  /** The probed pods whose probe is due at `now`. */
  due(now: number): Pod[] {
    return this.pods.filter((p) => {
      const state = this.states.get(podRef(p));
      return state !== undefined && state.due <= now;
    });
  }

  /** When the next probe is due, or undefined with no probed pods. */
  nextDue(): number | undefined {
    let next: number | undefined;
    for (const state of this.states.values()) if (next === undefined || state.due < next) next = state.due;
    return next;
  }

  /**
   * Records a probe result (or a pod that could not be probed: its node is lost) and returns the pod's
   * readiness when it flipped, or when this was its first result.
   */
  record(pod: Pod, result: ProbeResult, now: number): ReadinessChange | undefined {
    const state = this.states.get(podRef(pod));
    const probe = pod.readinessProbe;
    if (state === undefined || probe === undefined) return undefined;
    const first = !state.probed;
    state.probed = true;
    state.due = now + probe.periodSeconds * 1000;
    state.detail = result.detail;
    if (result.ready) {
      state.successes++;
      state.failures = 0;
      if (!state.ready && state.successes >= probe.successThreshold) {
        state.ready = true;
        return {pod, ready: true, detail: result.detail};
      }
    } else {
      state.failures++;
      state.successes = 0;
      if (state.ready && state.failures >= probe.failureThreshold) {
        state.ready = false;
        return {pod, ready: false, detail: result.detail};
      }
    }
    return first ? {pod, ready: state.ready, detail: result.detail} : undefined;
  }

  /** Probes these pods again at once, and holds syncs until they are (their node came back). */
  reprobe(pods: readonly Pod[], now: number): void {
    for (const pod of pods) {
      const state = this.states.get(podRef(pod));
      if (state === undefined) continue;
      state.due = now;
      state.probed = false;
    }
  }

  /**
   * The tracker of a reloaded spec's `pods`: a pod this one tracks on the same node, at the same address
   * and with the same probe keeps its readiness, counts and schedule; the others start afresh.
   */
  followedBy(pods: readonly Pod[], start: number): ReadinessTracker {
    const next = new ReadinessTracker(pods, start);
    const tracked = new Map(this.pods.map((p) => [podRef(p), p]));
    for (const pod of pods) {
      const ref = podRef(pod);
      const before = tracked.get(ref);
      const state = this.states.get(ref);
      if (before === undefined || state === undefined || !next.states.has(ref)) continue;
      if (before.node === pod.node && before.ip === pod.ip && isDeepStrictEqual(before.readinessProbe, pod.readinessProbe)) next.states.set(ref, {...state});
    }
    return next;
  }

  /** Whether every pod that is due by now has been probed once (so a sync does not act on a guess). */
  settled(now: number): boolean {
    return [...this.states.values()].every((s) => s.probed || s.due > now);
  }

  /** The probed pods that are not ready now, and why. */
  notReady(): NotReady[] {
    return this.pods.flatMap((pod) => {
      const state = this.states.get(podRef(pod));
      return state === undefined || state.ready ? [] : [{pod, detail: state.detail}];
    });
  }
}
