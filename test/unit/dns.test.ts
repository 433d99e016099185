/**
 * Cluster DNS in the pure core: the records of the zone (the Kubernetes DNS specification as a table),
 * the files netctl writes read back, real observe output of a lab node, plans in DNS words, rollback.
 */
import {describe, expect, it} from '@jest/globals';
import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import {rollbackScript} from '../../src/apply/transaction.js';
import {applyScript} from '../../src/apply/script.js';
import {dns, dnsFirewall} from '../../src/desired/dns.js';
import {formatAddress} from '../../src/net/ipv4.js';
import {parseObservation} from '../../src/observe/parse.js';
import {planNode} from '../../src/plan/node-plan.js';
import {parseDnsConfig, renderDnsConfig, type DnsHosts, type DnsServer} from '../../src/resources/dns.js';
import {checkSpecText} from '../../src/spec/check.js';
import {planDocument, renderPlanText} from '../../src/ui/plan-view.js';
import {emptyNode} from './observation-builders.js';

const root = join(import.meta.dirname, '..', '..');
const cluster = checkSpecText(readFileSync(join(root, 'examples', 'dns.yaml'), 'utf8')).cluster!;
const [node1, node2] = cluster.nodes;
const facts = {uplink: 'eth0', nameservers: ['192.0.2.53']};
const desired = dns({cluster, node: node1!, facts});
const hosts = desired.find((r) => r.kind === 'dns-hosts') as DnsHosts;
const server = desired.find((r) => r.kind === 'dns-server') as DnsServer;
const podIP = (name: string) => formatAddress(cluster.pods.find((p) => p.name === name)!.ip);
const lineOf = (ip: string) => hosts.lines.find((l) => l.startsWith(`${ip} `));

