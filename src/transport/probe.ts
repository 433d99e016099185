/**
 * Proof that a new connection reaches a node's SSH server: a fresh TCP connection that receives the
 * server's identification banner (`SSH-2.0-...`, RFC 4253 section 4.2), then closes. It costs no
 * handshake: the commit-confirm check of every apply, and later of every reconcile tick.
 */
import {connect} from 'node:net';

/** Resolves once `host:port` sent an SSH banner; rejects after `timeoutSeconds` or on any error. */
export function probeBanner(host: string, port: number, timeoutSeconds: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let received = '';
    const socket = connect({host, port});
    const fail = (why: string) => {
      socket.destroy();
      reject(new Error(`a new connection to ${host} port ${port} ${why}`));
    };
    socket.setTimeout(timeoutSeconds * 1000, () => fail(`brought no SSH banner within ${timeoutSeconds} s (--connect-timeout)`));
    socket.on('error', (error: NodeJS.ErrnoException) => fail(`failed: ${error.code ?? error.message}`));
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      // Servers may send other lines before the banner; the banner line starts with "SSH-".
      if (/(^|\n)SSH-/.test(received)) {
        socket.destroy();
        resolve();
      } else if (received.length > 8192) {
        fail('answered, but not as an SSH server');
      }
    });
    socket.on('end', () => fail('was closed before an SSH banner came'));
  });
}
