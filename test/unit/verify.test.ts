import {describe, expect, it} from '@jest/globals';
import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import {checkSpecText} from '../../src/spec/check.js';
import {renderJunit, verifyDocument} from '../../src/ui/verify-view.js';
import {connectivityChecks, servedPorts} from '../../src/verify/checks.js';
import {interpret} from '../../src/verify/run.js';
import {checksScript} from '../../src/verify/script.js';

const demo = checkSpecText(readFileSync(join(import.meta.dirname, '..', '..', 'examples', 'demo.yaml'), 'utf8')).cluster!;
const all = demo.nodes.map((n) => n.name);

describe('verify checks', () => {
  const checks = connectivityChecks(demo, all);

  it('go from every pod to a pod on every other node and one beside it', () => {
    const fromClient1 = checks.filter((c) => c.pod === 'client-1' && c.kind === 'ping').map((c) => c.description);
    expect(fromClient1).toEqual([
      expect.stringMatching(/^pod client-1 → pod web-2 .* on node2$/),
      expect.stringMatching(/^pod client-1 → pod web-3 .* on node3$/),
      expect.stringMatching(/^pod client-1 → pod web-1 .* on the same node$/),
      'pod client-1 → its node node1 (203.0.113.1)',
    ]);
  });

  it('ping at the pod MTU without fragmenting between nodes', () => {
    const mtu = checks.filter((c) => c.kind === 'mtu');
    expect(mtu).toHaveLength(6);
    expect(mtu[0]?.size).toBe(1450 - 28);
    expect(checksScript(mtu.slice(0, 1))).toContain('ip netns exec web-1 ping -n -c 1 -W 3 -M do -s 1422 ');
  });

  it('reach every TCP service port on its cluster IP and node port', () => {
    expect(checks.filter((c) => c.kind === 'tcp').map((c) => `${c.target}:${c.port ?? 0}`)).toEqual(['10.96.0.80:80', '203.0.113.2:30080']);
    expect(servedPorts(demo).get('web-2')).toEqual([8080]);
  });

  it('keep only the checks that run on targeted nodes', () => {
    expect(new Set(connectivityChecks(demo, ['node2']).map((c) => c.node))).toEqual(new Set(['node2']));
  });

  it('tell "no listener" from "unreachable"', () => {
    const tcp = checks.find((c) => c.kind === 'tcp')!;
    expect(interpret(tcp, 1, 'bash: connect: Connection refused', true).outcome).toBe('no listener');
    expect(interpret(tcp, 124, '', true).outcome).toBe('unreachable (no answer in 3 s)');
    expect(interpret(tcp, 0, '', true)).toEqual(expect.objectContaining({passed: true, outcome: 'connected'}));
  });

  it('write JUnit XML with one test case per check', () => {
    const tcp = checks.find((c) => c.kind === 'tcp')!;
    const xml = renderJunit(verifyDocument([interpret(tcp, 124, '', true)], []));
    expect(xml).toContain('<testsuite name="netctl verify" tests="1" failures="1">');
    expect(xml).toContain('<failure message="unreachable (no answer in 3 s)">');
  });
});
