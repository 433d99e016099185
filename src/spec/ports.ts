/**
 * Named ports, as in Kubernetes: a pod declares its ports (`containerPort`, an optional name, a
 * protocol), and a service port's `targetPort` may name one. A named targetPort resolves on each
 * selected pod to the port of that name and protocol; a pod without one is not an endpoint of that
 * service port.
 */
import {podRef} from './namespaces.js';
import {error, warning, type Diagnostic, type SpecPath} from './diagnostics.js';
import {DEFAULTS, type ContainerPort, type Endpoint, type PodDocument, type ServicePortDocument} from './types.js';

type Report = (d: Diagnostic) => void;

/** A pod's ports with defaults, reporting duplicate names and duplicate port/protocol pairs. */
export function resolvePodPorts(pod: PodDocument, path: SpecPath, report: Report): ContainerPort[] {
  const names = new Map<string, number>();
  const numbers = new Map<string, number>();
  return (pod.ports ?? []).map((port, j) => {
    const protocol = port.protocol ?? DEFAULTS.protocol;
    if (port.name !== undefined) {
      const earlier = names.get(port.name);
      if (earlier === undefined) names.set(port.name, j);
      else report(error('port', [...path, 'ports', j, 'name'], `port name ${port.name} is already used by ports[${earlier}] of pod ${podRef(pod)}`));
    }
    if (port.hostPort !== undefined || port.hostIP !== undefined) {
      const field = port.hostPort !== undefined ? 'hostPort' : 'hostIP';
      report(error('port', [...path, 'ports', j, field], `${field} is not supported: netctl maps no host port to a pod; reach pod ${podRef(pod)} through a service of type NodePort (every node's address, a port of nodePortRange) or its externalIPs`));
    }
    const key = `${protocol}/${port.containerPort}`;
    const earlier = numbers.get(key);
    if (earlier === undefined) numbers.set(key, j);
    else report(error('port', [...path, 'ports', j, 'containerPort'], `${protocol} port ${port.containerPort} is already declared by ports[${earlier}] of pod ${podRef(pod)}`));
    return {name: port.name, containerPort: port.containerPort, protocol};
  });
}

/** A selected pod, as a service port's endpoints need it. */
export interface Selected {
  readonly name: string;
  readonly ip: number;
  readonly ports: readonly ContainerPort[];
}

/**
 * The endpoints of one service port, sorted by IP: the selected pods (with a named targetPort, those
 * that declare it, on their own port number) and the extra endpoint IPs (numeric targetPorts only).
 * Warns, at the targetPort, when a name resolves on none of the selected pods.
 */
export function portEndpoints(
  port: ServicePortDocument,
  selected: readonly Selected[],
  extra: readonly number[],
  path: SpecPath,
  service: string,
  report: Report,
): Endpoint[] {
  const target = port.targetPort ?? port.port;
  const protocol = port.protocol ?? DEFAULTS.protocol;
  const byIp = new Map<number, number>();
  if (typeof target === 'number') {
    for (const pod of selected) byIp.set(pod.ip, target);
    for (const ip of extra) byIp.set(ip, target);
  } else {
    for (const pod of selected) {
      const named = pod.ports.find((p) => p.name === target && p.protocol === protocol);
      if (named !== undefined) byIp.set(pod.ip, named.containerPort);
    }
    if (selected.length > 0 && byIp.size === 0) {
      report(warning('port', [...path, 'targetPort'], `no pod selected by service ${service} declares a ${protocol} port named ${target}, so this port has no endpoints`));
    }
    if (extra.length > 0) {
      report(warning('port', [...path, 'targetPort'], `the extra endpoints of service ${service} are not pods and declare no ports: they are endpoints of numeric targetPorts only`));
    }
  }
  return [...byIp].map(([ip, p]) => ({ip, port: p})).sort((a, b) => a.ip - b.ip);
}
