/** One line per reconcile event, for people. */
import type {ReconcileEvent} from '../engine/reconcile.js';

export function renderEvent(e: ReconcileEvent): string {
  switch (e.event) {
    case 'started':
      return `reconciling ${e.nodes} node${e.nodes === 1 ? '' : 's'}, ${e.probes} readiness probe${e.probes === 1 ? '' : 's'}`;
    case 'pod-ready':
      return `pod ${e.pod} ready (${e.node}): ${e.detail}`;
    case 'pod-not-ready':
      return `pod ${e.pod} not ready (${e.node}): ${e.detail}`;
    case 'endpoints-changed':
      return `endpoints changed on ${e.node}: ${e.service}${e.added.map((a) => ` +${a}`).join('')}${e.removed.map((r) => ` -${r}`).join('')}`;
    case 'drift-repaired':
      return `drift repaired on ${e.node}: ${e.changes} change${e.changes === 1 ? '' : 's'}`;
    case 'change-failed':
      return `change failed on ${e.node}: ${e.error}`;
    case 'node-lost':
      return `node ${e.node} lost: ${e.detail}`;
    case 'node-back':
      return `node ${e.node} back: ${e.detail}`;
    case 'node-destroyed':
      return `node ${e.node} left alone: netctl destroy removed netctl's objects from it, and the loop does not build them again; netctl apply does, and the loop keeps the node from then on`;
    case 'sync-postponed':
      return `sync postponed: ${e.reason}`;
    case 'spec-changed':
      return `spec ${e.file} changed: reconciling it from now on`;
    case 'spec-not-taken':
      return `spec ${e.file} changed but cannot be taken up; still reconciling the spec as it was: ${e.problems[0] ?? ''}${e.problems.length > 1 ? ` (and ${e.problems.length - 1} more)` : ''}`;
    case 'stopped':
      return 'stopped; the network is left as it is';
  }
}
