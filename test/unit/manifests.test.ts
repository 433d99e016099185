/** Services and network policies written as whole Kubernetes manifests, as kubectl takes or exports them. */
import {describe, expect, it} from '@jest/globals';
import {stringify} from 'yaml';
import {checkSpecText} from '../../src/spec/check.js';

const base = {
  apiVersion: 'netctl/v1', kind: 'ClusterNetwork', metadata: {name: 'manifests'},
  spec: {
    mode: 'overlay', clusterCIDR: '10.244.0.0/16', serviceCIDR: '10.96.0.0/16',
    nodes: [{name: 'n1', address: '198.51.100.1/24'}],
    pods: [{name: 'web-1', node: 'n1', namespace: 'shop', labels: {app: 'web'}, ports: [{name: 'http', containerPort: 8080}]}],
  },
};
const check = (services: unknown[]) => checkSpecText(stringify({...base, spec: {...base.spec, services}}));

const flat = {name: 'web', namespace: 'shop', clusterIP: '10.96.12.7', selector: {app: 'web'}, ports: [{name: 'http', port: 80, targetPort: 'http'}]};
/** As `kubectl get service web -o yaml` prints it. */
const exported = {
  apiVersion: 'v1', kind: 'Service',
  metadata: {name: 'web', namespace: 'shop', uid: '0b8e', resourceVersion: '3311', creationTimestamp: '2026-11-30T10:00:00Z', labels: {app: 'web'}},
  spec: {
    clusterIP: '10.96.12.7', clusterIPs: ['10.96.12.7'], internalTrafficPolicy: 'Cluster', ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack',
    ports: [{name: 'http', port: 80, protocol: 'TCP', targetPort: 'http'}], selector: {app: 'web'}, sessionAffinity: 'None', type: 'ClusterIP',
  },
  status: {loadBalancer: {}},
};

describe('a service written as a Kubernetes manifest', () => {
  it('is the same service as the one written with its fields side by side', () => {
    const manifest = check([exported]);
    expect(manifest.diagnostics).toEqual([]);
    expect(manifest.cluster!.services).toEqual(check([flat]).cluster!.services);
  });

  it('has its problems located inside the manifest, its name under metadata', () => {
    const wrong = {...exported, metadata: {name: 'web', namespace: 'shop'}, spec: {...exported.spec, clusterIP: '10.96.12.8', clusterIPs: undefined, ports: [{port: 81, nodePort: 99}]}};
    const problems = check([flat, wrong]).diagnostics.map((d) => `${d.path.join('.')}: ${d.message}`);
    expect(problems).toEqual([
      expect.stringMatching(/^spec\.services\.1\.metadata\.name: service name web is already used in namespace shop/),
      'spec.services.1.spec.ports.0.nodePort: nodePort 99 is outside nodePortRange 30000-32767',
      expect.stringMatching(/^spec\.services\.1\.spec\.ports\.0\.nodePort: service web: nodePort may not be used when type is ClusterIP/),
    ]);
  });

  it('refuses another apiVersion or kind, and fields that are not a Service\'s', () => {
    const messages = (service: unknown) => check([service]).diagnostics.map((d) => `${d.path.join('.')}: ${d.message}`);
    expect(messages({...exported, apiVersion: 'apps/v1'})).toEqual(['spec.services.0.apiVersion: "apps/v1" must be v1']);
    expect(messages({...exported, spec: {...exported.spec, endpoints: ['10.1.2.3']}})[0]).toMatch(/^spec\.services\.0\.spec\.endpoints: unknown field "endpoints"/);
  });
});

describe('a namespace written as a Kubernetes manifest', () => {
  const withNamespaces = (namespaces: unknown[]) => checkSpecText(stringify({...base, spec: {...base.spec, namespaces}}));

  it('is the same namespace, its labels taken from metadata', () => {
    const manifest = withNamespaces([{apiVersion: 'v1', kind: 'Namespace', metadata: {name: 'shop', labels: {team: 'blue'}, uid: '9c1e'}, spec: {finalizers: ['kubernetes']}, status: {phase: 'Active'}}]);
    expect(manifest.diagnostics).toEqual([]);
    expect(manifest.cluster!.namespaces).toEqual(withNamespaces([{name: 'shop', labels: {team: 'blue'}}]).cluster!.namespaces);
    expect(manifest.cluster!.namespaces.find((n) => n.name === 'shop')?.labels).toEqual(expect.objectContaining({team: 'blue'}));
  });

  it('has its problems located under metadata', () => {
    const problems = withNamespaces([{name: 'shop'}, {metadata: {name: 'shop'}}]).diagnostics.map((d) => d.path.join('.'));
    expect(problems).toEqual(['spec.namespaces.1.metadata.name']);
  });
});
