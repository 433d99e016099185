/**
 * A bridge that loses ports keeps its MAC and its MTU. Unless they were set after the bridge was made,
 * the kernel derives both from the ports: the MAC is the smallest of theirs, so removing the pod whose
 * port lent it changes the pods' gateway under them (their ARP caches keep the old MAC, which nothing
 * answers any more, for up to a minute); the MTU is the smallest of theirs, and 1500 once the last port
 * is gone. So before the changes the bridge's MAC is set to itself, which makes the kernel keep it
 * (nothing changes on the wire), and after them its MTU of before is set again, for the same reason
 * (setting an unchanged MTU does nothing, so it cannot be pinned in advance). A bridge changed in the
 * same apply gets its MTU from that change.
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

/** Shell lines, before the changes: note each bridge's MTU, and set its MAC to itself. */
export function keepBridges(bridges: readonly string[]): string[] {
  return bridges.flatMap((bridge, i) => [
    `bridge_${i}=$(ip -o link show dev ${shellQuote(bridge)})`,
    `mac_${i}=\${bridge_${i}#*link/ether }; mac_${i}=\${mac_${i}%% *}; mtu_${i}=\${bridge_${i}#* mtu }; mtu_${i}=\${mtu_${i}%% *}`,
    `ip link set dev ${shellQuote(bridge)} address "$mac_${i}"`,
  ]);
}

/** Shell lines, after the changes: set each bridge's MTU noted by keepBridges again. */
export function restoreMtus(bridges: readonly string[]): string[] {
  return bridges.map((bridge, i) => `ip link set dev ${shellQuote(bridge)} mtu "$mtu_${i}"`);
}
