import {describe, expect, it} from '@jest/globals';
import {sshFailureFix} from '../../src/transport/ssh-failure.js';

// What OpenSSH 9.2's client printed on this machine for each failure (BatchMode=yes).
const CHANGED_KEY = `@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@
@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @
@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@
IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!
Someone could be eavesdropping on you right now (man-in-the-middle attack)!
It is also possible that a host key has just been changed.
The fingerprint for the ED25519 key sent by the remote host is
SHA256:K5970Ffee1I06kX14dideC0gEAATlDwYlaaXI2F9gA0.
Please contact your system administrator.
Add correct host key in /tmp/nu/kh2 to get rid of this message.
Offending ED25519 key in /tmp/nu/kh2:1
  remove with:
  ssh-keygen -f "/tmp/nu/kh2" -R "203.0.113.1"
Host key for 203.0.113.1 has changed and you have requested strict checking.
Host key verification failed.
`;

describe('sshFailureFix', () => {
  it.each([
    ['an unknown host key (StrictHostKeyChecking ask)', 'Host key verification failed.\n',
      'this machine does not know the node\'s SSH host key, and netctl never asks: connect once with `ssh -F /tmp/lab/ssh_config 203.0.113.1` to check and record it, or set ssh.strictHostKeyChecking: accept-new in the spec'],
    ['an unknown host key (StrictHostKeyChecking yes)', 'No ED25519 host key is known for 203.0.113.1 and you have requested strict checking.\nHost key verification failed.\n',
      'this machine does not know the node\'s SSH host key, and strict host key checking is on: add the node\'s key to the known-hosts file once you have checked it (ssh-keyscan prints it), or set ssh.strictHostKeyChecking: accept-new in the spec'],
    ['a changed host key', CHANGED_KEY,
      'the node\'s SSH host key is not the one recorded for it (/tmp/nu/kh2:1); if the node was reinstalled, remove the old key (ssh-keygen -f "/tmp/nu/kh2" -R "203.0.113.1") and connect once with ssh to check and record the new one; if not, someone may be in between'],
    ['a key not authorized', 'root@203.0.113.1: Permission denied (publickey).\r\n',
      'the node accepted none of the keys this machine offered: authorize one for that user on the node (ssh-copy-id), or name the right one with ssh.identityFile'],
    ['a password-only server', 'root@203.0.113.1: Permission denied (password,keyboard-interactive).\r\n',
      'the node takes only password,keyboard-interactive logins, and netctl logs in with keys only (it never types a password): allow public keys in the node\'s sshd'],
    ['a missing key file', 'no such identity: /tmp/nu/nokey: No such file or directory\nroot@203.0.113.1: Permission denied (publickey).\r\n',
      'the key file /tmp/nu/nokey does not exist on this machine: check ssh.identityFile (or IdentityFile in your SSH configuration)'],
    ['no sshd on the port', 'ssh: connect to host 203.0.113.1 port 2222: Connection refused\r\n',
      'nothing takes SSH connections on that port: start sshd on the node, or set ssh.port to the port it listens on'],
    ['no answer', 'ssh: connect to host 203.0.113.77 port 22: Connection timed out\r\n',
      'no answer from that address: check the node\'s address (or ssh.host), that the node is up, and that no firewall between drops SSH'],
    ['no route', 'ssh: connect to host 203.0.113.9 port 22: No route to host\r\n',
      'no answer from that address: check the node\'s address (or ssh.host), that the node is up, and that no firewall between drops SSH'],
    ['a name that does not resolve', 'ssh: Could not resolve hostname nosuchhost.invalid: Name or service not known\r\n',
      'this machine cannot resolve that name: check ssh.host (or HostName in your SSH configuration)'],
  ])('%s', (_case, stderr, fix) => {
    expect(sshFailureFix(stderr, 'ssh -F /tmp/lab/ssh_config 203.0.113.1')).toBe(fix);
  });

  it('has nothing to add to what it does not recognise', () => {
    expect(sshFailureFix('kex_exchange_identification: read: Connection reset by peer\r\n', '203.0.113.1')).toBeUndefined();
  });
});
