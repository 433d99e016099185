import {describe, expect, it} from '@jest/globals';
import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import {creationOrder} from '../../src/apply/chain-restores.js';
import {applyScript} from '../../src/apply/script.js';
import {desiredResources, desiredState} from '../../src/desired/index.js';
import {endpointChain, probability, serviceChain} from '../../src/desired/services.js';
import {diff} from '../../src/plan/diff.js';
import {planNode} from '../../src/plan/node-plan.js';
import {groupServiceChanges} from '../../src/plan/service-changes.js';
import {checkSpecText} from '../../src/spec/check.js';
import {emptyNode} from './observation-builders.js';

const specText = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'plans', 'services', 'spec.yaml'), 'utf8');
const compile = (text: string) => checkSpecText(text).cluster!;
const cluster = compile(specText);
const node = cluster.nodes[0]!;
const desired = (c = cluster) => desiredResources(desiredState({cluster: c, node: c.nodes[0]!, facts: {uplink: 'eth0', nameservers: ['192.0.2.53']}}));

describe('service rules', () => {
  it('give every endpoint an equal share: 1/n, 1/(n-1), ... as iptables prints them back', () => {
    expect([4, 3, 2].map(probability)).toEqual(['0.25000000000', '0.33333333349', '0.50000000000']);
  });

  it('create many chains in strides of the sorted names, never in name order (iptables-nft reads those slowly)', () => {
    const names = Array.from({length: 520}, (_, i) => `NETCTL-SEP-${String(i).padStart(16, '0')}`);
    const order = creationOrder([...names].reverse());
    expect(order.slice(0, 4)).toEqual([names[0], names[256], names[512], names[1]]);
    expect([...order].sort()).toEqual(names);
  });

  it('name chains after the identity of the service port and endpoint, within 28 characters', () => {
    const web = cluster.services.find((s) => s.name === 'web')!;
    const chain = serviceChain(web, web.ports[0]!);
    expect(chain).toMatch(/^NETCTL-SVC-[0-9A-F]{16}$/);
    expect(endpointChain(web, web.ports[0]!, '10.244.1.10:8080').length).toBeLessThanOrEqual(28);
    expect(serviceChain(web, web.ports[0]!)).toBe(chain);
  });

  it('show a removed endpoint as one service change naming only that endpoint', () => {
    const fewer = compile(specText.replace('labels: {app: web}}\n    - {name: dns-1', 'labels: {app: old}}\n    - {name: dns-1'));
    const {changes} = diff(desired(fewer), {resources: desired(), foreign: new Map()});
    const {services, others} = groupServiceChanges(changes);
    expect(others).toEqual([]);
    expect(services).toEqual([expect.objectContaining({
      service: 'web/http', action: 'update', reason: '- endpoint 10.244.2.10:8080', endpointsAdded: [], endpointsRemoved: ['10.244.2.10:8080'],
    })]);
  });

  it('describe new services with their address, node port and endpoints', () => {
    const {changes} = diff(desired(), {resources: [], foreign: new Map()});
    expect(groupServiceChanges(changes).services.map((s) => `${s.action} ${s.description}`)).toEqual([
      'create service dns/dns (UDP 10.96.0.53:53, endpoints 10.244.2.53:53)',
      'create service empty/tcp-5432 (TCP 10.96.0.99:5432, node port 30432, no endpoints: connections are refused)',
      'create service web/http (TCP 10.96.0.10:80, node port 30080, endpoints 10.244.1.10:8080, 10.244.2.10:8080)',
    ]);
  });

  it('show front rules that come back alone (a flushed chain) as repairs of their services, not new services', () => {
    const flushed = desired().map((r) => (r.kind === 'iptables-chain' && ['NETCTL-SERVICES', 'NETCTL-NODEPORTS'].includes(r.chain) ? {...r, rules: []} : r));
    const {changes} = diff(desired(), {resources: flushed, foreign: new Map()});
    expect(groupServiceChanges(changes).services.map((s) => `${s.action} ${s.description}: ${s.reason}`)).toEqual([
      'update service dns/dns: + cluster IP rule',
      'update service web/http: + cluster IP rule, + node port rule',
    ]);
  });

  it('forget the conntrack entries of a UDP endpoint that goes away', () => {
    const noDns = compile(specText.replace('{app: dns}}', '{app: gone}}'));
    const {changes} = diff(desired(noDns), {resources: desired(), foreign: new Map()});
    expect(applyScript(changes)).toContain(
      'if command -v conntrack >/dev/null 2>&1; then\n  conntrack -D -p udp --reply-src 10.244.2.53 --reply-port-src 53 >/dev/null 2>&1 || true\nfi\n',
    );
  });

  it('warn when conntrack is missing and UDP services exist', () => {
    const plan = planNode(cluster, node, {...emptyNode('198.51.100.1'), missingTools: ['conntrack']}, 'apply');
    expect(plan.warnings).toEqual([expect.stringContaining('the node has no conntrack command')]);
    expect(plan.errors).toEqual([]);
  });

  it('report netctl chains in the iptables backend the node does not use', () => {
    const observed = {...emptyNode('198.51.100.1'), chainsInOtherBackend: {command: 'iptables-legacy-save', count: 2}};
    expect(planNode(cluster, node, observed, 'apply').warnings).toEqual([
      '2 netctl chains found in the iptables backend this node does not use (iptables-legacy-save); netctl works through nf_tables and leaves them: remove them by hand',
    ]);
  });
});
