/**
 * Kubernetes defaults a field whose value is empty as one that is not written: `clusterIP: ""` gets an
 * allocated address, `protocol: ""` is TCP, `targetPort: 0` (or `""`) the service port, `nodePort: 0`
 * an allocated node port, a pod's `dnsPolicy: ""` ClusterFirst. Charts and generated manifests write
 * these, so the schema takes them and they are dropped here, before the rules run, which then never
 * see them. `type: ""` becomes ClusterIP, as Kubernetes defaults it, not "no type": a netctl service
 * without a type is NodePort when it gives node ports, which Kubernetes refuses for a ClusterIP one.
 */
import type {ContainerPortDocument, PodDocument, ServiceDocument, ServicePortDocument, SpecDocument} from './types.js';

// Not internalTrafficPolicy: a pointer in Kubernetes' API, so an empty one is refused there, not defaulted.
const SERVICE_FIELDS = ['clusterIP', 'sessionAffinity', 'externalTrafficPolicy'] as const;

/** The fields of `object` whose value is one of `empty`, left out. */
function without<T extends object>(object: T, fields: readonly string[], empty: readonly unknown[]): T {
  const record = object as Record<string, unknown>;
  if (!fields.some((field) => empty.includes(record[field]))) return object;
  return Object.fromEntries(Object.entries(record).filter(([field, value]) => !(fields.includes(field) && empty.includes(value)))) as T;
}

const servicePort = (port: ServicePortDocument): ServicePortDocument =>
  without(without(without(port, ['protocol'], ['']), ['targetPort'], [0, '']), ['nodePort'], [0]);

const containerPort = (port: ContainerPortDocument): ContainerPortDocument => without(port, ['protocol'], ['']);

function service(written: ServiceDocument): ServiceDocument {
  const s = without(written.type === ('' as string) ? {...written, type: 'ClusterIP' as const} : written, SERVICE_FIELDS, ['']);
  return s.ports === undefined ? s : {...s, ports: s.ports.map(servicePort)};
}

function pod(written: PodDocument): PodDocument {
  const p = without(written, ['dnsPolicy'], ['']);
  return p.ports === undefined ? p : {...p, ports: p.ports.map(containerPort)};
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
