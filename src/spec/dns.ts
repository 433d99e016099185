/** The `dns` block: cluster DNS served on every node, where pods can reach it. */
import {error, warning, type Diagnostic} from './diagnostics.js';
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

/**
 * Warns of a pod whose `subdomain` names no headless service of its namespace: as in Kubernetes, it
 * then has no name under it (nothing else is wrong, so it is no error).
 */
export function checkSubdomains(document: SpecDocument, report: (d: Diagnostic) => void): void {
  const headless = new Set((document.spec.services ?? []).filter((s) => s.clusterIP === 'None' || s.clusterIPs?.[0] === 'None')
    .map((s) => `${s.namespace ?? DEFAULTS.namespace}/${s.name}`));
  (document.spec.pods ?? []).forEach((pod, i) => {
    const namespace = pod.namespace ?? DEFAULTS.namespace;
    if (pod.subdomain === undefined || headless.has(`${namespace}/${pod.subdomain}`)) return;
    report(warning('dns', ['spec', 'pods', i, 'subdomain'], `pod ${pod.name}: subdomain ${pod.subdomain} names no headless service (clusterIP: None) in namespace ${namespace}, so the pod has no name under it`));
  });
}
