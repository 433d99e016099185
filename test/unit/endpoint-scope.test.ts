/** Endpoint syncs: what a pod becoming ready or not touches on a node, and what is read and re-read for it. */
import {describe, expect, it} from '@jest/globals';
import {desiredIptables} from '../../src/desired/index.js';
import {withReadiness} from '../../src/desired/readiness.js';
import {verificationScope} from '../../src/engine/engine.js';
import {observeScript} from '../../src/observe/script.js';
import {endpointScope} from '../../src/plan/endpoint-scope.js';
import {observeOptions} from '../../src/plan/node-plan.js';
import type {Change} from '../../src/plan/diff.js';
import type {Resource} from '../../src/resources/model.js';
import {check} from './spec-builders.js';

const {cluster} = check((s) => {
  s.spec.pods.push({name: 'api-1', node: 'node-b', labels: {app: 'api'}});
  s.spec.services.push({name: 'api', clusterIP: '10.96.0.11', selector: {app: 'api'}, ports: [{port: 80, targetPort: 9090}]});
  s.spec.dns = {};
});
const web1 = cluster!.pods.find((p) => p.name === 'web-1')!;
const chainsOf = (c: typeof cluster) => new Set(desiredIptables(c!).resources.map((r) => `${r.table} ${r.chain}`));

describe('an endpoint change', () => {
  const scope = endpointScope(cluster!, withReadiness(cluster!, new Set([web1.ip])));

  it('touches only the chains of the services whose endpoints changed', () => {
    const chains = [...scope.iptablesChains!].sort();
    expect(chains.length).toBeGreaterThan(0);
    const apiOnly = endpointScope(cluster!, withReadiness(cluster!, new Set([cluster!.pods.find((p) => p.name === 'api-1')!.ip])));
    for (const chain of apiOnly.iptablesChains!) expect(chains).not.toContain(chain);
    // The chain of the endpoint that left is in scope, so that the sync deletes it.
    const gone = [...chainsOf(cluster)].filter((c) => !chainsOf(withReadiness(cluster!, new Set([web1.ip]))).has(c));
    expect(gone.length).toBeGreaterThan(0);
    for (const chain of gone) expect(chains).toContain(chain);
    expect(scope.serviceRulesOnly).toBe(true);
  });

  it('touches nothing when readiness changed for no service', () => {
    expect(endpointScope(cluster!, cluster!).iptablesChains!.size).toBe(0);
  });

  it('reads nothing on the node but those chains and the DNS files', () => {
    const script = observeScript(observeOptions(cluster!, cluster!.nodes[0]!, 'apply', scope));
    expect(script).not.toMatch(/ip -j|ip -n|bridge -j|iptables-save|ip netns|probe/);
    for (const chain of scope.iptablesChains!) expect(script).toContain(`iptables -w 5 -t ${chain.split(' ')[0]} -S ${chain.split(' ')[1]}`);
    expect(script).toContain('dns-hosts');
  });
});

describe('verification after an apply', () => {
  const iptables = desiredIptables(cluster!).resources;
  const change = (after: Resource): Change => ({action: 'create', key: 'k', kind: after.kind, after, reason: 'missing on the node'});

  it('re-reads only the changed chains and the DNS files when nothing else changed', () => {
    const scope = verificationScope([change(iptables[0]!), change({kind: 'dns-hosts', ns: '', lines: []})]);
    expect(scope).toEqual({iptablesChains: new Set([`${iptables[0]!.table} ${iptables[0]!.chain}`]), serviceRulesOnly: true});
  });

  it('reads the changed chains one by one only while the node\'s ruleset makes that cheaper than a whole read', () => {
    const changes = iptables.filter((r) => r.kind === 'iptables-chain').map((r) => change(r));
    expect(changes.length).toBeGreaterThan(2);
    expect(verificationScope(changes, 100).iptablesChains).toBeUndefined();
    expect(verificationScope(changes, 30000).iptablesChains?.size).toBe(changes.length);
    expect(verificationScope(changes).iptablesChains?.size).toBe(changes.length);
  });

  it('re-reads the rest of the node whole once anything else changed', () => {
    const scope = verificationScope([change(iptables[0]!), change({kind: 'netns', ns: '', name: 'web-1'})]);
    expect(scope.serviceRulesOnly).toBeUndefined();
    expect(observeScript({...observeOptions(cluster!, cluster!.nodes[0]!, 'apply', scope), probes: []})).toContain('ip -j -d link show');
  });
});
