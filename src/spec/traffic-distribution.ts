/**
 * A service's `trafficDistribution`, as in Kubernetes (KEP-4444, KEP-3015): a preference for
 * endpoints close to the client, where the traffic policy is Cluster. PreferSameNode sends a client to
 * the endpoints on its own node when there are any (desired/traffic-distribution.ts). netctl's nodes
 * have no zones, so PreferSameZone (and PreferClose, its former name) has no effect, as in Kubernetes
 * on nodes without a topology.kubernetes.io/zone label. Kubernetes accepts each value where it has
 * no effect; so does netctl, with a warning.
 */
import {servicePath, warning, type Diagnostic} from './diagnostics.js';
import type {ServiceDocument} from './types.js';

export function checkTrafficDistribution(service: ServiceDocument, i: number, report: (d: Diagnostic) => void): void {
  const value = service.trafficDistribution;
  if (value === undefined) return;
  const said = (why: string) => report(warning('traffic-distribution', servicePath(i, 'trafficDistribution'), `service ${service.name}: trafficDistribution ${value} has no effect: ${why}`));
  if (service.clusterIP === 'None') {
    said('the service is headless (clusterIP: None), so clients reach its pods directly');
  } else if (value !== 'PreferSameNode') {
    said('netctl\'s nodes have no zones, so every endpoint serves every client, as in Kubernetes on nodes without a topology.kubernetes.io/zone label');
  } else if ((service.endpoints ?? []).length > 0) {
    said('the service has endpoints that are not pods, and as in Kubernetes a service prefers same-node endpoints only when every endpoint has a node');
  }
}
