/** The Kubernetes service fields an exported manifest carries: dual-stack fields, traffic policies, appProtocol, externalIPs. */
import {describe, expect, it} from '@jest/globals';
import {desiredIptables} from '../../src/desired/index.js';
import {serviceChain} from '../../src/desired/services.js';
import {check, problems, type SpecObject} from './spec-builders.js';

const web = (s: SpecObject) => s.spec.services[0]!;
const ports = (s: SpecObject) => web(s).ports as Record<string, unknown>[];
const service = (change: (s: SpecObject) => void) => check(change).cluster?.services[0];

describe('dual-stack fields on the IPv4-only service network', () => {
  it('accept what a single-stack IPv4 service exported from Kubernetes carries', () => {
    expect(problems((s) => Object.assign(web(s), {clusterIPs: ['10.96.0.10'], ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack'}))).toEqual([]);
    expect(problems((s) => Object.assign(web(s), {ipFamilyPolicy: 'PreferDualStack'}))).toEqual([]);
    expect(problems((s) => Object.assign(web(s), {clusterIP: 'None', clusterIPs: ['None'], ports: [{name: 'http', port: 80}]}))).toEqual([]);
  });

  it('take the cluster IP from clusterIPs when clusterIP is not written', () => {
    expect(service((s) => {
      delete web(s).clusterIP;
      web(s).clusterIPs = ['10.96.0.99'];
    })).toMatchObject({clusterIP: 0x0a600063, clusterIPOrigin: 'spec'});
    expect(service((s) => {
      delete web(s).clusterIP;
      web(s).clusterIPs = ['None'];
      ports(s)[0] = {name: 'http', port: 80};
    })?.clusterIP).toBeUndefined();
    expect(problems((s) => {
      delete web(s).clusterIP;
      web(s).clusterIPs = ['10.97.0.1'];
    })).toEqual(['error cluster-ip: cluster IP 10.97.0.1 is outside serviceCIDR 10.96.0.0/16']);
  });

  it.each([
    ['an IPv6 family', (s: SpecObject) => (web(s).ipFamilies = ['IPv4', 'IPv6']),
      "error ip-family: service web: ipFamilies may hold only IPv4: netctl's service network is IPv4 only"],
    ['RequireDualStack', (s: SpecObject) => (web(s).ipFamilyPolicy = 'RequireDualStack'),
      "error ip-family: service web: RequireDualStack needs IPv4 and IPv6 cluster IPs, and netctl's service network is IPv4 only; use SingleStack"],
    ['a second cluster IP', (s: SpecObject) => (web(s).clusterIPs = ['10.96.0.10', '10.96.0.11']),
      "error ip-family: service web: clusterIPs holds one address: a second entry would be an IPv6 address, and netctl's service network is IPv4 only"],
    ['IPv4 listed twice', (s: SpecObject) => (web(s).ipFamilies = ['IPv4', 'IPv4']),
      'error ip-family: service web: ipFamilies lists IPv4 twice'],
    ['clusterIPs that do not start with clusterIP', (s: SpecObject) => (web(s).clusterIPs = ['10.96.0.11']),
      'error cluster-ip: service web: clusterIPs must start with clusterIP 10.96.0.10 (as in Kubernetes), not 10.96.0.11'],
  ])('refuse %s', (_, change, expected) => {
    expect(problems(change)).toEqual([expected]);
  });
});

describe('traffic policies', () => {
  it('default to Cluster, and take Local', () => {
    expect(service(() => {})).toMatchObject({internalTrafficPolicy: 'Cluster', externalTrafficPolicy: 'Cluster'});
    expect(service((s) => Object.assign(web(s), {internalTrafficPolicy: 'Local', externalTrafficPolicy: 'Local'})))
      .toMatchObject({internalTrafficPolicy: 'Local', externalTrafficPolicy: 'Local'});
  });

  it('refuse externalTrafficPolicy on a ClusterIP service, as Kubernetes does', () => {
    expect(problems((s) => {
      delete ports(s)[0]!.nodePort;
      web(s).externalTrafficPolicy = 'Cluster';
    })).toEqual(['error service-type: service web: externalTrafficPolicy may only be set when type is NodePort (as in Kubernetes): a ClusterIP service takes no traffic from outside the cluster']);
  });
});

describe('appProtocol', () => {
  it('accepts a qualified name, and nothing else', () => {
    expect(problems((s) => (ports(s)[0]!.appProtocol = 'kubernetes.io/h2c'))).toEqual([]);
    expect(problems((s) => (ports(s)[0]!.appProtocol = 'http'))).toEqual([]);
    expect(problems((s) => (ports(s)[0]!.appProtocol = 'h t t p'))).toEqual(['error schema: "h t t p" must be a qualified name like http or kubernetes.io/h2c']);
  });
});

describe('externalIPs', () => {
  const rules = (change: (s: SpecObject) => void) => {
    const c = check(change).cluster!;
    return desiredIptables(c).resources.flatMap((r) => (r.kind === 'iptables-chain' ? r.rules.map((rule) => `${r.chain} ${rule.join(' ')}`) : []));
  };

  it('serve the service ports on each external IP as on the cluster IP, marked for masquerade', () => {
    const service = check().cluster!.services[0]!;
    const withIPs = rules((s) => (web(s).externalIPs = ['198.51.100.50']));
    expect(withIPs.filter((r) => r.includes('external IP'))).toEqual([
      'NETCTL-SERVICES -d 198.51.100.50/32 -p tcp -m comment --comment netctl: web/http external IP -m tcp --dport 80 -j NETCTL-MARK-MASQ',
      `NETCTL-SERVICES -d 198.51.100.50/32 -p tcp -m comment --comment netctl: web/http external IP -m tcp --dport 80 -j ${serviceChain(service, service.ports[0]!)}`,
    ]);
  });

  it('refuse them without endpoints at once, as the cluster IP', () => {
    expect(rules((s) => {
      web(s).externalIPs = ['198.51.100.50'];
      web(s).selector = {app: 'none'};
    }).filter((r) => r.includes('198.51.100.50'))).toEqual([
      'NETCTL-REJECT -d 198.51.100.50/32 -p tcp -m comment --comment netctl: web/http has no endpoints -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable',
    ]);
  });

  it.each([
    ['a loopback address', ['127.0.0.1'], 'error external-ip: service web: external IP 127.0.0.1 is in the loopback range, which Kubernetes refuses: no traffic for it reaches a node'],
    ['a link-local address', ['169.254.1.1'], 'error external-ip: service web: external IP 169.254.1.1 is in the link-local range, which Kubernetes refuses: no traffic for it reaches a node'],
    ['the same address twice', ['198.51.100.50', '198.51.100.50'], 'error external-ip: service web: external IP 198.51.100.50 is listed twice'],
  ])('refuse %s', (_, ips, expected) => {
    expect(problems((s) => (web(s).externalIPs = ips))).toEqual([expected]);
  });

  it('are refused with externalTrafficPolicy Local, and have no effect on a headless service', () => {
    expect(problems((s) => Object.assign(web(s), {externalIPs: ['198.51.100.50'], externalTrafficPolicy: 'Local'}))).toEqual([
      'error external-ip: service web: externalTrafficPolicy Local with externalIPs is not supported: netctl tells the node traffic arrived at by its address, which an external IP is not; use Cluster',
    ]);
    expect(problems((s) => Object.assign(web(s), {externalIPs: ['198.51.100.50'], clusterIP: 'None', ports: [{name: 'http', port: 80}]}))).toEqual([
      'warning external-ip: service web is headless (clusterIP: None): it has no virtual IP to balance, so externalIPs have no effect',
    ]);
  });
});
