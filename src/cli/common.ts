/** What plan, apply and destroy share: loading the spec (never touching a host when it is invalid), flags. */
import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import type {Command} from '@oclif/core/command';
import {DEFAULT_CONNECT_TIMEOUT} from '../engine/session.js';
import type {Confirmation} from '../engine/engine.js';
import {checkSpecFile} from '../spec/check.js';
import {SavedPlanError, parseSavedPlan, type SavedPlan} from '../plan/saved-plan.js';
import {UnreadableFileError, readTextFile} from '../spec/load.js';
import {suggest} from '../spec/suggest.js';
import type {ClusterNetwork} from '../spec/types.js';
import {renderValidation} from '../ui/validate-report.js';
import {parseShard, shardOf} from './shard.js';

export const specFlags = {
  file: Flags.string({char: 'f', description: 'the spec file', default: 'netctl.yaml', env: 'NETCTL_FILE'}),
  parallelism: Flags.integer({description: 'nodes worked on at once', default: 10, min: 1, env: 'NETCTL_PARALLELISM'}),
  target: Flags.string({description: 'work on this node only (repeatable); other nodes are not contacted', multiple: true}),
  shard: Flags.string({description: 'work on the nodes of shard K of N only (K/N, for example 2/4): a stable split by node name, for N runs that share a big spec; plans still take every node into account', env: 'NETCTL_SHARD'}),
  'connect-timeout': Flags.integer({description: 'seconds to reach a node (TCP connect, SSH banner, handshake, session start), whatever the SSH configuration says; a spec\'s ssh.connectTimeout overrides it; a connected node that stops answering is given up after about as long', default: DEFAULT_CONNECT_TIMEOUT, min: 1, max: 600}),
};

/**
 * The commands that read the spec from -f take it as an argument only to say so: without an argument,
 * oclif reads `netctl plan cluster.yaml` as an unknown command `plan cluster.yaml` and ends with 2, which
 * `plan --detailed-exitcode` reserves for "changes present".
 */
export const specArgument = {spec: Args.string({hidden: true})};

/** Ends the command with 2 and the command line meant when the spec was given as an argument. */
export function refuseSpecArgument(command: Command, spec: string | undefined): void {
  if (spec === undefined) return;
  const name = `netctl ${command.id?.replaceAll(':', ' ') ?? ''}`;
  const fileGiven = command.argv.some((arg) => arg.startsWith('-f') || arg === '--file' || arg.startsWith('--file='));
  if (fileGiven) exitWithError(command, `${name} takes no argument, got ${spec}`, 2);
  exitWithError(command, `${name} reads the spec from -f (or NETCTL_FILE), not from an argument: ${name} -f ${spec}`, 2);
}

/** What apply and destroy are told, besides what to do. */
export interface ChangeOptions {
  readonly parallelism: number;
  /** Seconds to wait for another run's node lock. */
  readonly lockTimeoutSeconds: number;
  /** Start no further node once one fails. */
  readonly failFast: boolean;
  readonly connectTimeoutSeconds: number;
  /** How a changed node's reachability is proven before it is confirmed; undefined: no watchdog. */
  readonly confirm: Confirmation | undefined;
}

/** Flags of the commands that change nodes: apply and destroy. */
export const changeFlags = {
  'lock-timeout': Flags.integer({description: 'seconds to wait for another netctl run holding a node (0: fail at once)', default: 0, min: 0}),
  'fail-fast': Flags.boolean({description: 'start no further node once one fails'}),
  'confirm-timeout': Flags.integer({description: 'seconds a node waits for netctl to confirm, once a new connection reached it, before it undoes the apply by itself', default: 60, min: 1}),
  'no-confirm': Flags.boolean({description: 'no confirmation and no watchdog on the nodes'}),
  'confirm-ssh': Flags.boolean({description: 'prove that new connections reach a changed node with a whole new SSH session, not only a TCP connection that gets the SSH banner'}),
};

/** The options of apply and destroy, from their flags. */
export function changeOptions(flags: {
  'parallelism': number; 'lock-timeout': number; 'fail-fast': boolean; 'connect-timeout': number;
  'confirm-timeout': number; 'no-confirm': boolean; 'confirm-ssh': boolean;
}): ChangeOptions {
  return {
    parallelism: flags.parallelism,
    lockTimeoutSeconds: flags['lock-timeout'],
    failFast: flags['fail-fast'],
    connectTimeoutSeconds: flags['connect-timeout'],
    confirm: flags['no-confirm'] ? undefined : {seconds: flags['confirm-timeout'], handshake: flags['confirm-ssh']},
  };
}

