/** The whole offline check of one spec: load, schema, semantic rules, allocation, each problem located. */
import {compileSpec} from './compile.js';
import {byPosition, type Diagnostic} from './diagnostics.js';
import {withoutEmptyValues} from './empty-values.js';
import {locate, parseSpec, readSpecFile, type LoadResult} from './load.js';
import {unwrapManifests} from './manifests.js';
import {checkSchema} from './schema.js';
import type {ClusterNetwork} from './types.js';

export interface SpecCheck {
  readonly cluster: ClusterNetwork | undefined;
  /** Every problem, located in the file and ordered by position. */
  readonly diagnostics: readonly Diagnostic[];
  /** SHA-256 of the spec file as read. */
  readonly sha256?: string;
}

export async function checkSpecFile(file: string): Promise<SpecCheck> {
  const loaded = await readSpecFile(file);
  return {...checkLoaded(loaded), ...(loaded.sha256 === undefined ? {} : {sha256: loaded.sha256})};
}

export function checkSpecText(text: string): SpecCheck {
  return checkLoaded(parseSpec(new TextEncoder().encode(text)));
}

function checkLoaded({source, diagnostics: loadProblems}: LoadResult): SpecCheck {
  if (loadProblems.length > 0) return {cluster: undefined, diagnostics: loadProblems};
  if (source.value === null || typeof source.value !== 'object' || Array.isArray(source.value)) {
    const got = Array.isArray(source.value) ? 'a list' : source.value === null ? 'nothing' : `a ${typeof source.value}`;
    const {line, column} = locate(source, []);
    return {
      cluster: undefined,
      diagnostics: [{severity: 'error', code: 'schema', path: [], line, column,
        message: `the document must be a mapping with apiVersion, kind, metadata and spec, got ${got}`}],
    };
  }
  const foreign = foreignDocument(source.value as Record<string, unknown>);
  if (foreign !== undefined) return {cluster: undefined, diagnostics: [{...foreign, ...locate(source, ['kind'])}]};
  const schema = checkSchema(source.value);
  if (schema.spec === undefined) {
    const located = schema.diagnostics.map(({target, ...d}) => ({...d, ...locate(source, d.path, target)}));
    return {cluster: undefined, diagnostics: located.sort(byPosition)};
  }
  const {document, original} = unwrapManifests(schema.spec);
  const {cluster, diagnostics} = compileSpec(withoutEmptyValues(document));
  return {cluster, diagnostics: diagnostics.map((d) => ({...d, path: original(d.path)})).map((d) => ({...d, ...locate(source, d.path)})).sort(byPosition)};
}

/** Where netctl takes a Kubernetes object of this kind, if it does. */
const PLACES: Record<string, string> = {
  Service: 'spec.services',
  NetworkPolicy: 'spec.networkPolicies',
  Namespace: 'spec.namespaces',
};

/**
 * A document of another tool (a Kubernetes manifest, most likely): one error that says what netctl
 * reads instead, rather than every field the schema would find missing or unknown.
 */
function foreignDocument(value: Record<string, unknown>): Diagnostic | undefined {
  const {apiVersion, kind} = value;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string' || apiVersion.startsWith('netctl/') || kind === 'ClusterNetwork') return undefined;
  const place = PLACES[kind];
  return {
    severity: 'error', code: 'schema', path: ['kind'],
    message: `this is a ${kind} (apiVersion ${apiVersion}), not a netctl spec: netctl reads one ClusterNetwork (apiVersion: netctl/v1, kind: ClusterNetwork) whose spec has the nodes, pods, services and network policies${place === undefined ? '' : `; put this ${kind} under ${place} of such a spec`}`,
  };
}
