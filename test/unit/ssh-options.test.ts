/** The OpenSSH options a spec's ssh settings become: only what the spec sets, plus netctl's own. */
import {describe, expect, it} from '@jest/globals';
import {homedir} from 'node:os';
import {loginCommand, sshOptions} from '../../src/transport/ssh.js';

describe('sshOptions', () => {
  it('passes only BatchMode and Compression when the spec sets nothing', () => {
    expect(sshOptions({})).toEqual(['-o', 'BatchMode=yes', '-o', 'Compression=yes']);
  });

  it('turns compression off only when the spec says false', () => {
    expect(sshOptions({compression: false})).toEqual(['-o', 'BatchMode=yes', '-o', 'Compression=no']);
    expect(sshOptions({compression: true})).toContain('Compression=yes');
  });

  it('puts the configuration file first and every set field in a fixed order', () => {
    expect(sshOptions({configFile: '/etc/lab/ssh_config', user: 'ops', port: 2222, proxyJump: 'bastion', connectTimeout: 7})).toEqual([
      '-F', '/etc/lab/ssh_config',
      '-o', 'BatchMode=yes', '-o', 'User=ops', '-o', 'Port=2222', '-o', 'ProxyJump=bastion', '-o', 'ConnectTimeout=7', '-o', 'Compression=yes',
    ]);
  });
});

describe('loginCommand', () => {
  it('reaches the node as netctl does, but may ask (no BatchMode) and keeps none of netctl\'s bounds', () => {
    expect(loginCommand({configFile: '~/lab/ssh_config', user: 'admin', port: 2222, identityFile: '~/.ssh/netctl', knownHostsFile: '/etc/netctl/known_hosts', proxyJump: 'bastion', connectTimeout: 5, compression: false, strictHostKeyChecking: 'yes'}, '198.51.100.1'))
      .toBe(`ssh -F ${homedir()}/lab/ssh_config -o User=admin -o Port=2222 -o 'IdentityFile=~/.ssh/netctl' -o StrictHostKeyChecking=yes -o UserKnownHostsFile=/etc/netctl/known_hosts -o ProxyJump=bastion 198.51.100.1`);
    expect(loginCommand({}, 'node1.example.org')).toBe('ssh node1.example.org');
  });
});
