/**
 * The reconcile command's run: the loop over the spec file it follows. Each valid change of the file
 * ends the running loop and starts a new one on the new spec, over a new session that is open (and
 * catches signals) before the old one ends, with the readiness of the pods the change left alone; a
 * signal at any point ends it all gracefully.
 */
import {Reconciler, realClock, type ReconcileEvent, type ReconcileOptions} from '../engine/reconcile.js';
import {Session} from '../engine/session.js';
import type {ReadinessTracker} from '../plan/readiness.js';
import type {ClusterNetwork} from '../spec/types.js';
import type {TargetFlags} from './common.js';
import {SpecFollower} from './spec-follower.js';

export interface FollowedSpec {
  readonly file: string;
  readonly cluster: ClusterNetwork;
  readonly sha256: string;
  readonly nodes: readonly string[];
  readonly targets: TargetFlags;
}

export async function reconcileFollowing(spec: FollowedSpec, options: Omit<ReconcileOptions, 'specChanged'> & {readonly connectTimeoutSeconds: number}, emit: (event: ReconcileEvent) => void): Promise<void> {
  const follower = new SpecFollower(spec.file, spec.cluster, spec.sha256, spec.targets);
  const stop = new AbortController();
  const stopping = () => stop.abort();
  let {cluster} = spec;
  let session = Session.open(cluster, [...spec.nodes], {connectTimeoutSeconds: options.connectTimeoutSeconds});
  let readiness: ReadinessTracker | undefined;
  try {
    for (;;) {
      let next: {readonly cluster: ClusterNetwork; readonly nodes: readonly string[]} | undefined;
      const specChanged = async () => {
        const change = await follower.next();
        if (change === undefined) return false;
        if ('problems' in change) {
          emit({event: 'spec-not-taken', file: spec.file, problems: change.problems});
          return false;
        }
        next = change;
        return true;
      };
      const reconciler = new Reconciler(session, cluster, {...options, specChanged}, emit, realClock, readiness);
      const outcome = await session.gracefully(stopping, () => reconciler.run(stop.signal));
      if (outcome === 'stopped' || next === undefined) return;
      readiness = reconciler.readiness;
      cluster = next.cluster;
      emit({event: 'spec-changed', file: spec.file});
      const old = session;
      session = Session.open(cluster, [...next.nodes], {connectTimeoutSeconds: options.connectTimeoutSeconds});
      await session.gracefully(stopping, () => old.gracefully(stopping, () => old.close()));
      if (stop.signal.aborted) {
        emit({event: 'stopped'});
        return;
      }
    }
  } finally {
    await session.close();
  }
}
