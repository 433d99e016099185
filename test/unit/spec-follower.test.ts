/** reconcile's view of its spec file: what it takes up, what it refuses, what is no change. */
import {afterAll, describe, expect, it} from '@jest/globals';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {SpecFollower} from '../../src/cli/spec-follower.js';
import {checkSpecFile} from '../../src/spec/check.js';

const dir = mkdtempSync(join(tmpdir(), 'netctl-follow-'));
afterAll(() => rmSync(dir, {recursive: true, force: true}));

const spec = (pods: string) => `apiVersion: netctl/v1
kind: ClusterNetwork
metadata: {name: follow}
spec:
  mode: overlay
  clusterCIDR: 10.244.0.0/16
  nodes:
    - {name: node1, address: 203.0.113.1/24}
    - {name: node2, address: 203.0.113.2/24}
  pods:
${pods}`;

async function follow(text: string, targets: {target?: string[]} = {}) {
  const file = join(dir, `spec-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, text);
  const {cluster, sha256} = await checkSpecFile(file);
  return {file, follower: new SpecFollower(file, cluster!, sha256!, targets)};
}

describe('following the spec file', () => {
  it('sees no change in the file it started from, nor in an edit of comments only', async () => {
    const {file, follower} = await follow(spec('    - {name: a, node: node1}\n'));
    expect(await follower.next()).toBeUndefined();
    writeFileSync(file, `# a comment\n${spec('    - {name: a, node: node1}   # the first pod\n')}`);
    expect(await follower.next()).toBeUndefined();
  });

  it('takes up a valid change, with the nodes it picks, once', async () => {
    const {file, follower} = await follow(spec('    - {name: a, node: node1}\n'));
    writeFileSync(file, spec('    - {name: a, node: node1}\n    - {name: b, node: node2}\n'));
    const change = await follower.next();
    expect(change !== undefined && 'cluster' in change && change.cluster.pods.map((p) => p.name)).toEqual(['a', 'b']);
    expect(change !== undefined && 'nodes' in change && change.nodes).toEqual(['node1', 'node2']);
    expect(await follower.next()).toBeUndefined();
  });

  it('refuses an invalid change with its located errors, once, and takes up the next valid one', async () => {
    const {file, follower} = await follow(spec('    - {name: a, node: node1}\n'));
    writeFileSync(file, spec('    - {name: a, node: node3}\n'));
    const refused = await follower.next();
    expect(refused !== undefined && 'problems' in refused && refused.problems).toEqual([
      `${file}:11:23 error: pod a runs on node node3, which the spec does not define (did you mean node1?) (at spec.pods[0].node)`,
    ]);
    expect(await follower.next()).toBeUndefined();
    writeFileSync(file, spec('    - {name: a, node: node2}\n'));
    const change = await follower.next();
    expect(change !== undefined && 'cluster' in change).toBe(true);
  });

  it('refuses a spec that no longer has a --target node, and a file that cannot be read', async () => {
    const {file, follower} = await follow(spec('    - {name: a, node: node2}\n'), {target: ['node2']});
    writeFileSync(file, spec('    - {name: a, node: node2}\n').replace('    - {name: node2, address: 203.0.113.2/24}\n', '').replace('node: node2}', 'node: node1}'));
    expect(await follower.next()).toEqual({problems: ['--target node2: the spec has no such node (did you mean node1?)']});
    rmSync(file);
    const missing = await follower.next();
    expect(missing !== undefined && 'problems' in missing && missing.problems[0]).toMatch(/cannot read/);
  });
});
