/** The `dns` block: cluster DNS served on every node, where pods can reach it. */
import {error, type Diagnostic} from './diagnostics.js';
import {DEFAULTS, type ClusterDns, type SpecDocument} from './types.js';

export function resolveDns(document: SpecDocument, report: (d: Diagnostic) => void): ClusterDns | undefined {
  const dns = document.spec.dns;
  if (dns === undefined) return undefined;
  const driver = document.spec.underlay?.driver ?? DEFAULTS.underlayDriver;
  if (document.spec.mode === 'underlay' && driver !== 'routed') {
    report(error('dns', ['spec', 'dns'], `cluster DNS is served on each node, but ${driver} pods cannot reach their own node; use underlay.driver: routed, another mode, or no dns`));
  }
  return {domain: dns.domain ?? DEFAULTS.dnsDomain, upstream: dns.upstream};
}
