/**
 * A node's ordered changes, held as runs of arrays that nodes may share. From empty, most of a node's
 * changes are the same objects on every node (every service's chains, every peer's routes): at 5,000
 * nodes that is 70,000 changes per node, and a list that points at the shared runs costs the node a
 * few words instead of an array of its own.
 */
import type {Change} from './diff.js';

/** `items[start]` up to, not including, `items[end]`. */
export interface Run {
  readonly items: readonly Change[];
  readonly start: number;
  readonly end: number;
}

export class ChangeList implements Iterable<Change> {
  static readonly EMPTY = new ChangeList([]);

  readonly length: number;

  private constructor(private readonly runs: readonly Run[]) {
    this.length = runs.reduce((n, run) => n + run.end - run.start, 0);
  }

  static of(items: readonly Change[]): ChangeList {
    return items.length === 0 ? ChangeList.EMPTY : new ChangeList([{items, start: 0, end: items.length}]);
  }

  /** The parts one after the other; arrays and runs are referred to, not copied. */
  static join(parts: readonly (ChangeList | readonly Change[] | Run)[]): ChangeList {
    const runs: Run[] = [];
    for (const part of parts) {
      if (part instanceof ChangeList) runs.push(...part.runs);
      else if ('items' in part) runs.push(part);
      else runs.push({items: part, start: 0, end: part.length});
    }
    return new ChangeList(runs.filter((run) => run.end > run.start));
  }

  [Symbol.iterator](): Iterator<Change> {
    const runs = this.runs;
    let r = 0;
    let i = runs[0]?.start ?? 0;
    return {
      next(): IteratorResult<Change> {
        while (r < runs.length) {
          const run = runs[r]!;
          if (i < run.end) return {value: run.items[i++]!, done: false};
          r++;
          i = runs[r]?.start ?? 0;
        }
        return {value: undefined, done: true};
      },
    };
  }

  toArray(): Change[] {
    const out: Change[] = [];
    for (const run of this.runs) for (let i = run.start; i < run.end; i++) out.push(run.items[i]!);
    return out;
  }

  map<T>(f: (change: Change) => T): T[] {
    const out: T[] = [];
    for (const change of this) out.push(f(change));
    return out;
  }

  filter(keep: (change: Change) => boolean): Change[] {
    const out: Change[] = [];
    for (const change of this) if (keep(change)) out.push(change);
    return out;
  }

  some(test: (change: Change) => boolean): boolean {
    for (const change of this) if (test(change)) return true;
    return false;
  }

  every(test: (change: Change) => boolean): boolean {
    return !this.some((change) => !test(change));
  }

  /** Plans written as JSON hold plain lists. */
  toJSON(): Change[] {
    return this.toArray();
  }
}
