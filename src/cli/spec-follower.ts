/**
 * The spec file a long run follows (reconcile): a saved change is read and checked, and taken up only
 * when it is valid and picks nodes. The file is looked at with stat() and read again only when that
 * changed; a change of bytes that compiles to the same cluster (a comment) is no change.
 */
import {stat} from 'node:fs/promises';
import {isDeepStrictEqual} from 'node:util';
import {checkSpecFile} from '../spec/check.js';
import {UnreadableFileError} from '../spec/load.js';
import type {ClusterNetwork} from '../spec/types.js';
import {diagnosticLine} from '../ui/validate-report.js';
import {resolveTargets, type TargetFlags} from './common.js';

export type SpecChange =
  /** A valid spec that differs from the one followed: the cluster and the nodes it picks. */
  | {readonly cluster: ClusterNetwork; readonly nodes: readonly string[]}
  /** A saved file that cannot be taken up, and why (one line each); the followed spec stays. */
  | {readonly problems: readonly string[]};

export class SpecFollower {
  /** What stat() said of the file as last read (the same before and after); undefined before the first look. */
  private statKey: string | undefined;

  constructor(
    private readonly file: string,
    private cluster: ClusterNetwork,
    private sha256: string,
    private readonly targets: TargetFlags,
  ) {}

  /** What changed in the file since the last look, if anything. */
  async next(): Promise<SpecChange | undefined> {
    const key = await statKey(this.file);
    if (key === this.statKey) return undefined;
    let check;
    try {
      check = await checkSpecFile(this.file);
    } catch (cause) {
      if (!(cause instanceof UnreadableFileError)) throw cause;
      check = cause;
    }
    // Still being written (an editor saving in place): read it again at the next look.
    if (await statKey(this.file) !== key) return undefined;
    this.statKey = key;
    if (check instanceof UnreadableFileError) return {problems: [check.message]};
    if (check.sha256 === this.sha256) return undefined;
    this.sha256 = check.sha256 ?? '';
    if (check.cluster === undefined) return {problems: check.diagnostics.filter((d) => d.severity === 'error').map((d) => diagnosticLine(this.file, d))};
    if (isDeepStrictEqual(check.cluster, this.cluster)) return undefined;
    const targets = resolveTargets(check.cluster, this.targets);
    if ('problem' in targets) return {problems: [targets.problem]};
    this.cluster = check.cluster;
    return {cluster: check.cluster, nodes: targets.nodes};
  }
}

/** What stat() says of the file, as a string that changes when the file does. */
function statKey(file: string): Promise<string> {
  return stat(file).then((s) => `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`, (error: NodeJS.ErrnoException) => `missing:${error.code ?? ''}`);
}
