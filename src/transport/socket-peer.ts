/**
 * Where a running ssh client is connected to, from Linux's /proc: the TCP peer of one of its sockets.
 * That is the address and port its configuration led it to (HostName, Port, a name resolved), read
 * without starting `ssh -G` (a process per node, about 35 ms of CPU each on a small machine). A client
 * that holds no TCP socket reaches its node through a ProxyCommand or ProxyJump.
 */
import {Address4, Address6} from 'ip-address';
import {readFile, readdir, readlink} from 'node:fs/promises';
import {endianness} from 'node:os';

export interface SocketPeer {
  readonly host: string;
  readonly port: number;
}

/** `st` of an established connection in /proc/net/tcp. */
const ESTABLISHED = '01';

/**
 * The peer of the first established connection among the socket inodes, in the text of
 * /proc/net/tcp or /proc/net/tcp6; undefined if none of them is there.
 */
export function peerOf(procNetTcp: string, inodes: ReadonlySet<string>, littleEndian = endianness() === 'LE'): SocketPeer | undefined {
  for (const line of procNetTcp.split('\n').slice(1)) {
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10 || fields[3] !== ESTABLISHED || !inodes.has(fields[9]!)) continue;
    const [address = '', port = ''] = fields[2]!.split(':');
    return {host: addressText(address, littleEndian), port: Number.parseInt(port, 16)};
  }
  return undefined;
}

/**
 * The kernel prints an address as 32-bit words in the machine's byte order (one for IPv4, four for
 * IPv6); an IPv4-mapped IPv6 address is given as the IPv4 address.
 */
function addressText(hex: string, littleEndian: boolean): string {
  const bytes = (hex.match(/.{8}/g) ?? []).flatMap((word) => {
    const wordBytes = (word.match(/../g) ?? []).map((b) => Number.parseInt(b, 16));
    return littleEndian ? wordBytes.reverse() : wordBytes;
  });
  const hexOf = (from: number) => bytes.slice(from).map((b) => b.toString(16).padStart(2, '0')).join('');
  if (bytes.length === 4) return Address4.fromHex(hexOf(0)).correctForm();
  const mapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  return mapped ? Address4.fromHex(hexOf(12)).correctForm() : Address6.fromUnsignedByteArray(bytes).correctForm();
}

/**
 * The TCP peer of process `pid` (one of its established connections): undefined if it holds none,
 * and 'unknown' where /proc cannot tell (not Linux, or the process is gone).
 */
export async function tcpPeerOfProcess(pid: number): Promise<SocketPeer | undefined | 'unknown'> {
  try {
    const fds = await readdir(`/proc/${pid}/fd`);
    const links = await Promise.all(fds.map((fd) => readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')));
    const inodes = new Set(links.flatMap((link) => /^socket:\[(\d+)\]$/.exec(link)?.slice(1) ?? []));
    if (inodes.size === 0) return undefined;
    for (const table of ['tcp', 'tcp6']) {
      const text = await readFile(`/proc/${pid}/net/${table}`, 'utf8').catch(() => '');
      const peer = peerOf(text, inodes);
      if (peer !== undefined) return peer;
    }
    return undefined;
  } catch {
    return 'unknown';
  }
}
