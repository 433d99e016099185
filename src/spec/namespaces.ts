/**
 * Namespaces, as in Kubernetes: listed ones with their labels, and every namespace a pod or service
 * uses, which exists without being listed. Each carries kubernetes.io/metadata.name=<name>.
 */
import {error, type Diagnostic} from './diagnostics.js';
import {DEFAULTS, NAMESPACE_NAME_LABEL, type Namespace, type SpecDocument} from './types.js';

export function resolveNamespaces(document: SpecDocument, report: (d: Diagnostic) => void): Namespace[] {
  const spec = document.spec;
  const listed = new Map<string, number>();
  const namespaces: Namespace[] = [];
  const add = (name: string, labels: Readonly<Record<string, string>> = {}) =>
    namespaces.push({name, labels: {...labels, [NAMESPACE_NAME_LABEL]: name}});
  (spec.namespaces ?? []).forEach((namespace, i) => {
    const earlier = listed.get(namespace.name);
    if (earlier !== undefined) {
      report(error('namespace', ['spec', 'namespaces', i, 'name'], `namespace ${namespace.name} is already listed at spec.namespaces[${earlier}]`));
      return;
    }
    listed.set(namespace.name, i);
    add(namespace.name, namespace.labels);
  });
  const used = [...(spec.pods ?? []), ...(spec.services ?? [])].map((item) => item.namespace ?? DEFAULTS.namespace);
  for (const name of new Set(used)) if (!listed.has(name)) add(name);
  return namespaces;
}

/** What a namespaced object (a service, a pod) is known by: its name in the default namespace, `namespace/name` in any other. */
export function namespacedName(namespace: string, name: string): string {
  return namespace === DEFAULTS.namespace ? name : `${namespace}/${name}`;
}

/** A pod as netctl names it to people and keys it: pod names are unique within a namespace, as in Kubernetes. */
export function podRef(pod: {readonly name: string; readonly namespace?: string | undefined}): string {
  return namespacedName(pod.namespace ?? DEFAULTS.namespace, pod.name);
}
