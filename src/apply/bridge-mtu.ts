/**
 * A bridge's MTU set when it is made (`ip link add ... mtu M`) is not the kernel's "set by the user":
 * the bridge follows its ports (the smallest of their MTUs) and, with its last port gone, falls back to
 * 1500. So a bridge that loses ports in an apply, and stays, has its MTU of just before set again after
 * them, which also makes the kernel keep it from then on (a bridge changed in the same apply gets its
 * MTU from that change).
 */
import {shellQuote} from '../shell/quote.js';
import type {Change} from '../plan/diff.js';

/** Bridges (of the node itself) that lose ports in these changes and are not changed themselves. */
export function bridgesLosingPorts(changes: Iterable<Change>): string[] {
  const losing = new Set<string>();
  const changed = new Set<string>();
  for (const change of changes) {
    if (change.kind !== 'link') continue;
    const before = change.before;
    if (before?.kind === 'link' && before.ns === '' && before.master !== undefined && change.action !== 'create') {
      if (change.action === 'delete' || change.action === 'replace' || (change.after?.kind === 'link' && change.after.master !== before.master)) losing.add(before.master);
    }
    const link = change.after ?? change.before;
    if (link?.kind === 'link' && link.ns === '') changed.add(link.name);
  }
  return [...losing].filter((bridge) => !changed.has(bridge)).sort();
}

/** Shell lines that note each bridge's MTU now, before the changes. */
export function noteMtus(bridges: readonly string[]): string[] {
  return bridges.flatMap((bridge, i) => [
    `mtu_${i}=$(ip -o link show dev ${shellQuote(bridge)})`,
    `mtu_${i}=\${mtu_${i}#* mtu }; mtu_${i}=\${mtu_${i}%% *}`,
  ]);
}

/** Shell lines that set each bridge's MTU noted by noteMtus again. */
export function restoreMtus(bridges: readonly string[]): string[] {
  return bridges.map((bridge, i) => `ip link set dev ${shellQuote(bridge)} mtu "$mtu_${i}"`);
}
