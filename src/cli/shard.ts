/**
 * `--shard K/N`: a stable split of a spec's nodes into N shards, so that N runs (a CI matrix, one
 * Ansible control host each) share the work. A node's shard depends on its name and N only: adding or
 * removing other nodes never moves it. Each shard still plans from the whole spec (routes, peers,
 * services), and changes only its own nodes.
 */
import {createHash} from 'node:crypto';

export interface Shard {
  /** 1-based. */
  readonly index: number;
  readonly count: number;
}

/** `2/5` → shard 2 of 5; a message when the text is not K/N with 1 ≤ K ≤ N. */
export function parseShard(text: string): Shard | string {
  const match = /^(\d+)\/(\d+)$/.exec(text);
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (match === null || count < 1 || index < 1 || index > count || count > 10000) return `--shard ${text}: write K/N, shard K of N, with 1 <= K <= N (for example 1/4)`;
  return {index, count};
}

/** The shard (1-based) a node of this name falls in, out of `count`. */
export function shardOf(name: string, count: number): number {
  return (createHash('sha256').update(name).digest().readUInt32BE(0) % count) + 1;
}
