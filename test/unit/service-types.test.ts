/** A service's type, as in Kubernetes: ClusterIP or NodePort (node ports allocated when not given); the others refused. */
import {describe, expect, it} from '@jest/globals';
import {check, problems, type SpecObject} from './spec-builders.js';

const web = (s: SpecObject) => s.spec.services[0]!;
const ports = (s: SpecObject) => web(s).ports as Record<string, unknown>[];
const nodePorts = (change: (s: SpecObject) => void) => check(change).cluster?.services.map((s) => s.ports.map((p) => p.nodePort));

describe('service types', () => {
  it('give every port of a NodePort service a node port in nodePortRange, the same every time, one per protocol space', () => {
    const asNodePort = (s: SpecObject) => {
      web(s).type = 'NodePort';
      web(s).ports = [{name: 'http', port: 80, targetPort: 8080}, {name: 'dns', port: 53, protocol: 'UDP'}];
    };
    const [http, dns] = nodePorts(asNodePort)![0]!;
    for (const port of [http, dns]) expect(port).toEqual(expect.any(Number));
    expect(http).toBeGreaterThanOrEqual(30000);
    expect(http).toBeLessThanOrEqual(32767);
    expect(nodePorts(asNodePort)).toEqual([[http, dns]]);
    // Another NodePort service listed first does not move them (barring a collision of preferred slots).
    expect(nodePorts((s) => {
      asNodePort(s);
      s.spec.services.unshift({name: 'api', type: 'NodePort', clusterIP: '10.96.0.11', selector: {app: 'web'}, ports: [{port: 81}]});
    })?.[1]).toEqual([http, dns]);
  });

  it('keep the node ports the spec gives, and allocate around them', () => {
    expect(nodePorts((s) => {
      s.spec.nodePortRange = '30000-30001';
      web(s).type = 'NodePort';
      web(s).ports = [{name: 'a', port: 80, nodePort: 30000}, {name: 'b', port: 81}];
    })).toEqual([[30000, 30001]]);
  });

  it('say when nodePortRange has no node port left', () => {
    expect(problems((s) => {
      s.spec.nodePortRange = '30000-30000';
      web(s).type = 'NodePort';
      web(s).ports = [{name: 'a', port: 80}, {name: 'b', port: 81}];
    })).toEqual(['error port: service web: no TCP node port is left in nodePortRange 30000-30000 for port 81; widen nodePortRange']);
  });

  it('take a service that gives node ports without a type as NodePort, and one with neither as ClusterIP', () => {
    expect(nodePorts(() => {})).toEqual([[30080]]);
    expect(nodePorts((s) => delete ports(s)[0]!.nodePort)).toEqual([[undefined]]);
    expect(nodePorts((s) => { delete ports(s)[0]!.nodePort; web(s).type = 'ClusterIP'; })).toEqual([[undefined]]);
  });

  it.each([
    ['ClusterIP with a node port', (s: SpecObject) => (web(s).type = 'ClusterIP'),
      'error service-type: service web: nodePort may not be used when type is ClusterIP (as in Kubernetes); make it type NodePort'],
    ['NodePort and headless', (s: SpecObject) => { web(s).type = 'NodePort'; web(s).clusterIP = 'None'; delete ports(s)[0]!.nodePort; },
      'error service-type: service web: a NodePort service needs a cluster IP, so it cannot be headless (clusterIP: None)'],
    ['LoadBalancer', (s: SpecObject) => (web(s).type = 'LoadBalancer'),
      'error service-type: service web: type LoadBalancer needs a cloud load balancer, which netctl does not provide; use NodePort and put a load balancer of your own in front of the nodes'],
    ['ExternalName', (s: SpecObject) => (web(s).type = 'ExternalName'),
      'error service-type: service web: type ExternalName (a DNS alias) is not supported; give the service the backends\' addresses as endpoints instead'],
  ])('refuse %s', (_, change, expected) => {
    expect(problems(change)).toEqual([expected]);
  });
});
