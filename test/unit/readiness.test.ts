/** Readiness probes: the spec (Kubernetes' defaults and rules), what a probe's output means, and endpoints. */
import {describe, expect, it} from '@jest/globals';
import {withReadiness} from '../../src/desired/readiness.js';
import {httpRequest, probeResult, probeScript} from '../../src/observe/probes.js';
import {ReadinessTracker, notReadyPods, notReadyText} from '../../src/plan/readiness.js';
import {parseDuration} from '../../src/cli/duration.js';
import type {Probe} from '../../src/spec/types.js';
import {check, problems} from './spec-builders.js';

const tcp: Probe = {action: {kind: 'tcpSocket', port: 8080}, initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3};
const http: Probe = {...tcp, action: {kind: 'httpGet', path: '/healthz', port: 8080}};
const exec: Probe = {...tcp, action: {kind: 'exec', command: ['cat', '/tmp/ready']}};

describe('readiness probes in the spec', () => {
  it('take Kubernetes\' defaults and resolve a named port on the pod', () => {
    const {cluster} = check((s) => {
      s.spec.pods[0]!.ports = [{name: 'http', containerPort: 8080}];
      s.spec.pods[0]!.readinessProbe = {tcpSocket: {port: 'http'}};
    });
    expect(cluster?.pods[0]?.readinessProbe).toEqual(tcp);
    expect(cluster?.pods[1]?.readinessProbe).toBeUndefined();
  });

  it('need exactly one kind of probe', () => {
    expect(problems((s) => (s.spec.pods[0]!.readinessProbe = {tcpSocket: {port: 80}, exec: {command: ['true']}})))
      .toEqual(['error probe: the readiness probe of pod web-1 has tcpSocket and exec; give exactly one of tcpSocket, httpGet or exec']);
    expect(problems((s) => (s.spec.pods[0]!.readinessProbe = {periodSeconds: 5})))
      .toEqual(['error probe: the readiness probe of pod web-1 needs one of tcpSocket, httpGet or exec']);
  });

  it('name a port the pod declares (TCP)', () => {
    expect(problems((s) => {
      s.spec.pods[0]!.ports = [{name: 'metrics', containerPort: 9090}];
      s.spec.pods[0]!.readinessProbe = {httpGet: {path: '/', port: 'http'}};
    })).toEqual(['error probe: pod web-1 has no TCP port named http (its named ports: metrics)']);
  });

  it('take an HTTP path without its leading slash as a kubelet does: healthz is /healthz, an empty one /', () => {
    const pathOf = (path: string) => {
      const action = check((s) => (s.spec.pods[0]!.readinessProbe = {httpGet: {path, port: 8080}})).cluster?.pods[0]?.readinessProbe?.action;
      return action?.kind === 'httpGet' ? action.path : undefined;
    };
    expect([pathOf('healthz'), pathOf('/ready?full=1'), pathOf('')]).toEqual(['/healthz', '/ready?full=1', '/']);
    expect(problems((s) => (s.spec.pods[0]!.readinessProbe = {httpGet: {path: '/a b', port: 8080}}))).toEqual(['error schema: "/a b" must be an HTTP path, without spaces']);
  });

  it('take an HTTP probe\'s host, scheme HTTP and httpHeaders as Kubernetes does, and refuse HTTPS', () => {
    const {cluster} = check((s) => (s.spec.pods[0]!.readinessProbe = {httpGet: {port: 8080, host: 'localhost', scheme: 'HTTP', httpHeaders: [{name: 'X-Probe', value: 'a b'}]}}));
    expect(cluster?.pods[0]?.readinessProbe?.action).toEqual({kind: 'httpGet', path: '/', port: 8080, host: 'localhost', headers: [{name: 'X-Probe', value: 'a b'}]});
    expect(problems((s) => (s.spec.pods[0]!.readinessProbe = {httpGet: {port: 8443, scheme: 'HTTPS'}})))
      .toEqual([expect.stringMatching(/^error probe: the readiness probe of pod web-1 uses HTTPS, which netctl cannot probe/)]);
    const {diagnostics} = check((s) => (s.spec.pods[0]!.readinessProbe = {httpGet: {port: 8080, httpHeaders: [{name: 'X-A', value: 'b\r\nHost: evil'}, {name: 'Bad Name', value: 'c'}]}}));
    expect(diagnostics.map((d) => d.path.join('.'))).toEqual([
      'spec.pods.0.readinessProbe.httpGet.httpHeaders.0.value',
      'spec.pods.0.readinessProbe.httpGet.httpHeaders.1.name',
    ]);
  });

  it('keep their numbers in Kubernetes\' ranges (schema; 0 is the default, as there)', () => {
    const {diagnostics} = check((s) => (s.spec.pods[0]!.readinessProbe = {tcpSocket: {port: 80}, periodSeconds: -1}));
    expect(diagnostics.map((d) => [d.path.join('.'), d.message])).toEqual([['spec.pods.0.readinessProbe.periodSeconds', 'must be between 0 and 3600, got -1']]);
  });
});

