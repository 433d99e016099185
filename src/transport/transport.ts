/** How netctl reaches a node: a script in on stdin of a shell there, its output back. */

export interface ScriptResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
}

export interface Transport {
  /** Human name of the way in, for messages: `root@198.51.100.1:22` or `local`. */
  readonly description: string;
  /** Runs a script over the shared connection; `onOutput` sees its stdout as it comes. */
  run(script: string, onOutput?: (chunk: string) => void): Promise<ScriptResult>;
  /**
   * Opens a new connection at once, not the shared one, and runs the script once it is known: proof
   * that the node can still be reached. With no script (undefined) the connection is closed unused.
   */
  runFresh(script: PromiseLike<string | undefined>): Promise<ScriptResult | undefined>;
  /** Ends any connection kept open for reuse, leaving no process behind. */
  close(): Promise<void>;
}

/** The node could not be reached at all (as opposed to a command on it failing). */
export class UnreachableError extends Error {
  constructor(readonly node: string, readonly detail: string) {
    super(`cannot reach node ${node}: ${detail}`);
  }
}

/** Another netctl holds the node's lock (apply and destroy take it for their whole run). */
export class LockedError extends Error {
  constructor(readonly node: string, readonly holder: string, waitedSeconds: number) {
    super(`node ${node} is locked by another netctl run, ${holder}; waited ${waitedSeconds} s (--lock-timeout)`);
  }
}