/** Prints `error: MESSAGE` as one line, without oclif's wrapping, and exits with `code`. */
export function exitWithError(command: Command, message: string, code: number): never {
  process.stderr.write(`error: ${message}\n`);
  return command.exit(code);
}

/**
 * The nodes a command works on: the targeted ones (or all), of the given shard (or all). Exits 1 naming
 * an unknown target, 2 for a malformed shard; an empty shard is said and ends the command with 0.
 */
export function targetNodesOrExit(command: Command, cluster: ClusterNetwork, flags: TargetFlags): string[] {
  const targets = resolveTargets(cluster, flags);
  if (!('problem' in targets)) return targets.nodes;
  if (targets.exitCode === 0) {
    process.stderr.write(`${targets.problem}\n`);
    return command.exit(0);
  }
  return exitWithError(command, targets.problem, targets.exitCode);
}

export interface TargetFlags {
  readonly target?: readonly string[] | undefined;
  readonly shard?: string | undefined;
}

/** The nodes of `cluster` that --target and --shard pick, or why there are none (and the exit code that says it). */
export function resolveTargets(cluster: ClusterNetwork, flags: TargetFlags): {nodes: string[]} | {problem: string; exitCode: 0 | 1 | 2} {
  const names = cluster.nodes.map((n) => n.name);
  const targets = flags.target ?? [];
  for (const target of targets) {
    if (!names.includes(target)) {
      const hint = suggest(target, names);
      return {problem: `--target ${target}: the spec has no such node${hint === undefined ? '' : ` (did you mean ${hint}?)`}`, exitCode: 1};
    }
  }
  const targeted = targets.length === 0 ? names : names.filter((n) => targets.includes(n));
  if (flags.shard === undefined) return {nodes: targeted};
  const shard = parseShard(flags.shard);
  if (typeof shard === 'string') return {problem: shard, exitCode: 2};
  const mine = targeted.filter((n) => shardOf(n, shard.count) === shard.index);
  if (mine.length === 0) return {problem: `shard ${shard.index}/${shard.count} holds none of the ${targeted.length} node${targeted.length === 1 ? '' : 's'}: nothing to do`, exitCode: 0};
  return {nodes: mine};
}

/** A saved plan (`plan --out`), checked; exits 2 when its file cannot be read, 1 when it is no plan. */
export async function loadSavedPlanOrExit(command: Command, file: string): Promise<SavedPlan> {
  try {
    return parseSavedPlan(await readTextFile(file), file);
  } catch (error) {
    if (error instanceof UnreadableFileError) return unreadable(command, error);
    if (!(error instanceof SavedPlanError)) throw error;
    const hint = error.notJson ? `; a spec is given with -f: netctl ${command.id ?? ''} -f ${file}` : '';
    process.stderr.write(`error: ${error.message}${hint}\n`);
    return command.exit(1);
  }
}

function unreadable(command: Command, error: UnreadableFileError): never {
  process.stderr.write(`${error.file}: error: cannot read: ${error.reason}\n`);
  return command.exit(2);
}

/** Loads and checks the spec; on any error prints every problem and exits 1 (2 when unreadable). */
export async function loadClusterOrExit(command: Command, file: string): Promise<ClusterNetwork> {
  return (await loadSpecOrExit(command, file)).cluster;
}

/** As loadClusterOrExit, with the SHA-256 of the bytes the cluster was compiled from. */
export async function loadSpecOrExit(command: Command, file: string): Promise<{cluster: ClusterNetwork; sha256: string}> {
  try {
    const {cluster, diagnostics, sha256} = await checkSpecFile(file);
    if (cluster !== undefined) {
      const warnings = diagnostics.filter((d) => d.severity === 'warning');
      if (warnings.length > 0) process.stderr.write(renderValidation([{file, readable: true, diagnostics: warnings}], 'text', false).split('\n').slice(0, -2).join('\n') + '\n');
      return {cluster, sha256: sha256 ?? ''};
    }
    process.stderr.write(renderValidation([{file, readable: true, diagnostics}], 'text', false));
    return command.exit(1);
  } catch (cause) {
    if (!(cause instanceof UnreadableFileError)) throw cause;
    return unreadable(command, cause);
  }
}
