/**
 * A pod's `dnsPolicy` and `dnsConfig`, checked as Kubernetes checks them (ValidatePodSpec): with
 * `dnsPolicy: None` the pod's resolv.conf holds only its dnsConfig, which must then give a name server;
 * at most 3 name servers, 32 search domains of at most 2,048 characters in all.
 */
import {error, type Diagnostic, type SpecPath} from './diagnostics.js';
import {podRef} from './namespaces.js';
import type {DnsPolicy, PodDnsConfig, PodDocument} from './types.js';

/** Kubernetes' MaxDNSSearchListChars: the search line, spaces between domains counted. */
export const MAX_SEARCH_CHARS = 2048;

export function resolvePodDns(pod: PodDocument, path: SpecPath, report: (d: Diagnostic) => void): {dnsPolicy: DnsPolicy; dnsConfig: PodDnsConfig | undefined} {
  const dnsPolicy = pod.dnsPolicy === undefined || pod.dnsPolicy === 'ClusterFirstWithHostNet' ? 'ClusterFirst' : pod.dnsPolicy;
  const written = pod.dnsConfig;
  const dnsConfig = written === undefined ? undefined : {nameservers: written.nameservers ?? [], searches: written.searches ?? [], options: written.options ?? []};
  const name = podRef({name: pod.name, namespace: pod.namespace});
  if (dnsPolicy === 'None' && (dnsConfig?.nameservers.length ?? 0) === 0) {
    report(error('dns', [...path, dnsConfig === undefined ? 'dnsPolicy' : 'dnsConfig'], `pod ${name}: dnsPolicy None gives the pod only its dnsConfig, which must list at least one nameserver (as in Kubernetes)`));
  }
  if (dnsConfig !== undefined && dnsConfig.searches.join(' ').length > MAX_SEARCH_CHARS) {
    report(error('dns', [...path, 'dnsConfig', 'searches'], `pod ${name}: the search domains take ${dnsConfig.searches.join(' ').length} characters; Kubernetes allows at most ${MAX_SEARCH_CHARS}`));
  }
  return {dnsPolicy, dnsConfig};
}
