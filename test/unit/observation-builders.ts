import type {NodeObservation} from '../../src/observe/parse.js';
import {hostRoutes, isHostRoute} from '../../src/resources/host-routes.js';
import {iptablesState, isIptables} from '../../src/resources/iptables.js';
import {byKey, type Resource} from '../../src/resources/model.js';

/** A node with nothing of netctl's on it: only its uplink holding its address. */
export function emptyNode(address: string, uplink = 'eth0'): NodeObservation {
  return {
    resources: new Map(),
    hostRoutes: hostRoutes([]),
    iptables: iptablesState([]),
    foreign: new Map(),
    hostAddresses: [{dev: uplink, address}],
    hostLinks: new Set([uplink, 'ens3']),
    routesToPeers: new Map(),
    linkTypes: new Map(),
    missingTools: [],
    nameservers: ['192.0.2.53'],
    probeOutputs: new Map(),
    iptablesBackend: 'nf_tables',
    chainsInOtherBackend: undefined,
    iptablesRules: 0,
    brNetfilter: undefined,
    host: {
      linkMtus: new Map([[uplink, 1500], ['ens3', 1500]]),
      foreignAddresses: [{dev: uplink, cidr: `${address}/24`}],
      foreignRoutes: [{dst: 'default', dev: uplink}],
      rpFilter: new Map([['all', 0], [uplink, 0]]),
      iptablesMode: 'nf_tables',
    },
  };
}

/** A node that holds exactly these netctl objects. */
export function nodeHolding(address: string, resources: readonly Resource[]): NodeObservation {
  return {
    ...emptyNode(address),
    resources: byKey(resources.filter((r) => !isIptables(r) && !isHostRoute(r))),
    hostRoutes: hostRoutes(resources.filter(isHostRoute)),
    iptables: iptablesState(resources.filter(isIptables)),
  };
}
