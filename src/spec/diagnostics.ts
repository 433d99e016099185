/** Problems found in a spec, each with the place in the file it comes from. */

export type Severity = 'error' | 'warning';

export type DiagnosticCode =
  | 'file-too-large'
  | 'file-not-text'
  | 'file-empty'
  | 'yaml-syntax'
  | 'yaml-multiple-documents'
  | 'schema'
  | 'cidr-host-bits'
  | 'cidr-overlap'
  | 'cidr-outside'
  | 'cidr-too-small'
  | 'duplicate-name'
  | 'duplicate-address'
  | 'unknown-node'
  | 'pod-ip'
  | 'cluster-ip'
  | 'port'
  | 'mtu'
  | 'layer2'
  | 'underlay'
  | 'transport'
  | 'selector'
  | 'namespace'
  | 'headless'
  | 'affinity'
  | 'service-type'
  | 'ip-family'
  | 'external-ip'
  | 'traffic-distribution'
  | 'endpoint'
  | 'dns'
  | 'probe'
  | 'policy';

/** A path into the YAML document, as keys and list indexes: ['spec', 'nodes', 2, 'podCIDR']. */
export type SpecPath = readonly (string | number)[];

/** The path of the i-th service, or of something inside it. */
export const servicePath = (i: number, ...rest: (string | number)[]): SpecPath => ['spec', 'services', i, ...rest];

export interface Diagnostic {
  readonly severity: Severity;
  readonly code: DiagnosticCode;
  readonly message: string;
  readonly path: SpecPath;
  /** 1-based line and column of the offending node; set once the diagnostic is located in its file. */
  readonly line?: number;
  readonly column?: number;
}

export function error(code: DiagnosticCode, path: SpecPath, message: string): Diagnostic {
  return {severity: 'error', code, message, path};
}

export function warning(code: DiagnosticCode, path: SpecPath, message: string): Diagnostic {
  return {severity: 'warning', code, message, path};
}

/** `spec.nodes[2].podCIDR` */
export function formatPath(path: SpecPath): string {
  let text = '';
  for (const part of path) {
    if (typeof part === 'number') text += `[${part}]`;
    else if (!/^[A-Za-z_][\w-]*$/.test(part)) text += `[${JSON.stringify(part)}]`;
    else text += text === '' ? part : `.${part}`;
  }
  return text;
}

/**
 * Orders diagnostics by position in the file, so output reads top to bottom. Not localeCompare: a
 * process's first one sets up ICU's collator, about 10 ms.
 */
export function byPosition(a: Diagnostic, b: Diagnostic): number {
  return (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0) || (a.message < b.message ? -1 : a.message > b.message ? 1 : 0);
}
