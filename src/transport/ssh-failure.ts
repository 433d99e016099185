/**
 * What an operator can do about an ssh client that could not reach its node, read from what the client
 * printed (OpenSSH's own wording). netctl runs ssh with BatchMode, so every question ssh would have
 * asked (an unknown host key, a password) is a failure here, and the fix is what to change instead.
 */

/** The fix for the failure ssh's stderr describes, or undefined when ssh's own words are all there is. */
export function sshFailureFix(stderr: string, login: string): string | undefined {
  for (const {pattern, fix} of FAILURES) {
    const found = pattern.exec(stderr);
    if (found !== null) return fix(found, stderr, login);
  }
  return undefined;
}

interface Failure {
  readonly pattern: RegExp;
  /** `login`: the ssh command line that reaches the node as netctl does, for the operator to type. */
  readonly fix: (found: RegExpExecArray, stderr: string, login: string) => string;
}

const FAILURES: readonly Failure[] = [
  {
    pattern: /REMOTE HOST IDENTIFICATION HAS CHANGED|Host key for \S+ has changed/,
    fix: (_found, stderr) => {
      const offending = /Offending \S+ key in (\S+):(\d+)/.exec(stderr);
      const remove = /ssh-keygen -f "[^"\n]*" -R "[^"\n]*"/.exec(stderr);
      const where = offending === null ? '' : ` (${offending[1]}:${offending[2]})`;
      return `the node's SSH host key is not the one recorded for it${where}; if the node was reinstalled, remove the old key${remove === null ? '' : ` (${remove[0]})`} and connect once with ssh to check and record the new one; if not, someone may be in between`;
    },
  },
  {
    pattern: /host key is known for \S+ and you have requested strict checking/,
    fix: () => 'this machine does not know the node\'s SSH host key, and strict host key checking is on: add the node\'s key to the known-hosts file once you have checked it (ssh-keyscan prints it), or set ssh.strictHostKeyChecking: accept-new in the spec',
  },
  {
    pattern: /Host key verification failed/,
    fix: (_found, _stderr, login) => `this machine does not know the node's SSH host key, and netctl never asks: connect once with \`${login}\` to check and record it, or set ssh.strictHostKeyChecking: accept-new in the spec`,
  },
  {
    pattern: /no such identity: (\S+?):/,
    fix: (found) => `the key file ${found[1]} does not exist on this machine: check ssh.identityFile (or IdentityFile in your SSH configuration)`,
  },
  {
    pattern: /Permission denied \(([^)]*)\)/,
    fix: (found) => found[1]!.split(',').includes('publickey')
      ? 'the node accepted none of the keys this machine offered: authorize one for that user on the node (ssh-copy-id), or name the right one with ssh.identityFile'
      : `the node takes only ${found[1]} logins, and netctl logs in with keys only (it never types a password): allow public keys in the node's sshd`,
  },
  {
    pattern: /Connection refused/,
    fix: () => 'nothing takes SSH connections on that port: start sshd on the node, or set ssh.port to the port it listens on',
  },
  {
    pattern: /Connection timed out|No route to host|Network is unreachable/,
    fix: () => 'no answer from that address: check the node\'s address (or ssh.host), that the node is up, and that no firewall between drops SSH',
  },
  {
    pattern: /Could not resolve hostname/,
    fix: () => 'this machine cannot resolve that name: check ssh.host (or HostName in your SSH configuration)',
  },
];
