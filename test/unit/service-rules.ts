/** The service rules of a small cluster, for the tests of traffic policies and distribution. */
import {desiredIptables} from '../../src/desired/index.js';
import type {ClusterNetwork} from '../../src/spec/types.js';
import {check, type SpecObject} from './spec-builders.js';

/** The spec builders' cluster with service `web` given `fields`: node-a holds web-1 and web-3, node-b web-2, node-c no endpoint. */
export function webOnThreeNodes(fields: Record<string, unknown>): ClusterNetwork {
  return check((s: SpecObject) => {
    s.spec.nodes.push({name: 'node-c', address: '198.51.100.3/24', podCIDR: '10.244.3.0/24'});
    s.spec.pods.push({name: 'web-3', node: 'node-a', ip: '10.244.1.11', labels: {app: 'web'}});
    Object.assign(s.spec.services[0]!, fields);
  }).cluster!;
}

/** The rules of one of the cluster's chains, as text; undefined when it has no such chain. */
export function rulesOf(c: ClusterNetwork, table: string, chain: string): string[] | undefined {
  const found = desiredIptables(c).resources.find((r) => r.kind === 'iptables-chain' && r.table === table && r.chain === chain);
  return found?.kind === 'iptables-chain' ? found.rules.map((r) => r.join(' ')) : undefined;
}

/** Where each rule jumps. */
export const targets = (rules: readonly string[] | undefined) => (rules ?? []).map((r) => r.slice(r.lastIndexOf('-j ') + 3));
