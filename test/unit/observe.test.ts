/** The observe parser fed real output of the observe script, captured from a lab node after apply. */
import {describe, expect, it} from '@jest/globals';
import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import {desiredResources, desiredState} from '../../src/desired/index.js';
import {splitWords} from '../../src/observe/iptables.js';
import {joinWords} from '../../src/resources/iptables.js';
import {observedResources, parseObservation, splitSections} from '../../src/observe/parse.js';
import {diff} from '../../src/plan/diff.js';
import {checkSpecText} from '../../src/spec/check.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'observe');
// node1 of a 3-node overlay lab after `netctl apply`, plus foreign objects made by hand: a veth pair
// fx0/fx1, a route to 198.18.0.0/15, a nat MASQUERADE rule and a namespace foreign-ns.
const output = readFileSync(join(fixtures, 'overlay-node1.txt'), 'utf8');
const cluster = checkSpecText(readFileSync(join(fixtures, 'overlay-spec.yaml'), 'utf8')).cluster!;
const node1 = cluster.nodes[0]!;

describe('parseObservation', () => {
  const observed = parseObservation(output);

  it('reads back exactly the state netctl applied: the diff is empty', () => {
    const desired = desiredResources(desiredState({cluster, node: node1, facts: {uplink: 'eth0', nameservers: ['192.0.2.53']}}));
    const {changes, conflicts} = diff(desired, {resources: observedResources(observed), foreign: observed.foreign});
    expect(conflicts).toEqual([]);
    expect(changes).toEqual([]);
  });

  it('digests the host routes and iptables objects netctl applied as the desired state does, so plans need not compare them one by one', () => {
    const desired = desiredState({cluster, node: node1, facts: {uplink: 'eth0', nameservers: ['192.0.2.53']}});
    expect(observed.hostRoutes.digest).toBe(desired.hostRoutes.digest);
    expect(observed.iptables.digest).toBe(desired.iptables.digest);
  });

  it('owns only what carries netctl marks', () => {
    const keys = [...observed.resources.keys()];
    expect(keys).toContain('link netctl0');
    expect(keys).toContain('netns a1');
    expect(keys).toContain('route a1:default');
    expect(keys).not.toContain('link fx0');
    expect(keys).not.toContain('netns foreign-ns');
    expect(keys.filter((k) => k.includes('172.17.0.0'))).toEqual([]);
  });

  it('records foreign objects netctl must not overwrite', () => {
    expect(observed.foreign.get('link fx0')).toBe('link fx0 (veth, not created by netctl)');
    expect(observed.foreign.get('route 198.18.0.0/15')).toBe('route 198.18.0.0/15 via 203.0.113.254 dev eth0 proto boot');
    expect(observed.foreign.get('netns foreign-ns')).toBe('network namespace foreign-ns (not created by netctl)');
  });

  it('resolves veth peers across namespaces', () => {
    const veths = [...observed.resources.values()].filter((r) => r.kind === 'link' && r.type === 'veth' && r.ns === '');
    expect(veths.map((r) => r.kind === 'link' && r.peer)).toEqual([
      {name: 'eth0', ns: expect.stringMatching(/^a[12]$/)},
      {name: 'eth0', ns: expect.stringMatching(/^a[12]$/)},
    ]);
  });

  it('reads the host facts preflight judges', () => {
    expect(observed.linkTypes.get('vxlan')).toEqual({supported: true, detail: ''});
    expect(observed.linkTypes.get('bridge')).toEqual({supported: true, detail: ''});
    expect(observed.host.iptablesMode).toBe('nf_tables');
    expect(observed.host.rpFilter.get('all')).toBe(0);
    expect(observed.host.rpFilter.get('eth0')).toBe(0);
    // Read with the sysctls netctl sets, in one grep, but not taken for one of them.
    expect([...observed.resources.keys()].filter((key) => key.includes('rp_filter'))).toEqual([]);
    expect(observed.host.linkMtus.get('eth0')).toBe(1500);
    expect(observed.host.foreignRoutes).toContainEqual({dst: '198.18.0.0/15', dev: 'eth0', gateway: '203.0.113.254'});
    expect(observed.host.foreignRoutes).toContainEqual({dst: 'default', dev: 'eth0', gateway: '203.0.113.253'});
    expect(observed.host.sshClient).toBe('203.0.113.254');
    expect(observed.host.sshPort).toBe(22);
    expect(observed.host.foreignAddresses).toContainEqual({dev: 'eth0', cidr: '203.0.113.1/24'});
    // netctl's bridge address is its own, not the host's.
    expect(observed.host.foreignAddresses.map((a) => a.dev)).not.toContain('netctl0');
  });

  it('reads the facts plan needs', () => {
    expect(observed.hostAddresses).toContainEqual({dev: 'eth0', address: '203.0.113.1'});
    expect(observed.routesToPeers.get('203.0.113.2')).toEqual({dev: 'eth0'});
    expect(observed.routesToPeers.get('198.51.100.9')).toEqual({dev: 'eth0', gateway: '203.0.113.253'});
    expect(observed.linkTypes.get('ipvlan')).toEqual({supported: false, detail: 'Error: Unknown device type.'});
    expect(observed.linkTypes.get('macvlan')).toEqual({supported: true, detail: ''});
  });

  it('refuses a dump cut short', () => {
    expect(() => parseObservation(output.slice(0, output.indexOf('@@netctl end')))).toThrow('stopped answering');
  });

  it('counts the rules of a ruleset read whole, an empty one (no table loaded yet: iptables-save prints nothing) as none, and not those read chain by chain', () => {
    const withIptables = (body: string) => output.replace(/(@@netctl iptables\n)[\s\S]*?(?=\n@@netctl iptables-version)/, `$1${body}`);
    expect(observed.iptablesRules).toBe((output.match(/^-A /gm) ?? []).length);
    expect(parseObservation(withIptables('')).iptablesRules).toBe(0);
    expect(parseObservation(withIptables("*nat\n-N NETCTL-SERVICES\nCOMMIT\n")).iptablesRules).toBeUndefined();
  });

  it('reports missing tools', () => {
    expect(splitSections('@@netctl missing iptables-save\n@@netctl end\n').missing).toEqual(['iptables-save']);
  });

  it('cuts sections from line to line, the lines between them kept as they came', () => {
    const {sections} = splitSections('before\n@@netctl a\none\n\ntwo\n@@netctl  b \n@@netctl c\nlast\nline\n\n@@netctl d');
    expect([...sections]).toEqual([['a', 'one\n\ntwo'], ['b', ''], ['c', 'last\nline\n'], ['d', '']]);
    expect([...splitSections('\n@@netctl x\n1\n').sections]).toEqual([['x', '1\n']]);
    expect(splitSections('no sections\n').sections.size).toBe(0);
  });
});

describe('splitWords', () => {
  it('reads words as iptables-restore does, and joinWords writes them back', () => {
    const cases: [string, string[]][] = [
      ['-A X -j ACCEPT', ['-A', 'X', '-j', 'ACCEPT']],
      ['-m comment --comment "netctl: web/http -> 10.0.0.1:80" -j X', ['-m', 'comment', '--comment', 'netctl: web/http -> 10.0.0.1:80', '-j', 'X']],
      ['--comment "say \\"hi\\"" -j X', ['--comment', 'say "hi"', '-j', 'X']],
      ['a  b ""', ['a', 'b', '']],
      ['pre"fix here" end', ['prefix here', 'end']],
    ];
    for (const [line, words] of cases) expect(splitWords(line)).toEqual(words);
    for (const [, words] of cases.slice(0, 3)) expect(splitWords(joinWords(words))).toEqual(words);
  });
});