describe('an HTTP probe\'s request', () => {
  it.each([
    ['Kubernetes\' headers by default', [], 'GET /healthz HTTP/1.0\r\nHost: 10.244.1.10:8080\r\nUser-Agent: netctl-probe\r\nAccept: */*\r\n\r\n'],
    ['httpHeaders added in order', [{name: 'X-A', value: '1'}, {name: 'X-A', value: '2'}], 'GET /healthz HTTP/1.0\r\nHost: 10.244.1.10:8080\r\nUser-Agent: netctl-probe\r\nAccept: */*\r\nX-A: 1\r\nX-A: 2\r\n\r\n'],
    ['Host, User-Agent and Accept replaced, whatever their case', [{name: 'host', value: 'web.example'}, {name: 'User-Agent', value: 'me'}, {name: 'ACCEPT', value: 'text/plain'}],
      'GET /healthz HTTP/1.0\r\nhost: web.example\r\nUser-Agent: me\r\nACCEPT: text/plain\r\n\r\n'],
    ['an empty Accept sends none', [{name: 'Accept', value: ''}], 'GET /healthz HTTP/1.0\r\nHost: 10.244.1.10:8080\r\nUser-Agent: netctl-probe\r\n\r\n'],
  ])('%s', (_, headers, request) => {
    expect(httpRequest('10.244.1.10', 8080, '/healthz', headers)).toBe(request);
  });

  it('connects to the probe\'s host when it names one (tcpSocket too), and says so in Host', () => {
    const tcp = check((s) => (s.spec.pods[0]!.readinessProbe = {tcpSocket: {port: 8080, host: 'localhost'}}));
    expect(probeScript(tcp.cluster!.pods)[0]).toContain("'exec 3<>\"/dev/tcp/$1/$2\"' probe localhost 8080 ");
    const {cluster} = check((s) => (s.spec.pods[0]!.readinessProbe = {httpGet: {path: '/ready', port: 8080, host: '127.0.0.1'}}));
    const [line] = probeScript(cluster!.pods);
    expect(line).toContain("probe 127.0.0.1 8080 'GET /ready HTTP/1.0\r\nHost: 127.0.0.1:8080\r\n");
  });
});

