/**
 * Kubernetes' dual-stack fields of a service, which manifests exported from a cluster carry:
 * `clusterIPs`, `ipFamilies` and `ipFamilyPolicy`. netctl's service network is IPv4 only, so every
 * service is a single-stack IPv4 one, as Kubernetes makes it on an IPv4-only cluster: IPv6 and
 * RequireDualStack are refused with the reason, and `clusterIPs` holds the cluster IP (it gives it
 * when `clusterIP` is not written).
 */
import {error, servicePath, type Diagnostic, type SpecPath} from './diagnostics.js';
import type {ServiceDocument} from './types.js';

const IPV4_ONLY = "netctl's service network is IPv4 only";

/** Kubernetes' rules on the dual-stack fields, on an IPv4-only cluster; reports what breaks them. */
export function checkIpFamilies(service: ServiceDocument, i: number, report: (d: Diagnostic) => void): void {
  const {clusterIP, clusterIPs, ipFamilies, ipFamilyPolicy} = service;
  if (ipFamilies?.includes('IPv6') === true) {
    report(error('ip-family', servicePath(i, 'ipFamilies'), `service ${service.name}: ipFamilies may hold only IPv4: ${IPV4_ONLY}`));
  } else if (ipFamilies !== undefined && ipFamilies.length > 1) {
    report(error('ip-family', servicePath(i, 'ipFamilies', 1), `service ${service.name}: ipFamilies lists IPv4 twice`));
  }
  if (ipFamilyPolicy === 'RequireDualStack') {
    report(error('ip-family', servicePath(i, 'ipFamilyPolicy'), `service ${service.name}: RequireDualStack needs IPv4 and IPv6 cluster IPs, and ${IPV4_ONLY}; use SingleStack`));
  }
  if (clusterIPs === undefined) return;
  if (clusterIPs.length > 1) {
    const why = clusterIPs[0] === 'None' ? 'None must be its only entry (as in Kubernetes)' : `a second entry would be an IPv6 address, and ${IPV4_ONLY}`;
    report(error('ip-family', servicePath(i, 'clusterIPs', 1), `service ${service.name}: clusterIPs holds one address: ${why}`));
  }
  if (clusterIP !== undefined && clusterIPs[0] !== clusterIP) {
    report(error('cluster-ip', servicePath(i, 'clusterIPs', 0), `service ${service.name}: clusterIPs must start with clusterIP ${clusterIP} (as in Kubernetes), not ${clusterIPs[0]}`));
  }
}

/** The service with the cluster IP its `clusterIPs` gives, when it writes no `clusterIP`. */
export function withClusterIP(service: ServiceDocument): ServiceDocument {
  const first = service.clusterIPs?.[0];
  return service.clusterIP === undefined && first !== undefined ? {...service, clusterIP: first} : service;
}

/** Where the service's cluster IP is written (`clusterIP`, or the first of `clusterIPs`), for messages. */
export function clusterIPPath(written: ServiceDocument, i: number): SpecPath {
  return written.clusterIP === undefined && written.clusterIPs !== undefined ? servicePath(i, 'clusterIPs', 0) : servicePath(i, 'clusterIP');
}
