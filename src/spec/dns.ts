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

/** Why `name` cannot be a name in DNS (a label over 63 characters, or over 253 in all), if it cannot. */
export function dnsNameProblem(name: string): string | undefined {
  const long = name.split('.').find((label) => label.length > 63);
  if (long !== undefined) return `its label ${long} has ${long.length} characters, more than the 63 a DNS label may have`;
  if (name.length > 253) return `it has ${name.length} characters, more than the 253 a DNS name may have`;
  return undefined;
}

/**
 * Warns of the names a service would have in cluster DNS that DNS cannot hold, and which the zone
 * therefore leaves out: an SRV name `_<port>._<proto>.<svc>.<ns>.svc.<domain>` whose port name is 63
 * characters long (a valid port name, one character too long with its `_`), or any name past 253
 * characters under a long domain.
 */
export function checkDnsNames(document: SpecDocument, report: (d: Diagnostic) => void): void {
  if (document.spec.dns === undefined) return;
  const domain = document.spec.dns.domain ?? DEFAULTS.dnsDomain;
  (document.spec.services ?? []).forEach((service, i) => {
    const name = `${service.name}.${service.namespace ?? DEFAULTS.namespace}.svc.${domain}`;
    const problem = dnsNameProblem(name);
    if (problem !== undefined) {
      report(warning('dns', ['spec', 'services', i, 'name'], `service ${service.name} has no name in cluster DNS: ${name}: ${problem}`));
      return;
    }
    (service.ports ?? []).forEach((port, j) => {
      if (port.name === undefined) return;
      const srv = `_${port.name}._${(port.protocol ?? 'TCP').toLowerCase()}.${name}`;
      const srvProblem = dnsNameProblem(srv);
      if (srvProblem !== undefined) report(warning('dns', ['spec', 'services', i, 'ports', j, 'name'], `port ${port.name} of service ${service.name} has no SRV record: ${srvProblem}`));
    });
  });
}