describe('what a probe\'s output means', () => {
  it.each([
    [tcp, 'exit 0 ', true, 'connected'],
    [tcp, 'exit 1 bash: connect: Connection refused', false, 'connection refused'],
    [tcp, 'exit 124 ', false, 'no answer within 1 s'],
    [http, 'exit 0 HTTP/1.1 200 OK\r', true, 'HTTP 200'],
    [http, 'exit 0 HTTP/1.0 302 Found', true, 'HTTP 302'],
    [http, 'exit 0 HTTP/1.1 503 Service Unavailable', false, 'HTTP 503'],
    [http, 'exit 2 bash: connect: Connection refused', false, 'connection refused'],
    [exec, 'exit 0 ', true, 'exit 0'],
    [exec, 'exit 1 cat: /tmp/ready: No such file or directory', false, 'exit 1: cat: /tmp/ready: No such file or directory'],
    [tcp, 'absent', false, 'not probed: the pod has no network namespace on its node'],
  ] as const)('%#: %s', (probe, output, ready, detail) => {
    expect(probeResult(probe, output)).toEqual({ready, detail});
  });

  it('are run from the node against the pod IP, and exec ones inside the pod, each bounded by its timeout', () => {
    const {cluster} = check((s) => {
      s.spec.pods[0]!.readinessProbe = {tcpSocket: {port: 8080}, timeoutSeconds: 2};
      s.spec.pods[1]!.readinessProbe = {exec: {command: ['sh', '-c', 'test -e /tmp/ready; echo $HOME']}};
    });
    const [tcpLine, execLine] = probeScript(cluster!.pods);
    expect(tcpLine).toContain("timeout 2 bash -c 'exec 3<>\"/dev/tcp/$1/$2\"' probe 10.244.1.10 8080 ");
    expect(execLine).toContain("ip netns exec web-2 timeout 1 sh -c 'test -e /tmp/ready; echo $HOME'");
  });

  it('are not run for a pod whose network namespace is not on its node', () => {
    const {cluster} = check((s) => (s.spec.pods[0]!.readinessProbe = {tcpSocket: {port: 8080}}));
    const [line] = probeScript(cluster!.pods);
    expect(line).toMatch(/^printf '\\n@@netctl %s\\n' 'probe web-1'; if \[ -e \/run\/netns\/web-1 \]; then out=\$\(timeout 1 bash .*; else echo absent; fi$/);
  });
});

describe('endpoints follow readiness', () => {
  const {cluster} = check((s) => {
    s.spec.pods[0]!.readinessProbe = {tcpSocket: {port: 8080}};
    s.spec.pods[1]!.readinessProbe = {tcpSocket: {port: 8080}};
  });
  const [web1, web2] = cluster!.pods;

  it('leave out pods whose probe failed, and those on nodes that could not be read', () => {
    const probed = new Map([['node-a', new Map([['web-1', 'exit 1 bash: connect: Connection refused']])]]);
    const notReady = notReadyPods(cluster!, probed, new Set(['node-b']));
    expect(notReady.map(notReadyText)).toEqual(['web-1 not ready: tcp 8080: connection refused', 'web-2 not ready: tcp 8080: its node cannot be read']);
    const serving = withReadiness(cluster!, new Set(notReady.map((n) => n.pod.ip)));
    expect(serving.services[0]!.endpoints).toEqual([]);
    expect(serving.services[0]!.ports[0]!.endpoints).toEqual([]);
  });

  it('stay in a service with publishNotReadyAddresses, as in Kubernetes', () => {
    const published = check((s) => {
      s.spec.pods[0]!.readinessProbe = {tcpSocket: {port: 8080}};
      s.spec.services[0]!.publishNotReadyAddresses = true;
    }).cluster!;
    const serving = withReadiness(published, new Set([published.pods[0]!.ip]));
    expect(serving.services[0]!.endpoints).toEqual(published.services[0]!.endpoints);
    expect(serving.services[0]!.ports[0]!.endpoints).toHaveLength(2);
  });

  it('keep pods of nodes the run does not read as they are', () => {
    const probed = new Map([['node-a', new Map([['web-1', 'exit 0 ']])]]);
    expect(notReadyPods(cluster!, probed, new Set())).toEqual([]);
    expect(withReadiness(cluster!, new Set())).toBe(cluster);
    expect([web1!.ip, web2!.ip]).toEqual(cluster!.services[0]!.endpoints);
  });
});

describe('readiness over time (the reconcile loop)', () => {
  const {cluster} = check((s) => {
    s.spec.pods[0]!.readinessProbe = {tcpSocket: {port: 8080}, periodSeconds: 2, successThreshold: 2, failureThreshold: 3, initialDelaySeconds: 5};
  });
  const pod = cluster!.pods[0]!;
  const ok = {ready: true, detail: 'connected'};
  const refused = {ready: false, detail: 'connection refused'};

  it('starts not ready, probes after initialDelaySeconds, then every periodSeconds', () => {
    const tracker = new ReadinessTracker(cluster!.pods, 0);
    expect(tracker.notReady().map((n) => n.detail)).toEqual(['not probed yet']);
    expect(tracker.due(4999)).toEqual([]);
    expect(tracker.settled(4999)).toBe(true);
    expect(tracker.due(5000)).toEqual([pod]);
    expect(tracker.settled(5000)).toBe(false);
    expect(tracker.record(pod, ok, 5000)).toEqual({pod, ready: false, detail: 'connected'});
    expect(tracker.nextDue()).toBe(7000);
  });

  it('needs successThreshold successes in a row to be ready, failureThreshold failures to stop being ready', () => {
    const tracker = new ReadinessTracker(cluster!.pods, 0);
    tracker.record(pod, ok, 5000);
    expect(tracker.record(pod, ok, 7000)).toEqual({pod, ready: true, detail: 'connected'});
    expect(tracker.record(pod, refused, 9000)).toBeUndefined();
    expect(tracker.record(pod, refused, 11000)).toBeUndefined();
    expect(tracker.record(pod, ok, 13000)).toBeUndefined();
    expect(tracker.record(pod, refused, 15000)).toBeUndefined();
    expect(tracker.record(pod, refused, 17000)).toBeUndefined();
    expect(tracker.record(pod, refused, 19000)).toEqual({pod, ready: false, detail: 'connection refused'});
    expect(tracker.notReady().map(notReadyText)).toEqual(['web-1 not ready: tcp 8080: connection refused']);
  });

  it('probes again at once, before any sync, the pods of a node that came back', () => {
    const tracker = new ReadinessTracker(cluster!.pods, 0);
    tracker.record(pod, ok, 5000);
    tracker.reprobe([pod], 6000);
    expect(tracker.due(6000)).toEqual([pod]);
    expect(tracker.settled(6000)).toBe(false);
  });

  it('carries a pod\'s readiness over a reloaded spec when its node, address and probe stay, and starts it afresh otherwise', () => {
    const tracker = new ReadinessTracker(cluster!.pods, 0);
    tracker.record(pod, ok, 5000);
    tracker.record(pod, ok, 7000);
    const same = tracker.followedBy(cluster!.pods, 8000);
    expect(same.notReady()).toEqual([]);
    expect(same.settled(8000)).toBe(true);
    expect(same.nextDue()).toBe(9000);
    const slower = {...pod, readinessProbe: {...pod.readinessProbe!, periodSeconds: 5}};
    expect(tracker.followedBy([slower], 8000).notReady()).toEqual([{pod: slower, detail: 'not probed yet'}]);
    const moved = {...pod, ip: pod.ip + 1};
    expect(tracker.followedBy([moved], 8000).notReady()).toEqual([{pod: moved, detail: 'not probed yet'}]);
  });
});

describe('durations on the command line', () => {
  it.each([['500ms', 500], ['3s', 3000], ['1.5s', 1500], ['2m', 120_000], ['1h', 3_600_000]])('%s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });
  it.each(['3', 's', '3 s', '-1s', '2d', '1e3ms'])('refuses %s', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});
