/**
 * Services and network policies may be written as whole Kubernetes manifests (`metadata` and `spec`),
 * so that manifests are pasted in as kubectl takes or exports them. They are unwrapped into the form
 * with the fields side by side before the rules run, and every problem found in an unwrapped object is
 * located back where it is written: `spec.services[2].ports` is `spec.services[2].spec.ports` in the
 * file, its name `spec.services[2].metadata.name`.
 */
import type {SpecPath} from './diagnostics.js';
import type {ManifestDocument, SpecDocument, WrittenSpecDocument} from './types.js';

const WRAPPED = ['services', 'networkPolicies'] as const;

function isManifest<T extends {readonly name: string; readonly namespace?: string}>(item: T | ManifestDocument<T>): item is ManifestDocument<T> {
  return 'spec' in item;
}

function unwrap<T extends {readonly name: string; readonly namespace?: string}>(item: T | ManifestDocument<T>): T {
  if (!isManifest(item)) return item;
  const {name, namespace} = item.metadata;
  return {...item.spec, name, ...(namespace === undefined ? {} : {namespace})} as T;
}

export function unwrapManifests(written: WrittenSpecDocument): {document: SpecDocument; original: (path: SpecPath) => SpecPath} {
  const wrapped = new Map(WRAPPED.map((list) => [list, new Set((written.spec[list] ?? []).flatMap((item, i) => (isManifest(item) ? [i] : [])))]));
  if ([...wrapped.values()].every((indices) => indices.size === 0)) return {document: written as SpecDocument, original: (path) => path};
  const {services, networkPolicies, ...rest} = written.spec;
  const document: SpecDocument = {
    ...written,
    spec: {
      ...rest,
      ...(services === undefined ? {} : {services: services.map(unwrap)}),
      ...(networkPolicies === undefined ? {} : {networkPolicies: networkPolicies.map(unwrap)}),
    },
  };
  const original = (path: SpecPath): SpecPath => {
    const [root, list, index, field, ...rest] = path;
    if (root !== 'spec' || typeof index !== 'number' || field === undefined) return path;
    if (!(wrapped.get(list as (typeof WRAPPED)[number])?.has(index) ?? false)) return path;
    return ['spec', list!, index, field === 'name' || field === 'namespace' ? 'metadata' : 'spec', field, ...rest];
  };
  return {document, original};
}
