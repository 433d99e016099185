/**
 * Namespaces, services and network policies may be written as whole Kubernetes manifests (`metadata`,
 * and `spec` but for namespaces), so that manifests are pasted in as kubectl takes or exports them.
 * They are unwrapped into the form with the fields side by side before the rules run, and every problem
 * found in an unwrapped object is located back where it is written: `spec.services[2].ports` is
 * `spec.services[2].spec.ports` in the file, its name `spec.services[2].metadata.name`, a namespace's
 * labels `spec.namespaces[0].metadata.labels`.
 */
import type {SpecPath} from './diagnostics.js';
import type {ManifestDocument, NamespaceDocument, NamespaceManifestDocument, SpecDocument, WrittenSpecDocument} from './types.js';

function isManifest<T extends {readonly name: string; readonly namespace?: string}>(item: T | ManifestDocument<T>): item is ManifestDocument<T> {
  return 'spec' in item;
}

const isNamespaceManifest = (item: NamespaceDocument | NamespaceManifestDocument): item is NamespaceManifestDocument => 'metadata' in item;

/** A namespace's name and labels, the rest of its manifest left behind. */
function unwrapNamespace(item: NamespaceDocument | NamespaceManifestDocument): NamespaceDocument {
  if (!isNamespaceManifest(item)) return item;
  const {name, labels} = item.metadata;
  return {name, ...(labels === undefined ? {} : {labels})};
}

function unwrap<T extends {readonly name: string; readonly namespace?: string}>(item: T | ManifestDocument<T>): T {
  if (!isManifest(item)) return item;
  const {name, namespace} = item.metadata;
  return {...item.spec, name, ...(namespace === undefined ? {} : {namespace})} as T;
}

export function unwrapManifests(written: WrittenSpecDocument): {document: SpecDocument; original: (path: SpecPath) => SpecPath} {
  const indices = <T>(items: readonly T[] | undefined, manifest: (item: T) => boolean) => new Set((items ?? []).flatMap((item, i) => (manifest(item) ? [i] : [])));
  const wrapped = new Map<string, Set<number>>([
    ['namespaces', indices(written.spec.namespaces, isNamespaceManifest)],
    ['services', indices(written.spec.services, isManifest)],
    ['networkPolicies', indices(written.spec.networkPolicies, isManifest)],
  ]);
  if ([...wrapped.values()].every((indices) => indices.size === 0)) return {document: written as SpecDocument, original: (path) => path};
  const {namespaces, services, networkPolicies, ...rest} = written.spec;
  const document: SpecDocument = {
    ...written,
    spec: {
      ...rest,
      ...(namespaces === undefined ? {} : {namespaces: namespaces.map(unwrapNamespace)}),
      ...(services === undefined ? {} : {services: services.map(unwrap)}),
      ...(networkPolicies === undefined ? {} : {networkPolicies: networkPolicies.map(unwrap)}),
    },
  };
  const original = (path: SpecPath): SpecPath => {
    const [root, list, index, field, ...deeper] = path;
    if (root !== 'spec' || typeof index !== 'number' || field === undefined) return path;
    if (!(wrapped.get(String(list))?.has(index) ?? false)) return path;
    const inMetadata = list === 'namespaces' || field === 'name' || field === 'namespace';
    return ['spec', list!, index, inMetadata ? 'metadata' : 'spec', field, ...deeper];
  };
  return {document, original};
}
