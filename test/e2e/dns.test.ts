/**
 * Cluster DNS in the lab (examples/dns.yaml: namespaces shop and bank on two nodes): names resolve and
 * work from inside pods, the server binds only the pods' gateways, and it is state like any other.
 */
import {afterAll, beforeAll, describe, expect, it} from '@jest/globals';
import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import {checkSpecText} from '../../src/spec/check.js';
import {formatAddress} from '../../src/net/ipv4.js';
import {Lab, labUnavailable, netctl, tcpClient} from './lab.js';

const unavailable = labUnavailable();
if (unavailable !== undefined) console.warn(`skipping end-to-end tests: ${unavailable}`);
const suite = unavailable === undefined ? describe : describe.skip;

const specFile = join(import.meta.dirname, '..', '..', 'examples', 'dns.yaml');
const cluster = checkSpecText(readFileSync(specFile, 'utf8')).cluster!;
const ip = (pod: string) => formatAddress(cluster.pods.find((p) => p.name === pod)!.ip);
const webIP = formatAddress(cluster.services.find((s) => s.name === 'web')!.clusterIP!);
const gateway = (node: number) => formatAddress(cluster.nodes[node - 1]!.podCIDR.first + 1);

suite('cluster DNS', () => {
  let lab: Lab;
  // client is a shop pod on node1, teller a bank pod on node2 (network namespaces <pod>.<namespace>).
  const inClient = (...command: string[]) => lab.inPod(1, 'client.shop', command, {reject: false});
  const inTeller = (...command: string[]) => lab.inPod(2, 'teller.bank', command, {reject: false});
  const dnsmasqPid = async (node: number) => (await lab.onNode(node, ['cat', '/run/netctl/dns/dnsmasq.pid'])).stdout.trim();

  beforeAll(async () => {
    lab = await Lab.up(2);
    const apply = await netctl(['apply', '-f', specFile, '--auto-approve']);
    expect(apply.exitCode).toBe(0);
  });
  afterAll(async () => {
    await lab?.down();
  });

  it('resolves a service by its full name, and by its short name through the search path', async () => {
    expect((await inClient('getent', 'hosts', 'web.shop.svc.cluster.local')).stdout).toMatch(new RegExp(`^${webIP.replace(/\./g, '\\.')}\\s+web\\.shop\\.svc\\.cluster\\.local$`));
    expect((await inClient('getent', 'hosts', 'web')).stdout.split(/\s+/)[0]).toBe(webIP);
  });

  it('resolves another namespace\'s service as <svc>.<ns>, not by its bare name', async () => {
    // IPv4 lookups: an AAAA lookup of `web.shop` goes on past the search domains to `web.shop.` itself,
    // which is forwarded upstream, and the lab's upstream answers nothing.
    expect((await inTeller('getent', 'ahostsv4', 'web.shop')).stdout.split(/\s+/)[0]).toBe(webIP);
    const bare = await inTeller('timeout', '1', 'getent', 'ahostsv4', 'web');
    expect(bare.exitCode).toBe(2);
  });

  it('answers SRV for named ports and PTR for cluster and pod IPs', async () => {
    expect((await inClient('dig', '+short', 'SRV', '_http._tcp.web.shop.svc.cluster.local')).stdout.trim()).toBe('0 100 80 web.shop.svc.cluster.local.');
    expect((await inClient('dig', '+short', 'SRV', '_pg._tcp.db.bank.svc.cluster.local')).stdout.trim().split('\n').sort())
      .toEqual(['0 100 5432 db-1.db.bank.svc.cluster.local.', '0 100 5432 db-2.db.bank.svc.cluster.local.']);
    expect((await inClient('dig', '+short', '-x', webIP)).stdout.trim()).toBe('web.shop.svc.cluster.local.');
    expect((await inClient('dig', '+short', '-x', ip('client'))).stdout.trim()).toBe(`${ip('client').replace(/\./g, '-')}.shop.pod.cluster.local.`);
    expect((await inClient('dig', '+short', '-x', ip('db-1'))).stdout.trim()).toBe('db-1.db.bank.svc.cluster.local.');
  });

  it('answers a headless name with each ready pod, and each pod by its own name', async () => {
    expect((await inClient('dig', '+short', 'db.bank.svc.cluster.local')).stdout.trim().split('\n').sort()).toEqual([ip('db-1'), ip('db-2')].sort());
    expect((await inClient('dig', '+short', 'db-2.db.bank.svc.cluster.local')).stdout.trim()).toBe(ip('db-2'));
    // What Kubernetes names a pod without a subdomain under a headless service: its dashed IP (CoreDNS).
    expect((await inClient('dig', '+short', `${ip('db-2').replace(/\./g, '-')}.db.bank.svc.cluster.local`)).stdout.trim()).toBe(ip('db-2'));
    expect((await inClient('getent', 'hosts', `${ip('teller').replace(/\./g, '-')}.bank.pod.cluster.local`)).stdout.split(/\s+/)[0]).toBe(ip('teller'));
  });

  it('names a pod with hostname and subdomain <hostname>.<subdomain>.<ns>.svc, as Kubernetes does', async () => {
    const named = lab.writeSpec('dns-hostname', readFileSync(specFile, 'utf8').replace('    - name: db-1\n', '    - name: db-1\n      hostname: primary\n      subdomain: db\n'));
    expect((await netctl(['apply', '-f', named, '--auto-approve'])).exitCode).toBe(0);
    expect((await inClient('dig', '+short', 'primary.db.bank.svc.cluster.local')).stdout.trim()).toBe(ip('db-1'));
    expect((await inClient('dig', '+short', '-x', ip('db-1'))).stdout.trim()).toBe('primary.db.bank.svc.cluster.local.');
    expect((await inClient('dig', '+short', 'db-1.db.bank.svc.cluster.local')).stdout.trim()).toBe('');
    expect((await netctl(['apply', '-f', specFile, '--auto-approve'])).exitCode).toBe(0);
  });

  it('answers the TXT record dns-version.cluster.local with the DNS specification\'s version', async () => {
    expect((await inClient('dig', '+short', 'TXT', 'dns-version.cluster.local')).stdout.trim()).toBe('"1.1.0"');
  });

  it('fails an unknown cluster name at once (NXDOMAIN), without asking upstream', async () => {
    const dig = await inClient('dig', '+tries=1', '+time=1', 'nosuch.shop.svc.cluster.local');
    expect(dig.stdout).toContain('status: NXDOMAIN');
    // Bounded by timeout(1): a forwarded or unanswered query would take longer and exit 124.
    expect((await inClient('timeout', '1', 'getent', 'hosts', 'nosuch.shop.svc.cluster.local')).exitCode).toBe(2);
  });

  it('carries a connection to a service by name', async () => {
    await lab.serve(1, 'web-1.shop', 8080, {answer: 'echo web-1'});
    await lab.serve(2, 'web-2.shop', 8080, {answer: 'echo web-2'});
    const answer = await lab.inPod(1, 'client.shop', tcpClient('web', 80));
    expect(['web-1', 'web-2']).toContain(answer.stdout.trim());
  });

  it('answers pods on a node whose firewall drops what it does not know (INPUT policy DROP), over UDP and TCP', async () => {
    const firewall = [
      ['-A', 'INPUT', '-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'ACCEPT'],
      ['-A', 'INPUT', '-p', 'tcp', '--dport', '22', '-j', 'ACCEPT'],
      ['-A', 'INPUT', '-p', 'udp', '--dport', '4789', '-j', 'ACCEPT'],
    ];
    for (const rule of firewall) await lab.onNode(1, ['iptables', ...rule]);
    await lab.onNode(1, ['iptables', '-P', 'INPUT', 'DROP']);
    try {
      expect((await inClient('dig', '+short', '+tries=1', '+time=2', 'web.shop.svc.cluster.local')).stdout.trim()).toBe(webIP);
      expect((await inClient('dig', '+short', '+tcp', '+tries=1', '+time=2', 'web.shop.svc.cluster.local')).stdout.trim()).toBe(webIP);
    } finally {
      await lab.onNode(1, ['iptables', '-P', 'INPUT', 'ACCEPT']);
      for (const rule of firewall) await lab.onNode(1, ['iptables', '-D', ...rule.slice(1)]);
    }
  });

  it('binds port 53 only on the pods\' gateway of each node, UDP and TCP', async () => {
    for (const node of [1, 2]) {
      const {stdout} = await lab.onNode(node, ['ss', '-Hlntu', 'sport = :53']);
      const bound = stdout.trim().split('\n').map((line) => line.split(/\s+/)[4]);
      expect(bound.sort()).toEqual([`${gateway(node)}:53`, `${gateway(node)}:53`]);
    }
  });

  it('keeps the same dnsmasq on a second apply; reloads records without a restart; restarts for SRV changes', async () => {
    const before = await dnsmasqPid(1);
    expect((await netctl(['apply', '-f', specFile, '--auto-approve'])).stdout).toContain('No changes.');
    expect(await dnsmasqPid(1)).toBe(before);
    // A new pod is new A and PTR records only: same process, and it answers for the pod at once.
    const grown = lab.writeSpec('dns-grown', readFileSync(specFile, 'utf8').replace('    - {name: client, node: node1, namespace: shop}\n', '    - {name: client, node: node1, namespace: shop}\n    - {name: extra, node: node2, namespace: shop}\n'));
    expect((await netctl(['apply', '-f', grown, '--auto-approve'])).exitCode).toBe(0);
    expect(await dnsmasqPid(1)).toBe(before);
    const extra = checkSpecText(readFileSync(grown, 'utf8')).cluster!.pods.find((p) => p.name === 'extra')!;
    expect((await inClient('dig', '+short', '-x', formatAddress(extra.ip))).stdout.trim()).toBe(`${formatAddress(extra.ip).replace(/\./g, '-')}.shop.pod.cluster.local.`);
    // A new named port is a new SRV record, which lives in the configuration: a restart.
    const named = lab.writeSpec('dns-srv', readFileSync(grown, 'utf8').replace('ports: [{name: http, port: 80, targetPort: http}]', 'ports: [{name: http, port: 80, targetPort: http}, {name: alt, port: 81, targetPort: http}]'));
    const plan = await netctl(['plan', '-f', named]);
    expect(plan.stdout).toContain('+ dns record _alt._tcp.web.shop.svc.cluster.local SRV 0 100 81 web.shop.svc.cluster.local');
    expect((await netctl(['apply', '-f', named, '--auto-approve'])).exitCode).toBe(0);
    expect(await dnsmasqPid(1)).not.toBe(before);
    expect((await inClient('dig', '+short', 'SRV', '_alt._tcp.web.shop.svc.cluster.local')).stdout.trim()).toBe('0 100 81 web.shop.svc.cluster.local.');
    expect((await netctl(['apply', '-f', specFile, '--auto-approve'])).exitCode).toBe(0);
  });

  it('shows a killed dnsmasq and an edited record file as drift, and repairs both', async () => {
    await lab.onNode(1, ['sh', '-c', 'kill "$(cat /run/netctl/dns/dnsmasq.pid)"']);
    await lab.onNode(2, ['sh', '-c', 'echo "192.0.2.66 evil.shop.svc.cluster.local" >>/run/netctl/dns/hosts.d/cluster']);
    const plan = await netctl(['plan', '-f', specFile, '--detailed-exitcode']);
    expect(plan.stdout).toMatch(/node1:\n(.*\n)*\s+\+ dns server dnsmasq on [\d.]+:53 for cluster\.local/);
    expect(plan.stdout).toContain('- dns record evil.shop.svc.cluster.local A 192.0.2.66  # not in the spec');
    expect(plan.exitCode).toBe(2);
    expect((await netctl(['apply', '-f', specFile, '--auto-approve'])).exitCode).toBe(0);
    expect((await netctl(['plan', '-f', specFile, '--detailed-exitcode'])).exitCode).toBe(0);
    expect((await inClient('getent', 'hosts', 'web')).stdout.split(/\s+/)[0]).toBe(webIP);
    expect((await inTeller('timeout', '1', 'getent', 'hosts', 'evil.shop.svc.cluster.local')).exitCode).toBe(2);
  });

  it('verifies names from inside pods', async () => {
    const result = await netctl(['verify', '-f', specFile, '--serve', '--json']);
    const doc = JSON.parse(result.stdout) as {checks: {kind: string; description: string; status: string}[]};
    const dns = doc.checks.filter((c) => c.kind === 'dns' || c.kind === 'nxdomain' || c.description.includes('by name'));
    expect(dns.map((c) => `${c.status} ${c.description}`)).toEqual([
      expect.stringMatching(/^passed dns web\.shop\.svc\.cluster\.local → 10\.96\./),
      expect.stringMatching(/^passed service shop\/web\/http by name: pod \S+ → web\.shop\.svc\.cluster\.local:80$/),
      expect.stringMatching(/^passed dns db\.bank\.svc\.cluster\.local → 10\.244\.\S+ 10\.244\./),
      expect.stringMatching(/^passed dns netctl-verify-no-such-name\.shop\.svc\.cluster\.local does not exist/),
    ]);
    expect(result.exitCode).toBe(0);
  });

  it('verifies names on nodes whose resolv.conf has search domains of its own and an upstream that does not answer', async () => {
    // Pods' search paths end with the node's domains, as a kubelet appends them; lookups under those go
    // upstream, which in the lab answers nothing: verify looks its names up as absolute names.
    for (const node of [1, 2]) {
      await lab.onNode(node, ['sh', '-c', 'mkdir -p /run/stub && printf "nameserver 198.51.100.53\\nsearch corp.example\\n" >/run/stub/resolv.conf && mount --bind /run/stub/resolv.conf /etc/resolv.conf']);
    }
    try {
      expect((await netctl(['apply', '-f', specFile, '--auto-approve'])).exitCode).toBe(0);
      expect((await inClient('cat', '/etc/resolv.conf')).stdout).toContain('search shop.svc.cluster.local svc.cluster.local cluster.local corp.example\n');
      const verify = await netctl(['verify', '-f', specFile, '--serve']);
      expect(verify.stdout).toMatch(/Verify: \d+ passed, 0 failed/);
      expect(verify.exitCode).toBe(0);
    } finally {
      for (const node of [1, 2]) await lab.onNode(node, ['umount', '/etc/resolv.conf']);
    }
    expect((await netctl(['apply', '-f', specFile, '--auto-approve'])).exitCode).toBe(0);
  });

  it('takes two pods of one name in two namespaces, each with its own namespace\'s names', async () => {
    // bank/client beside shop/client: pod names are unique per namespace, as in Kubernetes.
    const twins = lab.writeSpec('dns-twins', readFileSync(specFile, 'utf8').replace('    - {name: teller, node: node2, namespace: bank}\n', '    - {name: teller, node: node2, namespace: bank}\n    - {name: client, node: node2, namespace: bank}\n'));
    const apply = await netctl(['apply', '-f', twins, '--auto-approve']);
    expect(apply.stderr).toBe('');
    expect(apply.exitCode).toBe(0);
    expect((await netctl(['plan', '-f', twins, '--detailed-exitcode'])).exitCode).toBe(0);
    // The bare name `web` is shop's service from shop/client, and no name at all from bank/client.
    const fromShop = await netctl(['exec', '-f', twins, 'shop/client', '--', 'getent', 'ahostsv4', 'web']);
    expect(fromShop.stdout.split(/\s+/)[0]).toBe(webIP);
    const fromBank = await netctl(['exec', '-f', twins, 'bank/client', '--', 'timeout', '1', 'getent', 'ahostsv4', 'web']);
    expect(fromBank.exitCode).toBe(2);
    const ambiguous = await netctl(['exec', '-f', twins, 'client', '--', 'true']);
    expect(ambiguous.stderr).toContain('error: pods named client run in namespaces shop, bank; write NAMESPACE/POD');
    expect(ambiguous.exitCode).toBe(2);
    const verify = await netctl(['verify', '-f', twins, '--serve']);
    expect(verify.stdout).toContain('pod bank/client → pod shop/');
    expect(verify.stdout).toMatch(/Verify: \d+ passed, 0 failed/);
    expect((await netctl(['apply', '-f', specFile, '--auto-approve'])).exitCode).toBe(0);
    expect((await lab.onNode(2, ['ip', 'netns', 'list'])).stdout).not.toContain('client.bank');
  });

  it('gives each pod the resolv.conf its dnsPolicy and dnsConfig ask for, as a kubelet does', async () => {
    const pods = [
      // Cluster DNS, and bank's names by their short names too, tried as they are first (ndots:1).
      '    - {name: lookup, node: node1, namespace: shop, dnsConfig: {searches: [bank.svc.cluster.local], options: [{name: ndots, value: "1"}]}}\n',
      // The node's own resolv.conf.
      '    - {name: plain, node: node1, namespace: shop, dnsPolicy: Default}\n',
      // Only what dnsConfig says: node2's cluster DNS, with shop's search path.
      `    - {name: custom, node: node2, namespace: bank, dnsPolicy: None, dnsConfig: {nameservers: ["${gateway(2)}"], searches: [shop.svc.cluster.local]}}\n`,
    ];
    const spec = lab.writeSpec('dns-policies', readFileSync(specFile, 'utf8').replace('    - {name: client, node: node1, namespace: shop}\n', `    - {name: client, node: node1, namespace: shop}\n${pods.join('')}`));
    const apply = await netctl(['apply', '-f', spec, '--auto-approve']);
    expect(apply.stderr).toBe('');
    expect(apply.exitCode).toBe(0);
    expect((await netctl(['plan', '-f', spec, '--detailed-exitcode'])).exitCode).toBe(0);
    expect((await lab.inPod(1, 'lookup.shop', ['cat', '/etc/resolv.conf'])).stdout).toBe(
      `# netctl: cluster DNS of this pod\nnameserver ${gateway(1)}\nsearch shop.svc.cluster.local svc.cluster.local cluster.local bank.svc.cluster.local\noptions ndots:1`);
    expect((await lab.inPod(1, 'lookup.shop', ['getent', 'ahostsv4', 'db'])).stdout.split('\n').map((l) => l.split(/\s+/)[0])).toEqual(expect.arrayContaining([ip('db-1')]));
    expect((await lab.inPod(1, 'plain.shop', ['cat', '/etc/resolv.conf'])).stdout).toBe((await lab.onNode(1, ['cat', '/etc/resolv.conf'])).stdout);
    expect((await lab.onNode(1, ['test', '-e', '/etc/netns/plain.shop'], {reject: false})).exitCode).toBe(1);
    expect((await lab.inPod(2, 'custom.bank', ['cat', '/etc/resolv.conf'])).stdout).toBe(`# netctl: cluster DNS of this pod\nnameserver ${gateway(2)}\nsearch shop.svc.cluster.local`);
    expect((await lab.inPod(2, 'custom.bank', ['getent', 'ahostsv4', 'web'])).stdout.split(/\s+/)[0]).toBe(webIP);
    const verify = await netctl(['verify', '-f', spec, '--serve']);
    expect(verify.stdout).toMatch(/Verify: \d+ passed, 0 failed/);
    expect(verify.exitCode).toBe(0);

    // node1 as a host with systemd-resolved: /etc/resolv.conf its stub, the upstream servers beside it.
    await lab.onNode(1, ['sh', '-c', 'mkdir -p /run/systemd/resolve /run/stub && printf "nameserver 198.51.100.53\\nsearch corp.example\\n" >/run/systemd/resolve/resolv.conf && printf "nameserver 127.0.0.53\\noptions edns0 trust-ad\\nsearch .\\n" >/run/stub/resolv.conf && mount --bind /run/stub/resolv.conf /etc/resolv.conf']);
    try {
      expect((await netctl(['apply', '-f', spec, '--auto-approve'])).exitCode).toBe(0);
      expect((await lab.inPod(1, 'plain.shop', ['cat', '/etc/resolv.conf'])).stdout).toBe('# netctl: cluster DNS of this pod\nnameserver 198.51.100.53\nsearch corp.example');
      expect((await lab.inPod(1, 'lookup.shop', ['cat', '/etc/resolv.conf'])).stdout).toContain('search shop.svc.cluster.local svc.cluster.local cluster.local corp.example bank.svc.cluster.local\n');
    } finally {
      await lab.onNode(1, ['umount', '/etc/resolv.conf']);
      await lab.onNode(1, ['rm', '-rf', '/run/systemd', '/run/stub']);
    }
    expect((await netctl(['apply', '-f', spec, '--auto-approve'])).exitCode).toBe(0);
    expect((await lab.onNode(1, ['test', '-e', '/etc/netns/plain.shop'], {reject: false})).exitCode).toBe(1);
    expect((await netctl(['apply', '-f', specFile, '--auto-approve'])).exitCode).toBe(0);
  });

  it('removes the server, its files and the pods\' resolvers on destroy, and frees port 53', async () => {
    expect((await netctl(['destroy', '-f', specFile, '--auto-approve'])).exitCode).toBe(0);
    for (const node of [1, 2]) {
      expect((await lab.onNode(node, ['ss', '-Hlntu', 'sport = :53'])).stdout.trim()).toBe('');
      expect((await lab.onNode(node, ['ls', '-A', '/etc/netns'])).stdout).toBe('');
      expect((await lab.onNode(node, ['test', '-e', '/run/netctl/dns'], {reject: false})).exitCode).toBe(1);
    }
  });
});
