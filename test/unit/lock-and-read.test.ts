/** apply's lock phase: each node read in the round trip that takes its lock, and read again when locks had to be given back. */
import {describe, expect, it} from '@jest/globals';
import {CONFIRM_PENDING} from '../../src/apply/transaction.js';
import {lockAndRead, planCluster} from '../../src/engine/engine.js';
import {Session} from '../../src/engine/session.js';
import {LockedError, type ScriptResult, type Transport} from '../../src/transport/transport.js';
import {check} from './spec-builders.js';

const cluster = check().cluster!;
const emptyNode = (address: string) => `@@netctl links\n[]\n@@netctl addresses\n[{"ifname":"eth0","addr_info":[{"family":"inet","local":"${address}","prefixlen":24}]}]\n@@netctl end\n`;

/** A node that notes each lock, unlock and read in a log shared by all nodes. */
class LoggedNode implements Transport {
  readonly description = 'logged';
  private attempts = 0;
  constructor(
    private readonly name: string,
    private readonly address: string,
    private readonly log: string[],
    /** The first `heldFor` lock attempts find the lock held by another run. */
    private readonly heldFor = 0,
    /** The lock is answered once this settles. */
    private readonly answer: Promise<void> = Promise.resolve(),
  ) {}
  async lock(seconds: number): Promise<void> {
    this.log.push(`${this.name} lock ${seconds}`);
    await this.take(seconds);
  }
  private async take(seconds: number): Promise<void> {
    if (this.attempts++ < this.heldFor) throw new LockedError(this.name, 'held by netctl on elsewhere (pid 1)', seconds);
    await this.answer;
    this.log.push(`${this.name} locked`);
  }
  async lockAndRun(script: string): Promise<ScriptResult> {
    this.log.push(`${this.name} lockrun`);
    await this.take(0);
    return this.run(script);
  }
  unlock(): Promise<void> {
    this.log.push(`${this.name} unlock`);
    return Promise.resolve();
  }
  run(script: string): Promise<ScriptResult> {
    this.log.push(`${this.name} read${script.startsWith(CONFIRM_PENDING) ? ' under lock' : ''}`);
    return Promise.resolve({stdout: emptyNode(this.address), stderr: '', exitCode: 0});
  }
  probeNewConnection(): Promise<void> {
    throw new Error('unexpected probe');
  }
  interactive(): Promise<number> {
    throw new Error('unexpected interactive command');
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
  abort(): void {}
}

function session(log: string[], nodeB: {heldFor?: number; answer?: Promise<void>} = {}): Session {
  return Session.open(cluster, ['node-a', 'node-b'], {
    transport: (node) => node.name === 'node-a'
      ? new LoggedNode('node-a', '198.51.100.1', log)
      : new LoggedNode('node-b', '198.51.100.2', log, nodeB.heldFor, nodeB.answer),
  });
}

describe('lockAndRead', () => {
  it('reads a node under its lock in the round trip that takes it, not once every lock is', async () => {
    const log: string[] = [];
    let answerB!: () => void;
    const s = session(log, {answer: new Promise((resolve) => (answerB = resolve))});
    const locking = lockAndRead(s, cluster, 'apply', 0, 10);
    await new Promise(setImmediate);
    expect(log).toEqual(['node-a lockrun', 'node-b lockrun', 'node-a locked', 'node-a read under lock']);
    answerB();
    const {locks, started} = await locking;
    expect(locks).toMatchObject({taken: true, atOnce: true});
    expect([...started.keys()].sort()).toEqual(['node-a', 'node-b']);
    const plan = await planCluster(s, cluster, 'apply', 10, {underLock: true, started});
    expect(plan.nodes.map((n) => [n.node, n.status])).toEqual([['node-a', 'planned'], ['node-b', 'planned']]);
    // Each node read once: the plan used the reads made under the locks.
    expect(log.filter((l) => l.includes('read'))).toEqual(['node-a read under lock', 'node-b read under lock']);
    await s.close();
  });

  it('drops the reads when another run held a lock, and the plan reads every node again under the locks taken one by one', async () => {
    const log: string[] = [];
    const s = session(log, {heldFor: 1});
    const {locks, started} = await lockAndRead(s, cluster, 'apply', 0, 10);
    expect(locks).toMatchObject({taken: true, atOnce: false});
    expect(started.size).toBe(0);
    await planCluster(s, cluster, 'apply', 10, {underLock: true, started});
    expect(log).toEqual([
      'node-a lockrun', 'node-b lockrun', 'node-a locked', 'node-a read under lock',
      // node-b was held: node-a's lock given back, then both taken in name order.
      'node-a unlock', 'node-a lock 2', 'node-a locked', 'node-b lock 2', 'node-b locked',
      'node-a read under lock', 'node-b read under lock',
    ]);
    await s.close();
  });

  it('gives no reads when a lock stays held', async () => {
    const log: string[] = [];
    const s = session(log, {heldFor: 2});
    const {locks, started} = await lockAndRead(s, cluster, 'apply', 0, 10);
    expect(locks.taken).toBe(false);
    expect(started.size).toBe(0);
    expect(log.filter((l) => l.includes('read'))).toEqual(['node-a read under lock']);
    expect(log.at(-1)).toBe('node-a unlock');
    await s.close();
  });
});
