/** A node reached as a user who is not root: every script says so first, rather than failing oddly. */
import {describe, expect, it} from '@jest/globals';
import {execa} from 'execa';
import {ObservationError, parseObservation} from '../../src/observe/parse.js';
import {observeScript} from '../../src/observe/script.js';
import {checksScript, notRootIn} from '../../src/verify/script.js';

/** Runs a script as a user who is not root: as root, dropped to nobody; as anyone else, as they are. */
const notRoot = (script: string) =>
  process.getuid?.() === 0
    ? execa('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'sh'], {input: script, reject: false, cwd: '/'})
    : execa('sh', [], {input: script, reject: false});

describe('a node whose SSH user is not root', () => {
  it('cannot be read: the read says netctl needs root, not that its tools are missing', async () => {
    const {stdout} = await notRoot(observeScript({routeTargets: [], probeLinkTypes: []}));
    expect(() => parseObservation(stdout)).toThrow(ObservationError);
    expect(() => parseObservation(stdout)).toThrow(/^netctl needs root on the node, and its SSH user has uid [1-9]\d*: connect as root/);
  });

  it('runs no verify check, and says why', async () => {
    const {stdout} = await notRoot(checksScript([{id: 'c1', kind: 'ping', node: 'node1', pod: undefined, target: '127.0.0.1', description: 'ping'}]));
    expect(notRootIn(stdout)).toMatch(/^[1-9]\d*$/);
    expect(stdout).not.toContain('@@check');
  });

  it('is told from root by the verify answer alone: a root answer names no uid', () => {
    expect(notRootIn('@@check c1 0 \n')).toBeUndefined();
  });
});
