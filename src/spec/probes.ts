/**
 * Readiness probes, as in a Kubernetes pod spec: exactly one of tcpSocket, httpGet or exec, a port by
 * number or by the name of one of the pod's ports, and Kubernetes' defaults (period 10 s, timeout 1 s,
 * success threshold 1, failure threshold 3, no initial delay).
 */
import {podRef} from './namespaces.js';
import {error, type Diagnostic, type SpecPath} from './diagnostics.js';
import type {ContainerPort, PodDocument, Probe, ProbeAction} from './types.js';

export const PROBE_DEFAULTS = {initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3} as const;

const KINDS = ['tcpSocket', 'httpGet', 'exec'] as const;

export function resolveProbe(pod: PodDocument, ports: readonly ContainerPort[], path: SpecPath, report: (d: Diagnostic) => void): Probe | undefined {
  const probe = pod.readinessProbe;
  if (probe === undefined) return undefined;
  const at: SpecPath = [...path, 'readinessProbe'];
  if (probe.grpc !== undefined) {
    report(error('probe', [...at, 'grpc'], `the readiness probe of pod ${podRef(pod)} uses grpc, which netctl cannot probe: it probes from the node with bash alone, without a gRPC client; probe the port with tcpSocket, or run a checker such as grpc_health_probe with exec`));
    return undefined;
  }
  const kinds = KINDS.filter((k) => probe[k] !== undefined);
  if (kinds.length !== 1) {
    report(error('probe', at, kinds.length === 0
      ? `the readiness probe of pod ${podRef(pod)} needs one of tcpSocket, httpGet or exec`
      : `the readiness probe of pod ${podRef(pod)} has ${kinds.join(' and ')}; give exactly one of tcpSocket, httpGet or exec`));
    return undefined;
  }
  const portOf = (port: number | string, where: SpecPath): number | undefined => {
    if (typeof port === 'number') return port;
    const named = ports.find((p) => p.name === port && p.protocol === 'TCP');
    if (named === undefined) {
      const names = ports.filter((p) => p.name !== undefined && p.protocol === 'TCP').map((p) => p.name!);
      report(error('probe', where, `pod ${podRef(pod)} has no TCP port named ${port}${names.length > 0 ? ` (its named ports: ${names.join(', ')})` : ' (it declares no named ports)'}`));
    }
    return named?.containerPort;
  };
  let action: ProbeAction | undefined;
  if (probe.tcpSocket !== undefined) {
    const {host} = probe.tcpSocket;
    const port = portOf(probe.tcpSocket.port, [...at, 'tcpSocket', 'port']);
    if (port !== undefined) action = {kind: 'tcpSocket', port, ...(host === undefined ? {} : {host})};
  } else if (probe.httpGet !== undefined) {
    const {path: httpPath, host, scheme, httpHeaders} = probe.httpGet;
    const port = portOf(probe.httpGet.port, [...at, 'httpGet', 'port']);
    if (scheme === 'HTTPS') {
      report(error('probe', [...at, 'httpGet', 'scheme'], `the readiness probe of pod ${podRef(pod)} uses HTTPS, which netctl cannot probe: it speaks HTTP from the node with bash alone, without TLS; probe the port with tcpSocket, or run a checker with exec`));
    } else if (port !== undefined) {
      // As a kubelet builds the URL, a path without its leading slash gets one (`healthz` is /healthz).
      action = {kind: 'httpGet', path: httpPath === undefined ? '/' : httpPath.startsWith('/') ? httpPath : `/${httpPath}`, port, ...(host === undefined ? {} : {host}), ...(httpHeaders === undefined ? {} : {headers: httpHeaders})};
    }
  } else if (probe.exec !== undefined) {
    action = {kind: 'exec', command: probe.exec.command};
  }
  if (action === undefined) return undefined;
  return {
    action,
    initialDelaySeconds: probe.initialDelaySeconds ?? PROBE_DEFAULTS.initialDelaySeconds,
    periodSeconds: probe.periodSeconds ?? PROBE_DEFAULTS.periodSeconds,
    timeoutSeconds: probe.timeoutSeconds ?? PROBE_DEFAULTS.timeoutSeconds,
    successThreshold: probe.successThreshold ?? PROBE_DEFAULTS.successThreshold,
    failureThreshold: probe.failureThreshold ?? PROBE_DEFAULTS.failureThreshold,
  };
}
