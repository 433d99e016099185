/** `netctl lab`, `netctl verify` and the demo spec on this machine. */
import {afterAll, beforeAll, describe, expect, it} from '@jest/globals';
import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import {LAB_DIR, Lab, bin, labUnavailable, netctl} from './lab.js';

const unavailable = labUnavailable();
if (unavailable !== undefined) console.warn(`skipping end-to-end tests: ${unavailable}`);
const suite = unavailable === undefined ? describe : describe.skip;
const demo = join(import.meta.dirname, '..', '..', 'examples', 'demo.yaml');

suite('netctl lab and netctl verify', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await Lab.up(3);
    expect((await netctl(['apply', '-f', demo, '--auto-approve'])).exitCode).toBe(0);
  });
  afterAll(async () => {
    await lab?.down();
  });

  it('passes every check of the demo network with --serve, and writes JUnit and the graph of what it probed', async () => {
    const junit = join(LAB_DIR, 'verify.xml');
    const graph = join(LAB_DIR, 'verify.svg');
    const result = await netctl(['verify', '-f', demo, '--serve', '--junit', junit, '--graph', graph]);
    expect(result.stdout).toContain('Verify: 41 passed, 0 failed.');
    expect(result.exitCode).toBe(0);
    expect(readFileSync(junit, 'utf8')).toContain('<testsuite name="netctl verify" tests="41" failures="0">');
    const svg = readFileSync(graph, 'utf8');
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    // The demo's 12 topology edges, and a green edge per probed connection it can place (not the MTU pings' repeats).
    expect(svg.match(/class="edge"/g)!.length).toBeGreaterThan(12 + 20);
    expect(svg).not.toContain('#cf222e');
  });

  it('says "no listener" without --serve, and exits 1', async () => {
    const result = await netctl(['verify', '-f', demo, '--json']);
    const doc = JSON.parse(result.stdout) as {checks: {kind: string; passed: boolean; outcome: string}[]};
    expect(doc.checks.filter((c) => !c.passed).map((c) => `${c.kind} ${c.outcome}`)).toEqual([
      'tcp no listener (nothing listens on the endpoints; --serve starts a responder)',
      'tcp no listener (nothing listens on the endpoints; --serve starts a responder)',
      'tcp no listener (nothing listens on the endpoints; --serve starts a responder)',
    ]);
    expect(result.exitCode).toBe(1);
  });

  it('says which pods of the spec are not on their node, instead of calling them unreachable', async () => {
    const text = readFileSync(demo, 'utf8').replace('    - {name: client-1, node: node1}\n', '    - {name: client-1, node: node1}\n    - {name: ghost, node: node1}\n');
    const result = await netctl(['verify', '-f', lab.writeSpec('ghost', text)]);
    expect(result.stdout).toContain('pod ghost → pod web-2 (');
    expect(result.stdout).toMatch(/FAIL {2}pod ghost → pod web-2 \([\d.]+\) on node2: pod ghost is not on node1 \(no network namespace\)/);
    expect(result.stderr + result.stdout).toContain('node1: 1 pod of the spec is not on the node (ghost: no network namespace); apply the spec first (netctl plan shows what is missing)');
    expect(result.exitCode).toBe(1);
  });

  it('catches a node network whose MTU is too small for the overlay', async () => {
    await lab.onNode(2, ['ip', 'link', 'set', 'eth0', 'mtu', '1400']);
    const result = await netctl(['verify', '-f', demo, '--serve', '--json']);
    const doc = JSON.parse(result.stdout) as {checks: {kind: string; description: string; passed: boolean}[]};
    const failed = doc.checks.filter((c) => !c.passed);
    // Full-size overlay packets no longer pass node2's uplink, in either direction; all else works.
    expect(failed.map((c) => c.description).sort()).toEqual([
      "path MTU 1450: pod web-1 → pod web-2 on node2, don't fragment",
      "path MTU 1450: pod web-2 → pod web-1 on node1, don't fragment",
      "path MTU 1450: pod web-2 → pod web-3 on node3, don't fragment",
      "path MTU 1450: pod web-3 → pod web-2 on node2, don't fragment",
    ]);
    expect(result.exitCode).toBe(1);
    await lab.onNode(2, ['ip', 'link', 'set', 'eth0', 'mtu', '1500']);
  });

  it('tells a missing tool from a failed check: one error naming the tool and package, its checks not run', async () => {
    // Hidden inside node3's own mount namespace only: a node without ping, and node2 without socat.
    const hide = async (node: number, tool: string) => {
      const {stdout} = await lab.onNode(node, ['sh', '-c', `command -v ${tool}`]);
      await lab.onNode(node, ['mount', '--bind', '/dev/null', stdout.trim()]);
      return async () => {
        await lab.onNode(node, ['umount', stdout.trim()]);
      };
    };
    const showPing = await hide(3, 'ping');
    const showSocat = await hide(2, 'socat');
    try {
      const result = await netctl(['verify', '-f', demo, '--serve', '--json']);
      const doc = JSON.parse(result.stdout) as {checks: {node: string; kind: string; status: string; outcome: string}[]; errors: string[]; summary: {failed: number; notRun: number}};
      expect(doc.errors).toEqual([
        'node2: socat is not installed, so --serve cannot start responders there (Debian/Ubuntu package socat)',
        expect.stringMatching(/^node3: ping is not installed, so \d+ checks that need it were not run \(Debian\/Ubuntu package iputils-ping\)$/),
      ]);
      expect(doc.summary.failed).toBe(0);
      const notRun = doc.checks.filter((c) => c.status === 'not run');
      expect(new Set(notRun.map((c) => c.kind === 'tcp' ? `tcp ${c.outcome}` : `${c.node} ${c.kind}`))).toEqual(new Set([
        'node3 ping', 'node3 mtu', 'tcp not run: no responder on node2 (socat missing)',
      ]));
      expect(doc.checks.filter((c) => c.node === 'node3' && c.kind !== 'tcp').every((c) => c.status === 'not run')).toBe(true);
      expect(result.exitCode).toBe(1);
      const text = await netctl(['verify', '-f', demo, '--serve']);
      expect(text.stdout.trim().split('\n').pop()).toMatch(/^Verify: \d+ passed, 0 failed, \d+ not run\.$/);
    } finally {
      await showPing();
      await showSocat();
    }
  });

  it('leaves no responder running after --serve', async () => {
    for (const n of [1, 2, 3]) {
      const {stdout} = await lab.onNode(n, ['pgrep', '-f', 'socat TCP-LISTEN'], {reject: false});
      expect(stdout).toBe('');
    }
  });

  it('reports the lab with netctl lab status', async () => {
    const result = await netctl(['lab', 'status']);
    expect(result.stdout).toContain('node1: 203.0.113.1 sshd running');
    expect(result.stdout.endsWith(')\n')).toBe(true);
    expect(bin).toContain('run.cjs');
  });
});
