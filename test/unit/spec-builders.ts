/** Builders for specs in tests: a small valid spec, changed per test through a callback. */
import {stringify} from 'yaml';
import {checkSpecText} from '../../src/spec/check.js';

export type SpecObject = {
  apiVersion: string;
  kind: string;
  metadata: {name: string};
  spec: Record<string, unknown> & {
    nodes: Record<string, unknown>[];
    pods: Record<string, unknown>[];
    services: Record<string, unknown>[];
  };
};

export function baseSpec(): SpecObject {
  return {
    apiVersion: 'netctl/v1',
    kind: 'ClusterNetwork',
    metadata: {name: 'test'},
    spec: {
      mode: 'overlay',
      clusterCIDR: '10.244.0.0/16',
      serviceCIDR: '10.96.0.0/16',
      nodes: [
        {name: 'node-a', address: '198.51.100.1/24', podCIDR: '10.244.1.0/24'},
        {name: 'node-b', address: '198.51.100.2/24', podCIDR: '10.244.2.0/24'},
      ],
      pods: [
        {name: 'web-1', node: 'node-a', ip: '10.244.1.10', labels: {app: 'web'}},
        {name: 'web-2', node: 'node-b', labels: {app: 'web'}},
      ],
      services: [
        {name: 'web', clusterIP: '10.96.0.10', selector: {app: 'web'}, ports: [{name: 'http', port: 80, targetPort: 8080, nodePort: 30080}]},
      ],
    },
  };
}

export function check(change: (spec: SpecObject) => void = () => {}) {
  const spec = baseSpec();
  change(spec);
  return checkSpecText(stringify(spec));
}

/** "severity code: message" of every diagnostic, for compact assertions. */
export function problems(change: (spec: SpecObject) => void = () => {}): string[] {
  return check(change).diagnostics.map((d) => `${d.severity} ${d.code}: ${d.message}`);
}
