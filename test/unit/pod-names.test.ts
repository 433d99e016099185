/**
 * Pod names are unique within a namespace, as in Kubernetes: two pods of one name in two namespaces
 * are two pods everywhere netctl keys pods (network namespaces, links, addresses, readiness, names).
 */
import {describe, expect, it} from '@jest/globals';
import {partyOf, podByRef} from '../../src/cli/party.js';
import {desiredResources, desiredState} from '../../src/desired/index.js';
import {netnsPod, podNetns} from '../../src/desired/names.js';
import {formatAddress} from '../../src/net/ipv4.js';
import {planNode} from '../../src/plan/node-plan.js';
import {notReadyPods} from '../../src/plan/readiness.js';
import {checkSpecText} from '../../src/spec/check.js';
import {planDocument, renderPlanText} from '../../src/ui/plan-view.js';
import {emptyNode} from './observation-builders.js';

const spec = `apiVersion: netctl/v1
kind: ClusterNetwork
metadata: {name: twins}
spec:
  mode: overlay
  clusterCIDR: 10.244.0.0/16
  serviceCIDR: 10.96.0.0/16
  dns: {upstream: [192.0.2.53]}
  nodes:
    - {name: node1, address: 198.51.100.1/24}
  pods:
    - {name: web, node: node1, labels: {app: web}, readinessProbe: {tcpSocket: {port: 8080}}}
    - {name: web, node: node1, namespace: shop, labels: {app: web}, readinessProbe: {tcpSocket: {port: 8080}}}
  services:
    - {name: web, selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}
    - {name: web, namespace: shop, selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}
`;
const result = checkSpecText(spec);
const cluster = result.cluster!;
const [plain, shop] = cluster.pods;

describe('two pods of one name in two namespaces', () => {
  it('are a valid spec, with an address each', () => {
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(plain!.ip).not.toBe(shop!.ip);
  });

  it('get a network namespace each: the name in default, <name>.<namespace> elsewhere, and back', () => {
    expect([podNetns(plain!), podNetns(shop!)]).toEqual(['web', 'web.shop']);
    expect([netnsPod('web'), netnsPod('web.shop')]).toEqual(['web', 'shop/web']);
    const resources = desiredResources(desiredState({cluster, node: cluster.nodes[0]!, facts: {uplink: 'eth0', nameservers: []}}));
    expect(resources.filter((r) => r.kind === 'netns').map((r) => r.kind === 'netns' && r.name)).toEqual(['web', 'web.shop']);
    const veths = resources.filter((r) => r.kind === 'link' && r.ns === '' && r.type === 'veth');
    expect(new Set(veths.map((r) => r.kind === 'link' && r.name)).size).toBe(2);
    expect(resources.filter((r) => r.kind === 'pod-resolver').map((r) => r.kind === 'pod-resolver' && [r.pod, r.search[0]])).toEqual([['web', 'default.svc.cluster.local'], ['web.shop', 'shop.svc.cluster.local']]);
  });

  it('are planned as pods of their namespaces', () => {
    const text = renderPlanText(planDocument({intent: 'apply', nodes: [{status: 'planned', ...planNode(cluster, cluster.nodes[0]!, emptyNode('198.51.100.1'), 'apply')}]}));
    expect(text).toContain(`  + address ${formatAddress(shop!.ip)}/24 on eth0 in pod shop/web\n`);
    expect(text).toContain(`  + address ${formatAddress(plain!.ip)}/24 on eth0 in pod web\n`);
    expect(text).toContain('  + resolver of pod shop/web: nameserver');
  });

  it('are ready or not each by its own probe', () => {
    const probed = new Map([['node1', new Map([['web', 'exit 0 '], ['web.shop', 'exit 1 bash: connect: Connection refused']])]]);
    expect(notReadyPods(cluster, probed, new Set()).map((n) => [n.pod.namespace, n.pod.name, n.detail])).toEqual([['shop', 'web', 'connection refused']]);
  });

  it('are told apart by NAMESPACE/POD on the command line; the bare name is ambiguous', () => {
    expect(podByRef(cluster, 'shop/web')).toBe(shop);
    expect(podByRef(cluster, 'default/web')).toBe(plain);
    expect(podByRef(cluster, 'web')).toBe('pods named web run in namespaces default, shop; write NAMESPACE/POD');
    expect(partyOf(cluster, 'web')).toBe('pods named web run in namespaces default, shop; write NAMESPACE/POD, node:NODE or an IPv4 address');
  });
});
