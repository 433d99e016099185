/** The apply loop over a scripted transport: what the node answers decides the outcome. */
import {describe, expect, it} from '@jest/globals';
import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import {ApplyError, applyNode, observeNode} from '../../src/engine/engine.js';
import {planNode} from '../../src/plan/node-plan.js';
import {checkSpecText} from '../../src/spec/check.js';
import type {ScriptResult, Transport} from '../../src/transport/transport.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'observe');
const applied = readFileSync(join(fixtures, 'overlay-node1.txt'), 'utf8');
const cluster = checkSpecText(readFileSync(join(fixtures, 'overlay-spec.yaml'), 'utf8')).cluster!;
const node1 = cluster.nodes[0]!;
const empty = '@@netctl links\n[]\n@@netctl addresses\n[{"ifname":"eth0","addr_info":[{"family":"inet","local":"203.0.113.1","prefixlen":24}]}]\n@@netctl end\n';

/** A node that answers each script with the next scripted result, and records what it was sent. */
class ScriptedNode implements Transport {
  readonly description = 'scripted';
  readonly received: string[] = [];
  constructor(private readonly answers: ScriptResult[]) {}
  run(script: string): Promise<ScriptResult> {
    this.received.push(script);
    const answer = this.answers.shift();
    if (answer === undefined) throw new Error('unexpected script');
    return Promise.resolve(answer);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

const ok = (stdout: string): ScriptResult => ({stdout, stderr: '', exitCode: 0});

describe('applyNode', () => {
  it('sends one script and accepts the node when the re-read shows no difference', async () => {
    const plan = planNode(cluster, node1, await observeNode(new ScriptedNode([ok(empty)]), cluster, node1, 'apply'), 'apply');
    const transport = new ScriptedNode([ok(''), ok(applied)]);
    await applyNode(transport, cluster, plan, 'apply');
    expect(transport.received).toHaveLength(2);
    expect(transport.received[0]).toContain('ip -batch -');
  });

  it('fails the node with the remaining differences when the re-read is not clean', async () => {
    const plan = planNode(cluster, node1, await observeNode(new ScriptedNode([ok(empty)]), cluster, node1, 'apply'), 'apply');
    const stillEmpty = new ScriptedNode([ok(''), ok(empty)]);
    await expect(applyNode(stillEmpty, cluster, plan, 'apply')).rejects.toThrow(
      /^the node still differs from the spec after applying: .*create link netctl0 \(missing on the node\)/,
    );
  });

  it('fails the node with what the command said when the script fails', async () => {
    const plan = planNode(cluster, node1, await observeNode(new ScriptedNode([ok(empty)]), cluster, node1, 'apply'), 'apply');
    const failing = new ScriptedNode([{stdout: '', stderr: 'Error: Unknown device type.\nCommand failed -:3', exitCode: 1}]);
    await expect(applyNode(failing, cluster, plan, 'apply')).rejects.toThrow(new ApplyError('applying changes failed (exit 1): Error: Unknown device type.\nCommand failed -:3'));
  });
});

describe('verificationScope', () => {
  it('re-reads only the iptables chains an apply changed', async () => {
    const {verificationScope} = await import('../../src/engine/engine.js');
    const plan = planNode(cluster, node1, await observeNode(new ScriptedNode([ok(empty)]), cluster, node1, 'apply'), 'apply');
    expect([...verificationScope(plan.changes)!].sort()).toEqual([
      'filter FORWARD', 'filter NETCTL-FORWARD', 'nat NETCTL-POSTROUTING', 'nat POSTROUTING',
    ]);
    expect(verificationScope([])).toEqual(new Set());
  });
});
