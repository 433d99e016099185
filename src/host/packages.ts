/**
 * The host tools netctl, its verify checks and its lab use, and the Debian/Ubuntu package that
 * provides each: what an error names when a tool is missing, so that the fix is one command away.
 */
export const DEBIAN_PACKAGES = {
  'bash': 'bash',
  'bridge': 'iproute2',
  'conntrack': 'conntrack',
  'dig': 'bind9-dnsutils',
  'dnsmasq': 'dnsmasq-base',
  'flock': 'util-linux',
  'getent': 'libc-bin',
  'head': 'coreutils',
  'ip': 'iproute2',
  'iptables': 'iptables',
  'iptables-restore': 'iptables',
  'iptables-save': 'iptables',
  'nsenter': 'util-linux',
  'ping': 'iputils-ping',
  'setsid': 'util-linux',
  'socat': 'socat',
  'ss': 'iproute2',
  'ssh': 'openssh-client',
  'ssh-keygen': 'openssh-client',
  'sshd': 'openssh-server',
  'timeout': 'coreutils',
  'unshare': 'util-linux',
} as const;

export type HostTool = keyof typeof DEBIAN_PACKAGES;

/** The packages that provide these tools, each once, sorted. */
export function packagesFor(tools: readonly HostTool[]): string[] {
  return [...new Set(tools.map((tool) => DEBIAN_PACKAGES[tool]))].sort();
}

/** `apt-get install -y socat iputils-ping`: the command that provides these tools. */
export function installCommand(tools: readonly HostTool[]): string {
  return `apt-get install -y ${packagesFor(tools).join(' ')}`;
}
