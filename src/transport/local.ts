import {execa} from 'execa';
import type {ScriptResult, Transport} from './transport.js';

/** Runs scripts on the machine netctl runs on (`transport: local`). */
export class LocalTransport implements Transport {
  readonly description = 'local';

  async run(script: string): Promise<ScriptResult> {
    const result = await execa('sh', ['-s'], {input: script, reject: false, stripFinalNewline: false});
    return {stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode ?? 1};
  }

  async close(): Promise<void> {}
}
