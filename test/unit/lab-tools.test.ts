import {describe, expect, it} from '@jest/globals';
import {LAB_TOOLS, labPath, missingTools, toolsVerdict} from '../../src/cli/lab-tools.js';
import {installCommand, packagesFor} from '../../src/host/packages.js';

describe('the lab\'s host tools', () => {
  const machine = (files: string[]) => (file: string) => files.includes(file);

  it('are looked up in every PATH directory', () => {
    const has = machine(['/usr/bin/ip', '/usr/sbin/sshd', '/usr/bin/socat']);
    expect(missingTools(['ip', 'sshd', 'socat', 'ping'], '/usr/bin:/usr/sbin', has)).toEqual(['ping']);
    expect(missingTools(['sshd'], '/usr/bin', has)).toEqual(['sshd']);
  });

  it('include the administrator directories a root shell may lack', () => {
    expect(labPath('/usr/bin:/bin')).toBe('/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin');
    expect(labPath('/usr/sbin:/usr/bin')).toBe('/usr/sbin:/usr/bin:/usr/local/sbin:/sbin');
  });

  it('cover what the demo and verify run on lab nodes', () => {
    expect(LAB_TOOLS).toEqual(expect.arrayContaining(['sshd', 'ip', 'bridge', 'iptables', 'ping', 'socat', 'conntrack', 'dnsmasq', 'dig']));
    expect(packagesFor(LAB_TOOLS)).toEqual(['bash', 'bind9-dnsutils', 'conntrack', 'coreutils', 'dnsmasq-base', 'iproute2', 'iptables', 'iputils-ping', 'openssh-client', 'openssh-server', 'socat', 'util-linux']);
  });

  it('are installed as root with apt-get, saying which packages', () => {
    expect(toolsVerdict(['socat', 'ping'], {root: true, aptGet: true, allowed: true})).toEqual({
      action: 'install',
      packages: ['iputils-ping', 'socat'],
      message: 'netctl lab needs socat, ping on this machine: installing iputils-ping socat with apt-get',
    });
  });

  it('otherwise stop the lab with the exact install command', () => {
    expect(toolsVerdict(['socat'], {root: false, aptGet: true, allowed: true})).toEqual({
      action: 'stop', message: 'netctl lab needs socat on this machine (not root, so not installed for you); install with: apt-get install -y socat',
    });
    expect(toolsVerdict(['ss', 'ip'], {root: true, aptGet: false, allowed: true}).action).toBe('stop');
    expect(toolsVerdict(['socat'], {root: true, aptGet: true, allowed: false})).toEqual({
      action: 'stop', message: 'netctl lab needs socat on this machine; install with: apt-get install -y socat',
    });
    expect(installCommand(['ss', 'ip', 'bridge'])).toBe('apt-get install -y iproute2');
  });

  it('need nothing when all are present', () => {
    expect(toolsVerdict([], {root: false, aptGet: false, allowed: true})).toEqual({action: 'none'});
  });
});
