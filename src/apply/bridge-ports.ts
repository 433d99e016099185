/**
 * A bridge keeps its MAC and its MTU whatever ports come and go. Unless they were set after the bridge
 * was made, the kernel derives both from the ports. The MAC becomes the smallest of theirs, so a pod
 * added or removed can change the pods' gateway under them: their ARP caches keep the old MAC, which
 * the bridge no longer takes frames for, for up to a minute. The MTU becomes the smallest of theirs,
 * and 1500 once the last port is gone.
 *
 * So a bridge's MAC is set to itself (nothing changes on the wire; the kernel keeps it from then on)
 * when it is made, before any port joins, and before ports join or leave a bridge made earlier. Its
 * MTU, which cannot be pinned in advance (setting an unchanged MTU does nothing), is set again after
 * ports leave it, unless the bridge itself changes in the same apply and so gets its MTU from that.
 */
import {BRIDGE} from '../desired/names.js';
import {shellQuote} from '../shell/quote.js';
import type {Link} from '../resources/model.js';
import type {Change} from '../plan/diff.js';

export interface BridgePorts {
  /** Bridges made before this apply whose ports change: their MAC is set to itself first. */
  readonly keepMac: readonly string[];
  /** Bridges that lose ports and do not change themselves: their MTU is set again after. */
  readonly keepMtu: readonly string[];
}

/** Which bridges of the node itself see ports join or leave in these changes. */
export function bridgePorts(changes: Iterable<Change>): BridgePorts {
  const touched = new Set<string>();
  const losing = new Set<string>();
  const madeOrGone = new Set<string>();
  const changed = new Set<string>();
  for (const change of changes) {
    if (change.kind !== 'link') continue;
    const before = change.before as Link | undefined;
    const after = change.after as Link | undefined;
    const link = after ?? before!;
    if (link.ns !== '') continue;
    changed.add(link.name);
    if (link.type === 'bridge' && change.action !== 'update') madeOrGone.add(link.name);
    const was = change.action === 'create' ? undefined : before?.master;
    const is = change.action === 'delete' ? undefined : after?.master;
    // Only netctl's bridge: a port can leave a bridge of someone else's (a veth enslaved there by hand),
    // which netctl leaves as it is.
    if (was !== is || change.action === 'replace') {
      if (was === BRIDGE) {
        touched.add(was);
        losing.add(was);
      }
      if (is === BRIDGE) touched.add(is);
    }
  }
  return {
    keepMac: [...touched].filter((bridge) => !madeOrGone.has(bridge)).sort(),
    keepMtu: [...losing].filter((bridge) => !changed.has(bridge)).sort(),
  };
}

/** A shell line that sets a bridge's MAC to itself (just made, or before its ports change). */
export function pinMac(bridge: string, ipCommand = 'ip'): string {
  const name = shellQuote(bridge);
  return `mac=$(${ipCommand} -o link show dev ${name}); mac=\${mac#*link/ether }; ${ipCommand} link set dev ${name} address "\${mac%% *}"`;
}

/** Shell lines before the changes: pin each bridge's MAC, note the MTUs to set again. */
export function beforePortChanges({keepMac, keepMtu}: BridgePorts): string[] {
  return [
    ...keepMac.map((bridge) => pinMac(bridge)),
    ...keepMtu.map((bridge, i) => `mtu_${i}=$(ip -o link show dev ${shellQuote(bridge)}); mtu_${i}=\${mtu_${i}#* mtu }; mtu_${i}=\${mtu_${i}%% *}`),
  ];
}

/** Shell lines after the changes: set the MTUs noted by beforePortChanges again. */
export function afterPortChanges({keepMtu}: BridgePorts): string[] {
  return keepMtu.map((bridge, i) => `ip link set dev ${shellQuote(bridge)} mtu "$mtu_${i}"`);
}
