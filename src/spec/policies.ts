/**
 * NetworkPolicies, resolved and checked as Kubernetes validates them: policyTypes defaulted (Ingress,
 * plus Egress when egress rules are given), a peer is pods (podSelector and/or namespaceSelector) or an
 * ipBlock, an ipBlock's `except` lies strictly inside its `cidr`, `endPort` needs a numeric `port` not
 * above it, selector requirements carry values exactly when their operator needs them.
 */
import {formatCidr, parseCidr, type Cidr} from '../net/ipv4.js';
import {parseCidr6, strictlyInside6} from '../net/ipv6.js';
import {error, warning, type Diagnostic, type SpecPath} from './diagnostics.js';
import {resolveSelector} from './selectors.js';
import {
  DEFAULTS,
  type LabelSelectorDocument,
  type NetworkPolicy,
  type PolicyPeer,
  type PolicyPeerDocument,
  type PolicyPort,
  type PolicyPortDocument,
  type PolicyRule,
  type PolicyType,
  type SpecDocument,
} from './types.js';

type Report = (d: Diagnostic) => void;

export function resolvePolicies(document: SpecDocument, report: Report): NetworkPolicy[] {
  const spec = document.spec;
  const policies = spec.networkPolicies ?? [];
  if (policies.length > 0 && spec.mode === 'underlay' && (spec.underlay?.driver ?? DEFAULTS.underlayDriver) !== 'routed') {
    report(error('policy', ['spec', 'networkPolicies'], `network policies cannot be enforced with underlay driver ${spec.underlay!.driver}: pod traffic leaves through the uplink without passing the host's netfilter; use underlay.driver: routed, or overlay or routing mode`));
  }
  const seen = new Map<string, number>();
  return policies.map((policy, i) => {
    const path: SpecPath = ['spec', 'networkPolicies', i];
    const namespace = policy.namespace ?? DEFAULTS.namespace;
    const earlier = seen.get(`${namespace}/${policy.name}`);
    if (earlier !== undefined) report(error('duplicate-name', [...path, 'name'], `network policy ${namespace}/${policy.name} is already defined at spec.networkPolicies[${earlier}]`));
    else seen.set(`${namespace}/${policy.name}`, i);
    checkSelector(policy.podSelector, [...path, 'podSelector'], report);
    const types: PolicyType[] = policy.policyTypes !== undefined && policy.policyTypes.length > 0
      ? [...new Set(policy.policyTypes)]
      : ['Ingress', ...((policy.egress ?? []).length > 0 ? ['Egress' as const] : [])];
    if (!types.includes('Egress') && (policy.egress ?? []).length > 0) {
      report(warning('policy', [...path, 'egress'], `policy ${policy.name} has egress rules but its policyTypes do not list Egress, so they are ignored (as in Kubernetes)`));
    }
    if (!types.includes('Ingress') && (policy.ingress ?? []).length > 0) {
      report(warning('policy', [...path, 'ingress'], `policy ${policy.name} has ingress rules but its policyTypes do not list Ingress, so they are ignored (as in Kubernetes)`));
    }
    const rules = (kind: 'ingress' | 'egress', peersKey: 'from' | 'to') => (policy[kind] ?? []).map((rule, j): PolicyRule => {
      const peers = (rule as Record<string, readonly PolicyPeerDocument[] | undefined>)[peersKey] ?? [];
      return {
        peers: peers.flatMap((peer, k) => resolvePeer(peer, [...path, kind, j, peersKey, k], report)),
        ports: (rule.ports ?? []).flatMap((port, k) => resolvePort(port, [...path, kind, j, 'ports', k], report)),
      };
    });
    // Rules of a type the policy does not list are checked all the same, as Kubernetes does.
    const ingress = rules('ingress', 'from');
    const egress = rules('egress', 'to');
    return {
      name: policy.name,
      namespace,
      podSelector: resolveSelector(policy.podSelector),
      policyTypes: types,
      ingress: types.includes('Ingress') ? ingress : [],
      egress: types.includes('Egress') ? egress : [],
    };
  });
}

function checkSelector(selector: LabelSelectorDocument | undefined, path: SpecPath, report: Report): void {
  (selector?.matchExpressions ?? []).forEach((requirement, i) => {
    const values = requirement.values ?? [];
    const needsValues = requirement.operator === 'In' || requirement.operator === 'NotIn';
    if (needsValues && values.length === 0) {
      report(error('selector', [...path, 'matchExpressions', i, 'values'], `operator ${requirement.operator} needs at least one value`));
    }
    if (!needsValues && values.length > 0) {
      report(error('selector', [...path, 'matchExpressions', i, 'values'], `operator ${requirement.operator} takes no values`));
    }
  });
}