describe('the cluster zone', () => {
  it('gives a service with a cluster IP one name, the PTR answer of its IP', () => {
    const web = cluster.services.find((s) => s.name === 'web')!;
    const ip = formatAddress(web.clusterIP!);
    expect(lineOf(ip)).toBe(`${ip} web.shop.svc.cluster.local`);
  });

  it('gives a headless service an A record per endpoint and each endpoint pod its name under the service, first (its PTR), and its dashed IP there as CoreDNS does', () => {
    const dashed = podIP('db-1').replace(/\./g, '-');
    expect(lineOf(podIP('db-1'))).toBe(`${podIP('db-1')} db-1.db.bank.svc.cluster.local ${dashed}.db.bank.svc.cluster.local db.bank.svc.cluster.local ${dashed}.bank.pod.cluster.local`);
  });

  it('names an endpoint pod under a headless service as Kubernetes does: <hostname> when its subdomain is the service, else its dashed IP', () => {
    const text = readFileSync(join(root, 'examples', 'dns.yaml'), 'utf8')
      .replace('    - name: db-1\n', '    - name: db-1\n      hostname: primary\n      subdomain: db\n')
      .replace('    - name: db-2\n', '    - name: db-2\n      subdomain: db\n');
    const named = checkSpecText(text);
    expect(named.diagnostics).toEqual([]);
    const zone = dns({cluster: named.cluster!, node: named.cluster!.nodes[0]!, facts});
    const lines = (zone.find((r) => r.kind === 'dns-hosts') as DnsHosts).lines;
    const dashed = (ip: string) => ip.replace(/\./g, '-');
    expect(lines.find((l) => l.startsWith(`${podIP('db-1')} `))).toBe(`${podIP('db-1')} primary.db.bank.svc.cluster.local db.bank.svc.cluster.local ${dashed(podIP('db-1'))}.bank.pod.cluster.local`);
    // A subdomain without a hostname: no host name for the endpoint, so CoreDNS's dashed IP.
    expect(lines.find((l) => l.startsWith(`${podIP('db-2')} `))).toBe(`${podIP('db-2')} ${dashed(podIP('db-2'))}.db.bank.svc.cluster.local db.bank.svc.cluster.local ${dashed(podIP('db-2'))}.bank.pod.cluster.local`);
    expect((zone.find((r) => r.kind === 'dns-server') as DnsServer).srv.map((r) => r.target)).toContain('primary.db.bank.svc.cluster.local');
  });

  it('warns of a subdomain that names no headless service of the pod\'s namespace', () => {
    const text = readFileSync(join(root, 'examples', 'dns.yaml'), 'utf8').replace('    - name: db-1\n', '    - name: db-1\n      hostname: primary\n      subdomain: web\n');
    expect(checkSpecText(text).diagnostics.map((d) => d.message)).toEqual(['pod db-1: subdomain web names no headless service (clusterIP: None) in namespace bank, so the pod has no name under it']);
  });

  it('gives a headless service without ports (Kubernetes allows it) its A records all the same', () => {
    const text = readFileSync(join(root, 'examples', 'dns.yaml'), 'utf8').replace('      ports: [{name: pg, port: 5432, targetPort: pg}]\n', '');
    const portless = checkSpecText(text).cluster!;
    expect(portless.services.find((s) => s.name === 'db')?.ports).toEqual([]);
    const records = dns({cluster: portless, node: portless.nodes[0]!, facts}).find((r) => r.kind === 'dns-hosts') as DnsHosts;
    expect(records.lines.find((l) => l.startsWith(`${podIP('db-1')} `))).toBe(lineOf(podIP('db-1')));
  });

  it('gives every pod <a-b-c-d>.<namespace>.pod.<domain>', () => {
    expect(lineOf(podIP('teller'))).toBe(`${podIP('teller')} ${podIP('teller').replace(/\./g, '-')}.bank.pod.cluster.local`);
  });

  it('gives named ports SRV records: the service name for a cluster IP, each endpoint for a headless service', () => {
    expect(server.srv).toEqual([
      {name: '_http._tcp.web.shop.svc.cluster.local', target: 'web.shop.svc.cluster.local', port: 80},
      {name: '_pg._tcp.db.bank.svc.cluster.local', target: 'db-1.db.bank.svc.cluster.local', port: 5432},
      {name: '_pg._tcp.db.bank.svc.cluster.local', target: 'db-2.db.bank.svc.cluster.local', port: 5432},
    ]);
  });

  it('leaves out, with a warning, the SRV name of a 63-character port name: with its _ the label is one character too long for DNS', () => {
    const long = 'p'.repeat(63);
    const text = readFileSync(join(root, 'examples', 'dns.yaml'), 'utf8').replace('ports: [{name: http, port: 80, targetPort: http}]', `ports: [{name: ${long}, port: 80, targetPort: http}]`);
    const {cluster: named, diagnostics} = checkSpecText(text);
    expect(diagnostics.map((d) => d.message)).toEqual([`port ${long} of service web has no SRV record: its label _${long} has 64 characters, more than the 63 a DNS label may have`]);
    const zone = dns({cluster: named!, node: named!.nodes[0]!, facts}).find((r) => r.kind === 'dns-server') as DnsServer;
    expect(zone.srv.map((r) => r.name)).toEqual(['_pg._tcp.db.bank.svc.cluster.local', '_pg._tcp.db.bank.svc.cluster.local']);
  });

  it('serves on the pods\' gateway, answers the cluster\'s reverse zones itself, forwards the rest upstream', () => {
    expect(server).toEqual(expect.objectContaining({listen: '10.244.79.1', domain: 'cluster.local', upstream: ['203.0.113.253'], reverseZones: ['244.10.in-addr.arpa', '96.10.in-addr.arpa']}));
    const byNodeDefault = dns({cluster: {...cluster, dns: {domain: 'cluster.local', upstream: undefined}}, node: node2!, facts: {nameservers: ['10.255.255.53', '10.244.181.1']}});
    expect((byNodeDefault.find((r) => r.kind === 'dns-server') as DnsServer).upstream).toEqual(['10.255.255.53']);
  });

  it('answers dns-version.<domain> with the version of the Kubernetes DNS specification, as the specification requires', () => {
    expect(renderDnsConfig(server).split('\n')).toContain('txt-record=dns-version.cluster.local,1.1.0');
  });

  it('gives each pod of the node a resolver with its namespace first in the search path and ndots:5', () => {
    expect(desired.filter((r) => r.kind === 'pod-resolver')).toEqual([
      {kind: 'pod-resolver', ns: '', pod: 'web-1.shop', nameservers: ['10.244.79.1'], search: ['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local'], options: ['ndots:5']},
      {kind: 'pod-resolver', ns: '', pod: 'client.shop', nameservers: ['10.244.79.1'], search: ['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local'], options: ['ndots:5']},
      {kind: 'pod-resolver', ns: '', pod: 'db-1.bank', nameservers: ['10.244.79.1'], search: ['bank.svc.cluster.local', 'svc.cluster.local', 'cluster.local'], options: ['ndots:5']},
    ]);
  });

  it('is absent without a dns block', () => {
    expect(dns({cluster: {...cluster, dns: undefined}, node: node1!, facts})).toEqual([]);
    expect(dnsFirewall({...cluster, dns: undefined})).toEqual([]);
  });
});

