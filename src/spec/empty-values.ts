/**
 * Kubernetes defaults a field whose value is empty as one that is not written: a port's `name: ""` is
 * no name, `clusterIP: ""` gets an allocated address, `protocol: ""` is TCP, `targetPort: 0` (or `""`)
 * the service port, `nodePort: 0` an allocated node port, a pod's `dnsPolicy: ""` ClusterFirst, a
 * probe's `periodSeconds`, `timeoutSeconds`, `successThreshold` and `failureThreshold` of 0 their
 * defaults, its `httpGet.scheme: ""` HTTP. Charts and generated manifests write these, so the schema
 * takes them and they are dropped here, before the rules run, which then never see them. `type: ""`
 * becomes ClusterIP, as Kubernetes defaults it, not "no type": a netctl service without a type is
 * NodePort when it gives node ports, which Kubernetes refuses for a ClusterIP one.
 */
import type {PodDocument, ServiceDocument, SpecDocument} from './types.js';

// The empty values of each field Kubernetes defaults. Not internalTrafficPolicy: a pointer in
// Kubernetes' API, so an empty one is refused there, not defaulted.
const SERVICE: Empties = {clusterIP: [''], sessionAffinity: [''], externalTrafficPolicy: ['']};
const SERVICE_PORT: Empties = {name: [''], protocol: [''], targetPort: [0, ''], nodePort: [0]};
const POD: Empties = {dnsPolicy: ['']};
const PROBE: Empties = {periodSeconds: [0], timeoutSeconds: [0], successThreshold: [0], failureThreshold: [0]};
const HTTP_GET: Empties = {scheme: ['']};
const CONTAINER_PORT: Empties = {name: [''], protocol: ['']};

type Empties = Readonly<Record<string, readonly unknown[]>>;

/** The object without the fields whose value is one of their empty values. */
function without<T extends object>(object: T, empties: Empties): T {
  const isEmpty = ([field, value]: [string, unknown]) => empties[field]?.includes(value) === true;
  const entries = Object.entries(object);
  return entries.some(isEmpty) ? Object.fromEntries(entries.filter((entry) => !isEmpty(entry))) as T : object;
}

function service(written: ServiceDocument): ServiceDocument {
  const s = without(written.type === ('' as string) ? {...written, type: 'ClusterIP' as const} : written, SERVICE);
  return s.ports === undefined ? s : {...s, ports: s.ports.map((port) => without(port, SERVICE_PORT))};
}

function pod(written: PodDocument): PodDocument {
  const p = without(written, POD);
  const probe = p.readinessProbe === undefined ? undefined : without(p.readinessProbe, PROBE);
  return {
    ...p,
    ...(p.ports === undefined ? {} : {ports: p.ports.map((port) => without(port, CONTAINER_PORT))}),
    ...(probe === undefined ? {} : {readinessProbe: probe.httpGet === undefined ? probe : {...probe, httpGet: without(probe.httpGet, HTTP_GET)}}),
  };
}

/** The document with every empty value Kubernetes defaults left out. */
export function withoutEmptyValues(document: SpecDocument): SpecDocument {
  const {pods, services} = document.spec;
  return {
    ...document,
    spec: {
      ...document.spec,
      ...(pods === undefined ? {} : {pods: pods.map(pod)}),
      ...(services === undefined ? {} : {services: services.map(service)}),
    },
  };
}
