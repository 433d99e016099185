/** The transports to every node for one netctl command, and their clean-up. */
import {mkdtemp, readdir, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {formatAddress} from '../net/ipv4.js';
import type {ClusterNetwork} from '../spec/types.js';
import {LocalTransport} from '../transport/local.js';
import {SshTransport} from '../transport/ssh.js';
import type {LockRequest} from '../transport/lock.js';
import type {Transport} from '../transport/transport.js';

const DIR_PREFIX = 'netctl-run-';

/** Removes the directories of netctl runs that were killed before they could clean up. */
async function removeAbandonedDirectories(): Promise<void> {
  const entries = await readdir(tmpdir()).catch(() => [] as string[]);
  for (const entry of entries) {
    const pid = Number(/^netctl-run-(\d+)-/.exec(entry)?.[1]);
    if (!Number.isInteger(pid) || pid === process.pid || isAlive(pid)) continue;
    await rm(join(tmpdir(), entry), {recursive: true, force: true});
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class Session {
  private constructor(readonly transports: ReadonlyMap<string, Transport>, private readonly controlDir: string) {}

  /** Transports to the given nodes only: the others are never contacted. */
  static async open(cluster: ClusterNetwork, nodes: readonly string[], lock?: LockRequest): Promise<Session> {
    await removeAbandonedDirectories();
    // ControlPath must fit a unix socket path (about 100 bytes): a short private directory, named
    // after this process so that one left by a killed netctl can be recognised and removed.
    const controlDir = await mkdtemp(join(tmpdir(), `${DIR_PREFIX}${process.pid}-`));
    const transports = new Map<string, Transport>();
    for (const node of cluster.nodes.filter((n) => nodes.includes(n.name))) {
      transports.set(node.name, node.transport === 'local'
        ? new LocalTransport(node.name, lock)
        : new SshTransport(node.name, node.ssh.host ?? formatAddress(node.address), node.ssh, controlDir, lock));
    }
    return new Session(transports, controlDir);
  }

  transport(node: string): Transport {
    const transport = this.transports.get(node);
    if (transport === undefined) throw new Error(`no transport for node ${node}`);
    return transport;
  }

  async close(): Promise<void> {
    await Promise.all([...this.transports.values()].map((t) => t.close()));
    await rm(this.controlDir, {recursive: true, force: true});
  }
}