describe('pods\' queries through a host firewall', () => {
  const rules = (c: typeof cluster) => dnsFirewall(c).flatMap((r) => (r.kind === 'iptables-chain' ? r.rules.map((rule) => rule.join(' ')) : []));

  it('are accepted first in INPUT, to port 53 of an address of the bridge they come in on only', () => {
    expect(dnsFirewall(cluster).filter((r) => r.kind === 'iptables-rule').map((r) => r.kind === 'iptables-rule' && `${r.table} ${r.chain}`)).toEqual(['filter INPUT']);
    expect(rules(cluster)).toEqual(['udp', 'tcp'].map((p) => `-s 10.244.0.0/16 -i netctl0 -p ${p} -m addrtype --dst-type LOCAL --limit-iface-in -m ${p} --dport 53 -m comment --comment netctl: DNS queries from pods -j ACCEPT`));
  });

  it('come in on the pods\' own veths in underlay mode, to the node\'s address', () => {
    expect(rules({...cluster, mode: 'underlay'})).toEqual(['udp', 'tcp'].map((p) => `-s 10.244.0.0/16 -i nc+ -p ${p} -m addrtype --dst-type LOCAL -m ${p} --dport 53 -m comment --comment netctl: DNS queries from pods -j ACCEPT`));
  });
});

describe('the DNS server configuration', () => {
  it('reads back as the server it was written from, and notices a hand edit', () => {
    const text = renderDnsConfig(server);
    expect(parseDnsConfig(text)).toEqual(server);
    expect(parseDnsConfig(`${text}address=/evil.example/192.0.2.66\n`)).toEqual({...server, edited: true});
    expect(text).toContain('listen-address=10.244.79.1\nbind-interfaces\nport=53\n');
    expect(text).toContain('local=/cluster.local/\n');
  });
});

describe('DNS state observed on a lab node (examples/dns.yaml, node1, after apply)', () => {
  const output = readFileSync(join(root, 'test', 'fixtures', 'observe', 'dns-node1.txt'), 'utf8');
  const observed = parseObservation(output);

  it('reads the server, its records, the pod resolvers and the node\'s nameservers', () => {
    expect([...observed.resources.keys()].filter((k) => /^(dns|pod-resolver)/.test(k)).sort()).toEqual(['dns-hosts', 'dns-server', 'pod-resolver client.shop', 'pod-resolver db-1.bank', 'pod-resolver web-1.shop']);
    expect(observed.nameservers).toEqual(['10.255.255.53']);
  });

  it('plans nothing against the spec it was applied from', () => {
    const plan = planNode(cluster, node1!, observed, 'apply');
    expect(plan.errors).toEqual([]);
    expect(plan.changes.toArray()).toEqual([]);
  });
});

describe('DNS changes', () => {
  const fresh = planNode(cluster, node1!, emptyNode('203.0.113.1'), 'apply');

  it('are planned in DNS words', () => {
    const text = renderPlanText(planDocument({intent: 'apply', nodes: [{status: 'planned', ...fresh}]}));
    expect(text).toContain('  + dns record web.shop.svc.cluster.local A 10.96.139.50\n');
    expect(text).toContain('  + dns record 50.139.96.10.in-addr.arpa PTR web.shop.svc.cluster.local\n');
    expect(text).toContain('  + dns server dnsmasq on 10.244.79.1:53 for cluster.local, upstream 203.0.113.253\n  + dns record _http._tcp.web.shop.svc.cluster.local SRV 0 100 80 web.shop.svc.cluster.local\n');
    expect(text).toContain('  + resolver of pod shop/client: nameserver 10.244.79.1, search shop.svc.cluster.local svc.cluster.local cluster.local, ndots:5\n');
    expect(text).not.toContain('dns records of the cluster zone');
  });

  it('start dnsmasq after its records and files are written, and undo it all on rollback', () => {
    const script = applyScript(fresh.changes);
    const start = script.indexOf('dnsmasq --conf-file=/run/netctl/dns/dnsmasq.conf');
    expect(start).toBeGreaterThan(script.indexOf('mv -f /run/netctl/dns/cluster.netctl-new /run/netctl/dns/hosts.d/cluster'));
    expect(start).toBeGreaterThan(script.indexOf("mv -f /etc/netns/client.shop/resolv.conf.netctl-new /etc/netns/client.shop/resolv.conf"));
    const rollback = rollbackScript(fresh);
    expect(rollback.indexOf('kill "$pid"')).toBeLessThan(rollback.indexOf('rm -f /run/netctl/dns/hosts.d/cluster'));
    expect(rollback).toContain('rm -f /etc/netns/client.shop/resolv.conf');
  });

  it('refuse to overwrite a pod resolv.conf netctl did not write', () => {
    const foreign = {...emptyNode('203.0.113.1'), foreign: new Map([['pod-resolver client.shop', '/etc/netns/client.shop/resolv.conf (not written by netctl)']])};
    expect(planNode(cluster, node1!, foreign, 'apply').errors).toEqual([
      '/etc/netns/client.shop/resolv.conf (not written by netctl) is in the way of pod-resolver client.shop; netctl never changes what it did not create: remove or rename it',
    ]);
  });

  it('need dnsmasq on the node', () => {
    expect(planNode(cluster, node1!, {...emptyNode('203.0.113.1'), missingTools: ['dnsmasq']}, 'apply').errors).toEqual(['cluster DNS needs dnsmasq on the node; install dnsmasq-base']);
  });
});
