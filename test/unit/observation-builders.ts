import type {NodeObservation} from '../../src/observe/parse.js';

/** A node with nothing of netctl's on it: only its uplink holding its address. */
export function emptyNode(address: string, uplink = 'eth0'): NodeObservation {
  return {
    resources: [],
    foreign: new Map(),
    hostAddresses: [{dev: uplink, address}],
    hostLinks: new Set([uplink, 'ens3']),
    routesToPeers: new Map(),
    linkTypes: new Map(),
    missingTools: [],
    iptablesBackend: 'nf_tables',
    chainsInOtherBackend: undefined,
  };
}