function resolvePeer(peer: PolicyPeerDocument, path: SpecPath, report: Report): PolicyPeer[] {
  const selects = peer.podSelector !== undefined || peer.namespaceSelector !== undefined;
  if (peer.ipBlock !== undefined && selects) {
    report(error('policy', [...path, 'ipBlock'], 'a peer is either pods (podSelector, namespaceSelector) or an ipBlock, not both: list them as separate peers'));
    return [];
  }
  if (peer.ipBlock === undefined && !selects) {
    report(error('policy', path, 'a peer needs podSelector, namespaceSelector or ipBlock'));
    return [];
  }
  if (peer.ipBlock === undefined) {
    checkSelector(peer.podSelector, [...path, 'podSelector'], report);
    checkSelector(peer.namespaceSelector, [...path, 'namespaceSelector'], report);
    return [{
      kind: 'pods',
      podSelector: peer.podSelector === undefined ? undefined : resolveSelector(peer.podSelector),
      namespaceSelector: peer.namespaceSelector === undefined ? undefined : resolveSelector(peer.namespaceSelector),
    }];
  }
  if (peer.ipBlock.cidr.includes(':')) return ipv6Block(peer.ipBlock, path, report);
  const cidr = blockCidr(peer.ipBlock.cidr, [...path, 'ipBlock', 'cidr'], report);
  const except = (peer.ipBlock.except ?? []).flatMap((text, i) => {
    const where = [...path, 'ipBlock', 'except', i];
    const block = blockCidr(text, where, report);
    if (block === undefined || cidr === undefined) return [];
    if (!(block.first >= cidr.first && block.last <= cidr.last && block.prefix > cidr.prefix)) {
      report(error('policy', where, `except ${text} must lie strictly inside the ipBlock's cidr ${formatCidr(cidr)}`));
      return [];
    }
    return [block];
  });
  return cidr === undefined ? [] : [{kind: 'ipBlock', cidr, except}];
}

/**
 * An IPv6 ipBlock, checked as Kubernetes checks one (a CIDR, `except` strictly inside it), then kept as
 * a peer that matches nothing: netctl's pod network is IPv4 only, as an IPv4-only cluster's is.
 */
function ipv6Block(block: {readonly cidr: string; readonly except?: readonly string[]}, path: SpecPath, report: Report): PolicyPeer[] {
  const cidr = parseCidr6(block.cidr);
  if (cidr === undefined) {
    report(error('policy', [...path, 'ipBlock', 'cidr'], `${block.cidr} is not an IPv6 CIDR`));
    return [];
  }
  const except = block.except ?? [];
  except.forEach((text, i) => {
    const inner = parseCidr6(text);
    if (inner === undefined || !strictlyInside6(inner, cidr)) report(error('policy', [...path, 'ipBlock', 'except', i], `except ${text} must be an IPv6 CIDR strictly inside the ipBlock's cidr ${block.cidr}`));
  });
  report(warning('policy', [...path, 'ipBlock'], `ipBlock ${block.cidr} is IPv6 and matches nothing: netctl's pod network is IPv4 only (as on an IPv4-only Kubernetes cluster)`));
  return [{kind: 'ipv6Block', cidr: block.cidr, except}];
}

function blockCidr(text: string, path: SpecPath, report: Report): Cidr | undefined {
  const parsed = parseCidr(text);
  if (parsed.ok) return parsed.cidr;
  report(error('policy', path, parsed.reason === 'host-bits' ? `${text} has host bits set; write its network address, ${parsed.network}` : `${text} is not an IPv4 CIDR`));
  return undefined;
}

function resolvePort(port: PolicyPortDocument, path: SpecPath, report: Report): PolicyPort[] {
  const protocol = port.protocol ?? DEFAULTS.protocol;
  if (port.endPort !== undefined) {
    if (port.port === undefined) {
      report(error('port', [...path, 'endPort'], 'endPort needs port, the first port of the range'));
      return [];
    }
    if (typeof port.port === 'string') {
      report(error('port', [...path, 'endPort'], `endPort needs a numeric port, not the port name ${port.port}`));
      return [];
    }
    if (port.endPort < port.port) {
      report(error('port', [...path, 'endPort'], `endPort ${port.endPort} is below port ${port.port}`));
      return [];
    }
  }
  return [{protocol, port: port.port, endPort: port.endPort}];
}
