/** A pod's resolv.conf from its dnsPolicy and dnsConfig, as a kubelet builds it; and the rules Kubernetes checks. */
import {describe, expect, it} from '@jest/globals';
import {podResolvers} from '../../src/desired/pod-resolvers.js';
import {parseHostResolvConf} from '../../src/observe/dns.js';
import {parseResolver, renderResolver, type PodResolver} from '../../src/resources/dns.js';
import {check, problems, type SpecObject} from './spec-builders.js';

const pod = (s: SpecObject) => s.spec.pods[0]!;
const host = {nameservers: ['192.0.2.53', '192.0.2.54'], hostResolvConf: {nameservers: ['192.0.2.53', '192.0.2.54'], search: ['corp.example'], options: ['timeout:2', 'rotate'], file: '/etc/resolv.conf'}};
/** A node whose /etc/resolv.conf is systemd-resolved's stub: pods start from its upstream file. */
const stubbed = {nameservers: ['127.0.0.53'], hostResolvConf: {nameservers: ['192.0.2.53'], search: ['corp.example'], options: [], file: '/run/systemd/resolve/resolv.conf'}};

/** web-1's resolv.conf (node-a: pod CIDR 10.244.1.0/24, cluster DNS on 10.244.1.1 when the spec has dns). */
function resolverOf(change: (s: SpecObject) => void, withDns = true, facts: typeof host | typeof stubbed = host): PodResolver | undefined {
  const cluster = check((s) => {
    if (withDns) s.spec.dns = {};
    change(s);
  }).cluster!;
  const node = cluster.nodes[0]!;
  return podResolvers(cluster, node, withDns ? '10.244.1.1' : undefined, facts).find((r) => r.pod === 'web-1');
}

const clusterSearch = ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local'];

describe('a pod\'s resolv.conf, as a kubelet writes it', () => {
  it.each<[string, (s: SpecObject) => void, boolean, Omit<PodResolver, 'kind' | 'ns' | 'pod'> | undefined]>([
    ['ClusterFirst: cluster DNS, the namespace\'s search path then the node\'s, ndots:5', () => {}, true,
      {nameservers: ['10.244.1.1'], search: [...clusterSearch, 'corp.example'], options: ['ndots:5']}],
    ['ClusterFirstWithHostNet, and an empty dnsPolicy: ClusterFirst', (s) => (pod(s).dnsPolicy = 'ClusterFirstWithHostNet'), true,
      {nameservers: ['10.244.1.1'], search: [...clusterSearch, 'corp.example'], options: ['ndots:5']}],
    ['ClusterFirst with dnsConfig: name servers and searches appended without duplicates, options replaced by name', (s) => (pod(s).dnsConfig = {
      nameservers: ['198.51.100.53'], searches: ['svc.cluster.local', 'team.example'], options: [{name: 'ndots', value: '2'}, {name: 'edns0'}],
    }), true, {nameservers: ['10.244.1.1', '198.51.100.53'], search: [...clusterSearch, 'corp.example', 'team.example'], options: ['ndots:2', 'edns0']}],
    ['Default: the node\'s file itself, so none of netctl\'s', (s) => (pod(s).dnsPolicy = 'Default'), true, undefined],
    ['Default with dnsConfig: the node\'s name servers, searches and options, and the pod\'s', (s) => Object.assign(pod(s), {dnsPolicy: 'Default', dnsConfig: {searches: ['team.example'], options: [{name: 'timeout', value: '5'}]}}), true,
      {nameservers: ['192.0.2.53', '192.0.2.54'], search: ['corp.example', 'team.example'], options: ['timeout:5', 'rotate']}],
    ['None: the dnsConfig alone', (s) => Object.assign(pod(s), {dnsPolicy: 'None', dnsConfig: {nameservers: ['198.51.100.53'], searches: ['team.example'], options: [{name: 'ndots', value: '1'}]}}), true,
      {nameservers: ['198.51.100.53'], search: ['team.example'], options: ['ndots:1']}],
    ['at most 3 name servers, the first ones', (s) => (pod(s).dnsConfig = {nameservers: ['198.51.100.1', '198.51.100.2', '198.51.100.3']}), true,
      {nameservers: ['10.244.1.1', '198.51.100.1', '198.51.100.2'], search: [...clusterSearch, 'corp.example'], options: ['ndots:5']}],
    ['ClusterFirst without cluster DNS: as Default, so none', () => {}, false, undefined],
    ['ClusterFirst without cluster DNS, with dnsConfig: the node\'s file and the pod\'s additions', (s) => (pod(s).dnsConfig = {nameservers: ['198.51.100.53']}), false,
      {nameservers: ['192.0.2.53', '192.0.2.54', '198.51.100.53'], search: ['corp.example'], options: ['timeout:2', 'rotate']}],
  ])('%s', (_, change, withDns, expected) => {
    expect(problems((s) => {
      if (withDns) s.spec.dns = {};
      change(s);
    })).toEqual([]);
    const resolver = resolverOf(change, withDns);
    expect(resolver === undefined ? undefined : {nameservers: resolver.nameservers, search: resolver.search, options: resolver.options}).toEqual(expected);
  });

  it('starts from systemd-resolved\'s upstream file on a node whose /etc/resolv.conf is its stub, which a pod cannot reach', () => {
    expect(resolverOf((s) => (s.spec.pods[0]!.dnsPolicy = 'Default'), true, stubbed)).toMatchObject({nameservers: ['192.0.2.53'], search: ['corp.example'], options: []});
    expect(resolverOf(() => {}, false, stubbed)).toMatchObject({nameservers: ['192.0.2.53'], search: ['corp.example']});
    expect(resolverOf(() => {}, true, stubbed)).toMatchObject({nameservers: ['10.244.1.1'], search: [...clusterSearch, 'corp.example']});
  });

  it('is the same file as before dnsPolicy existed for a ClusterFirst pod, and reads back as written', () => {
    const resolver = resolverOf(() => {})!;
    expect(renderResolver({...resolver, search: clusterSearch})).toBe(
      '# netctl: cluster DNS of this pod\nnameserver 10.244.1.1\nsearch default.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n');
    const none = resolverOf((s) => Object.assign(pod(s), {dnsPolicy: 'None', dnsConfig: {nameservers: ['198.51.100.53', '198.51.100.54']}}))!;
    expect(renderResolver(none)).toBe('# netctl: cluster DNS of this pod\nnameserver 198.51.100.53\nnameserver 198.51.100.54\n');
    for (const r of [resolver, none]) expect(parseResolver(r.pod, renderResolver(r))).toEqual(r);
  });
});

