/** The held session's protocol, run by a local shell: scripts and lock requests in order, nothing over-read. */
import {afterAll, describe, expect, it} from '@jest/globals';
import {LocalTransport} from '../../src/transport/local.js';

describe('the held session', () => {
  const transport = new LocalTransport('here');
  afterAll(() => transport.close());

  it('runs scripts one after another, each with its output and exit status', async () => {
    expect(await transport.runHeld('echo one\necho two >&2\nexit 3\n')).toEqual({output: 'one\ntwo', exitCode: 3});
    expect(await transport.runHeld("printf 'no newline at the end'")).toEqual({output: 'no newline at the end', exitCode: 0});
    const answers = await Promise.all([transport.runHeld('echo a\n'), transport.runHeld('echo b\n'), transport.runHeld('echo é\n')]);
    expect(answers.map((a) => a.output)).toEqual(['a', 'b', 'é']);
  });

  it('does not let a script read the next request', async () => {
    expect(await transport.runHeld('cat; echo read-nothing\n')).toEqual({output: 'read-nothing', exitCode: 0});
    expect(await transport.runHeld('echo still-here\n')).toEqual({output: 'still-here', exitCode: 0});
  });
});
