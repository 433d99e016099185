/**
 * A service's `externalIPs`, as in Kubernetes: addresses, not managed by netctl, that the user routes to
 * one or more nodes; a node that receives traffic for an external IP and a service port sends it to the
 * service's endpoints as it does its cluster IP's. Kubernetes' rules on them hold here.
 */
import {parseAddress} from '../net/ipv4.js';
import {error, servicePath, warning, type Diagnostic} from './diagnostics.js';
import {specialAddress} from './special-ips.js';
import type {ServiceDocument} from './types.js';

/** Kubernetes' rules on a service's external IPs, and netctl's one limit; reports what breaks them. */
export function checkExternalIPs(service: ServiceDocument, i: number, report: (d: Diagnostic) => void): void {
  const seen = new Set<string>();
  (service.externalIPs ?? []).forEach((text, j) => {
    const path = servicePath(i, 'externalIPs', j);
    if (seen.has(text)) report(error('external-ip', path, `service ${service.name}: external IP ${text} is listed twice`));
    seen.add(text);
    const address = parseAddress(text);
    const what = address === undefined ? undefined : specialAddress(address);
    if (what !== undefined) report(error('external-ip', path, `service ${service.name}: external IP ${text} is ${what}, which Kubernetes refuses: no traffic for it reaches a node`));
  });
  if ((service.externalIPs ?? []).length === 0) return;
  if (service.clusterIP === 'None') {
    report(warning('external-ip', servicePath(i, 'externalIPs'), `service ${service.name} is headless (clusterIP: None): it has no virtual IP to balance, so externalIPs have no effect`));
  } else if (service.externalTrafficPolicy === 'Local') {
    report(error('external-ip', servicePath(i, 'externalTrafficPolicy'), `service ${service.name}: externalTrafficPolicy Local with externalIPs is not supported: netctl tells the node traffic arrived at by its address, which an external IP is not; use Cluster`));
  }
}
