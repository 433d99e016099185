/**
 * A service's `type`, as in Kubernetes: ClusterIP (the default) or NodePort, whose ports each get a
 * node port: the one the spec gives, or one allocated from nodePortRange. A spec that gives node ports
 * without a type is taken as NodePort (netctl's shorthand). LoadBalancer and ExternalName need
 * machinery netctl does not have, and are refused with the reason.
 */
import {preferredSlot, SlotAllocator} from './allocate.js';
import {error, servicePath, type Diagnostic} from './diagnostics.js';
import {namespacedName} from './namespaces.js';
import {DEFAULTS, type ServiceDocument} from './types.js';

export type ServiceType = NonNullable<ServiceDocument['type']>;

/** The service's type: as written, else NodePort when it gives a node port, else ClusterIP. */
export function serviceType(service: ServiceDocument): ServiceType {
  return service.type ?? ((service.ports ?? []).some((p) => p.nodePort !== undefined) ? 'NodePort' : 'ClusterIP');
}

/** Kubernetes' rules on a service's type; reports what breaks them. */
export function checkServiceType(service: ServiceDocument, i: number, report: (d: Diagnostic) => void): void {
  const type = serviceType(service);
  if (type === 'LoadBalancer') {
    report(error('service-type', servicePath(i, 'type'), `service ${service.name}: type LoadBalancer needs a cloud load balancer, which netctl does not provide; use NodePort and put a load balancer of your own in front of the nodes`));
  } else if (type === 'ExternalName') {
    report(error('service-type', servicePath(i, 'type'), `service ${service.name}: type ExternalName (a DNS alias) is not supported; give the service the backends' addresses as endpoints instead`));
  } else if (type === 'ClusterIP') {
    (service.ports ?? []).forEach((port, j) => {
      if (port.nodePort !== undefined) {
        report(error('service-type', servicePath(i, 'ports', j, 'nodePort'), `service ${service.name}: nodePort may not be used when type is ClusterIP (as in Kubernetes); make it type NodePort`));
      }
    });
    if (service.externalTrafficPolicy !== undefined) {
      report(error('service-type', servicePath(i, 'externalTrafficPolicy'), `service ${service.name}: externalTrafficPolicy may only be set when type is NodePort (as in Kubernetes): a ClusterIP service takes no traffic from outside the cluster`));
    }
  } else if (service.type === 'NodePort' && service.clusterIP === 'None') {
    // Written as NodePort; node ports on a headless service without a type are checkHeadless's to report.
    report(error('service-type', servicePath(i, 'clusterIP'), `service ${service.name}: a NodePort service needs a cluster IP, so it cannot be headless (clusterIP: None)`));
  }
}

/**
 * The node port of every port of every NodePort service (undefined for other services): given ones
 * as written, the others allocated per protocol from `range` as cluster IPs are (docs/spec.md,
 * Allocation), each from the identity of its service, port and protocol.
 */
export function allocateNodePorts(
  services: readonly ServiceDocument[],
  range: {readonly first: number; readonly last: number},
  report: (d: Diagnostic) => void,
): (number | undefined)[][] {
  const slots = range.last - range.first + 1;
  const allocators = new Map<string, SlotAllocator>();
  const allocator = (protocol: string) => {
    let found = allocators.get(protocol);
    if (found === undefined) {
      found = new SlotAllocator(slots);
      allocators.set(protocol, found);
    }
    return found;
  };
  for (const service of services) {
    for (const port of service.ports ?? []) {
      if (port.nodePort !== undefined && port.nodePort >= range.first && port.nodePort <= range.last) {
        allocator(port.protocol ?? DEFAULTS.protocol).claim(port.nodePort - range.first);
      }
    }
  }
  return services.map((service, i) => (service.ports ?? []).map((port, j) => {
    if (port.nodePort !== undefined || serviceType(service) !== 'NodePort') return port.nodePort;
    const protocol = port.protocol ?? DEFAULTS.protocol;
    const identity = `${namespacedName(service.namespace ?? DEFAULTS.namespace, service.name)}/${port.port}/${protocol}`;
    const slot = allocator(protocol).take(preferredSlot('nodeport', identity, slots));
    if (slot === undefined) {
      report(error('port', servicePath(i, 'ports', j), `service ${service.name}: no ${protocol} node port is left in nodePortRange ${range.first}-${range.last} for port ${port.port}; widen nodePortRange`));
      return undefined;
    }
    return range.first + slot;
  }));
}
