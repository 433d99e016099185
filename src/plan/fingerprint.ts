/** What a plan was made against: a digest of a node's observed state, and what differs from it now. */
import {createHash} from 'node:crypto';
import type {NodeObservation} from '../observe/parse.js';
import {keyOf, type Resource} from '../resources/model.js';

function canonical(observed: NodeObservation): string {
  const resources = [...observed.resources].map(([key, r]) => [key, JSON.stringify(r)] as const).sort((a, b) => (a[0] < b[0] ? -1 : 1));
  return JSON.stringify({
    resources,
    hostRoutes: observed.hostRoutes.digest.toString(16),
    iptables: observed.iptables.digest,
    foreign: [...observed.foreign.keys()].sort(),
    addresses: observed.hostAddresses.map((a) => `${a.dev} ${a.address}`).sort(),
    links: [...observed.hostLinks].sort(),
    routesToPeers: [...observed.routesToPeers].sort(),
    linkTypes: [...observed.linkTypes].sort(),
    missingTools: [...observed.missingTools].sort(),
  });
}

export function fingerprint(observed: NodeObservation): string {
  return createHash('sha256').update(canonical(observed)).digest('hex');
}

/** netctl's objects that appeared, went or changed between two observations, for people. */
export function describeDrift(before: readonly Resource[], now: readonly Resource[]): string[] {
  const then = new Map(before.map((r) => [keyOf(r), JSON.stringify(r)]));
  const current = new Map(now.map((r) => [keyOf(r), JSON.stringify(r)]));
  const drift: string[] = [];
  for (const [key, value] of then) {
    if (!current.has(key)) drift.push(`${key} is gone`);
    else if (current.get(key) !== value) drift.push(`${key} changed`);
  }
  for (const key of current.keys()) if (!then.has(key)) drift.push(`${key} appeared`);
  return drift.sort();
}
