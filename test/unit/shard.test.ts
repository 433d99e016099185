/** --shard K/N: every node in exactly one shard, the same one whatever the other nodes are. */
import {describe, expect, it} from '@jest/globals';
import {parseShard, shardOf} from '../../src/cli/shard.js';

const names = Array.from({length: 1000}, (_, i) => `node-${i}`);

describe('shards', () => {
  it('put every node in exactly one of N shards, spread evenly enough', () => {
    for (const count of [1, 2, 3, 7, 20]) {
      const sizes = new Array<number>(count).fill(0);
      for (const name of names) sizes[shardOf(name, count) - 1]! += 1;
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(names.length);
      // Hashing spreads 1,000 names within 40% of the even share.
      for (const size of sizes) expect(Math.abs(size - names.length / count)).toBeLessThan(0.4 * names.length / count + 5);
    }
  });

  it('keep a node in its shard whatever other nodes come and go', () => {
    const before = new Map(names.map((n) => [n, shardOf(n, 4)]));
    const fewer = names.filter((_, i) => i % 3 !== 0);
    for (const name of fewer) expect(shardOf(name, 4)).toBe(before.get(name));
  });

  it('read K/N, and say how to write it otherwise', () => {
    expect(parseShard('2/5')).toEqual({index: 2, count: 5});
    for (const bad of ['0/3', '4/3', '1/0', '2', 'a/b', '1/3/4']) expect(parseShard(bad)).toBe(`--shard ${bad}: write K/N, shard K of N, with 1 <= K <= N (for example 1/4)`);
  });
});
