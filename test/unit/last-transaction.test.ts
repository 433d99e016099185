/**
 * The node's last transaction, as a read under the node's lock reports it: what the reconcile loop
 * needs to tell a node netctl destroy emptied (left alone) from one that lost its state (rebuilt).
 * The node-side scripts run here with sh, in a directory of their own instead of /run/netctl.
 */
import {afterAll, describe, expect, it} from '@jest/globals';
import {execa} from 'execa';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {CONFIRM_PENDING, destroyedByNetctl, lastTransactionIn, transactionScript} from '../../src/apply/transaction.js';
import {ChangeList} from '../../src/plan/change-list.js';
import type {Intent} from '../../src/plan/node-plan.js';

const dir = mkdtempSync(join(tmpdir(), 'netctl-tx-'));
const here = (script: string) => script.replaceAll('/run/netctl', dir);
const run = async (script: string) => (await execa('sh', ['-c', here(script)], {reject: false})).stdout;
const transaction = (intent: Intent) => run(transactionScript({node: 'node1', changes: ChangeList.EMPTY, errors: [], warnings: [], fingerprint: ''}, intent, 'test'));

afterAll(() => rmSync(dir, {recursive: true, force: true}));

describe('the last transaction, read under the lock', () => {
  it('is none on a node that has had none since it started', async () => {
    const last = lastTransactionIn(await run(CONFIRM_PENDING));
    expect(last).toEqual({intent: 'none', status: 'none'});
    expect(destroyedByNetctl(last)).toBe(false);
  });

  it('is a destroy that went through, until an apply follows', async () => {
    expect(await transaction('destroy')).toContain('@@netctl-tx applied');
    const destroyed = lastTransactionIn(await run(CONFIRM_PENDING));
    expect(destroyed).toEqual({intent: 'destroy', status: 'applied'});
    expect(destroyedByNetctl(destroyed)).toBe(true);
    await transaction('apply');
    expect(destroyedByNetctl(lastTransactionIn(await run(CONFIRM_PENDING)))).toBe(false);
  });

  it('is no destroy when the destroy was rolled back or undone by its watchdog', () => {
    expect(destroyedByNetctl({intent: 'destroy', status: 'rolled-back'})).toBe(false);
    expect(destroyedByNetctl({intent: 'destroy', status: 'expired'})).toBe(false);
    expect(destroyedByNetctl(undefined)).toBe(false);
  });
});
