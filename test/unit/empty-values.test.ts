/** Empty values that Kubernetes defaults as if they were not written (charts and generated manifests write them). */
import {describe, expect, it} from '@jest/globals';
import {check, problems, type SpecObject} from './spec-builders.js';

const web = (s: SpecObject) => s.spec.services[0]!;
const port = (s: SpecObject) => (web(s).ports as Record<string, unknown>[])[0]!;
const service = (change: (s: SpecObject) => void) => check(change).cluster?.services[0];
const unset = (field: string) => (s: SpecObject) => delete web(s)[field];

describe('an empty value is the default, as in Kubernetes', () => {
  it.each([
    ['clusterIP: "" (allocated)', unset('clusterIP'), (s: SpecObject) => (web(s).clusterIP = '')],
    ['sessionAffinity: ""', unset('sessionAffinity'), (s: SpecObject) => (web(s).sessionAffinity = '')],
    ['externalTrafficPolicy: ""', unset('externalTrafficPolicy'), (s: SpecObject) => (web(s).externalTrafficPolicy = '')],
    ['protocol: ""', () => {}, (s: SpecObject) => (port(s).protocol = '')],
    ['targetPort: 0 (the service port)', (s: SpecObject) => delete port(s).targetPort, (s: SpecObject) => (port(s).targetPort = 0)],
    ['targetPort: ""', (s: SpecObject) => delete port(s).targetPort, (s: SpecObject) => (port(s).targetPort = '')],
    ['nodePort: 0 (allocated)', (s: SpecObject) => delete port(s).nodePort, (s: SpecObject) => (port(s).nodePort = 0)],
  ])('%s', (_, written, empty) => {
    const nodePortService = (change: (s: SpecObject) => void) => (s: SpecObject) => {
      web(s).type = 'NodePort';
      change(s);
    };
    expect(problems(nodePortService(empty))).toEqual([]);
    const got = service(nodePortService(empty));
    expect(got).toBeDefined();
    expect(got).toEqual(service(nodePortService(written)));
  });

  it('type: "" is ClusterIP, as Kubernetes defaults it: node ports are refused there, as Kubernetes refuses them', () => {
    expect(problems((s) => {
      web(s).type = '';
      delete port(s).nodePort;
    })).toEqual([]);
    expect(service((s) => {
      web(s).type = '';
      delete port(s).nodePort;
    })?.ports[0]?.nodePort).toBeUndefined();
    expect(problems((s) => (web(s).type = ''))).toEqual([expect.stringContaining('error service-type:')]);
  });

  it('beside clusterIPs, which then gives the address', () => {
    expect(service((s) => Object.assign(web(s), {clusterIP: '', clusterIPs: ['10.96.0.99']}))).toMatchObject({clusterIP: 0x0a600063, clusterIPOrigin: 'spec'});
  });

  it('in a readiness probe: 0 for periodSeconds, timeoutSeconds and the thresholds, an empty scheme', () => {
    const probe = (written: Record<string, unknown>) => check((s) => (s.spec.pods[0]!.readinessProbe = written)).cluster?.pods[0]?.readinessProbe;
    expect(probe({httpGet: {port: 8080, scheme: ''}, periodSeconds: 0, timeoutSeconds: 0, successThreshold: 0, failureThreshold: 0})).toEqual(probe({httpGet: {port: 8080}}));
    expect(probe({tcpSocket: {port: 8080}, periodSeconds: 0})).toMatchObject({periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3});
  });

  it('in a pod\'s ports', () => {
    expect(check((s) => (s.spec.pods[0]!.ports = [{name: 'http', containerPort: 8080, protocol: ''}])).cluster?.pods[0]?.ports).toEqual([{name: 'http', containerPort: 8080, protocol: 'TCP'}]);
    expect(check((s) => (s.spec.pods[0]!.ports = [{name: '', containerPort: 8080}])).cluster?.pods[0]?.ports).toEqual([{containerPort: 8080, protocol: 'TCP'}]);
  });

  it('as a port\'s name: an unnamed port', () => {
    expect(problems((s) => (port(s).name = ''))).toEqual([]);
    expect(service((s) => (port(s).name = ''))?.ports[0]?.name).toBeUndefined();
  });

  it('is refused where Kubernetes refuses it: internalTrafficPolicy, a pointer there, is not defaulted when empty', () => {
    expect(problems((s) => (web(s).internalTrafficPolicy = ''))).toEqual(['error schema: "" must be one of Cluster, Local']);
  });

  it('is not offered where a value is wrong', () => {
    expect(problems((s) => (web(s).type = 'Nodeport'))).toEqual(['error schema: "Nodeport" must be one of ClusterIP, NodePort, LoadBalancer, ExternalName (did you mean "NodePort"?)']);
  });
});