describe('dnsPolicy and dnsConfig, checked as Kubernetes checks them', () => {
  it.each<[string, (s: SpecObject) => void, string]>([
    ['None without dnsConfig', (s) => (pod(s).dnsPolicy = 'None'),
      'error dns: pod web-1: dnsPolicy None gives the pod only its dnsConfig, which must list at least one nameserver (as in Kubernetes)'],
    ['None with a dnsConfig without nameservers', (s) => Object.assign(pod(s), {dnsPolicy: 'None', dnsConfig: {searches: ['a.example']}}),
      'error dns: pod web-1: dnsPolicy None gives the pod only its dnsConfig, which must list at least one nameserver (as in Kubernetes)'],
    ['more than 3 nameservers', (s) => (pod(s).dnsConfig = {nameservers: ['198.51.100.1', '198.51.100.2', '198.51.100.3', '198.51.100.4']}),
      'error schema: must NOT have more than 3 items'],
    ['a search list longer than 2,048 characters', (s) => (pod(s).dnsConfig = {searches: Array.from({length: 12}, (_, i) => `${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}.d${i}`)}),
      'error dns: pod web-1: the search domains take 2233 characters; Kubernetes allows at most 2048'],
    ['an option value written as a number', (s) => (pod(s).dnsConfig = {options: [{name: 'ndots', value: 2}]}),
      'error schema: must be a string, got the number 2'],
    ['an upper-case search domain, as Kubernetes', (s) => (pod(s).dnsConfig = {searches: ['Corp.example']}),
      'error schema: "Corp.example" must be a search domain, as Kubernetes checks it: lowercase labels of letters, digits, \'-\' and \'_\' (a label may start with \'_\', and starts and ends with a letter or digit otherwise), separated by dots; or a single dot'],
    ['a search domain whose label ends with \'_\'', (s) => (pod(s).dnsConfig = {searches: ['corp_.example']}),
      'error schema: "corp_.example" must be a search domain, as Kubernetes checks it: lowercase labels of letters, digits, \'-\' and \'_\' (a label may start with \'_\', and starts and ends with a letter or digit otherwise), separated by dots; or a single dot'],
    ['an unknown dnsPolicy', (s) => (pod(s).dnsPolicy = 'clusterFirst'),
      'error schema: "clusterFirst" must be one of ClusterFirst, Default, None, ClusterFirstWithHostNet (did you mean "ClusterFirst"?)'],
  ])('refuses %s', (_, change, expected) => {
    expect(problems(change)).toEqual([expected]);
  });
});

it('takes the search domains Kubernetes takes since 1.34: underscores, a single dot, a trailing dot; written as given, as a kubelet writes them', () => {
  const searches = ['_sip._tcp.example.com', 'team_a.example', '.', 'corp.example.'];
  expect(problems((s) => (pod(s).dnsConfig = {searches}))).toEqual([]);
  const resolver = resolverOf((s) => (pod(s).dnsConfig = {searches}))!;
  expect(resolver.search.slice(-4)).toEqual(searches);
  expect(renderResolver(resolver)).toContain(`search default.svc.cluster.local svc.cluster.local cluster.local corp.example ${searches.join(' ')}\n`);
  // Read back from the node as written: no drift.
  expect(parseResolver(resolver.pod, renderResolver(resolver))).toEqual(resolver);
});

describe('the resolv.conf a node\'s pods start from', () => {
  const read = (own: string, upstream?: string) => parseHostResolvConf(new Map([['nameservers', own], ...(upstream === undefined ? [] : [['resolved-upstream', upstream] as [string, string]])]));

  it('is /etc/resolv.conf: its name servers, last search line (trailing dots and the root dropped) and options', () => {
    expect(read('192.0.2.53 # the office\n2001:db8::53\nsearch old.example\nsearch corp.example. .\noptions timeout:2\noptions rotate\n', '192.0.2.99\n')).toEqual(
      {nameservers: ['192.0.2.53'], search: ['corp.example'], options: ['timeout:2', 'rotate'], file: '/etc/resolv.conf'});
  });

  it('is systemd-resolved\'s upstream file when /etc/resolv.conf names only its stub on the loopback', () => {
    expect(read('127.0.0.53\noptions edns0 trust-ad\nsearch .\n', '192.0.2.53\n192.0.2.54\nsearch corp.example\n')).toEqual(
      {nameservers: ['192.0.2.53', '192.0.2.54'], search: ['corp.example'], options: [], file: '/run/systemd/resolve/resolv.conf'});
    expect(read('127.0.0.53\n')).toMatchObject({nameservers: ['127.0.0.53'], file: '/etc/resolv.conf'});
  });
});
