/** An ssh client's TCP peer, from /proc/net/tcp and tcp6 as Linux prints them (captured on x86-64). */
import {describe, expect, it} from '@jest/globals';
import {peerOf} from '../../src/transport/socket-peer.js';

const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1527 1 0000000096b0de06 100 0 0 10 0
   1: FE7100CB:841A 017100CB:0016 06 00000000:00000000 03:00000AEF 00000000     0        0 0 3 00000000dfdad06c
   2: FE7100CB:9C4E 027100CB:0016 01 00000000:00000000 02:000007D5 00000000     0        0 48213 2 00000000c1b1a2f3 20 4 30 10 -1
`;

const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:DCFB 00000000000000000000000000000000:0000 0A 00000000:00000002 00:00000000 00000000     0        0 282682 3 00000000f933027d 100 0 0 10 0
   2: 00000000000000000000000001000000:99B2 00000000000000000000000001000000:DCFB 01 00000000:00000000 00:00000000 00000000     0        0 282683 2 000000003fa33ab3 20 0 0 10 -1
   4: 0000000000000000FFFF00000100007F:E2C6 0000000000000000FFFF00000100007F:DCFB 01 00000000:00000000 00:00000000 00000000     0        0 282684 2 0000000097cb5e6b 20 0 0 10 -1
`;

describe('the TCP peer of a socket, from /proc/net/tcp', () => {
  it('reads an IPv4 peer and its port', () => {
    expect(peerOf(TCP, new Set(['48213']))).toEqual({host: '203.0.113.2', port: 22});
  });

  it('reads an IPv6 peer, and an IPv4-mapped one as IPv4', () => {
    expect(peerOf(TCP6, new Set(['282683']))).toEqual({host: '::1', port: 56571});
    expect(peerOf(TCP6, new Set(['282684']))).toEqual({host: '127.0.0.1', port: 56571});
  });

  it('takes only established connections of the given sockets', () => {
    // 1527 listens; the connection of line 1 is closing (TIME_WAIT) and belongs to no socket.
    expect(peerOf(TCP, new Set(['1527', '0']))).toBeUndefined();
    expect(peerOf(TCP, new Set())).toBeUndefined();
  });

  it('reads the words in the byte order of the machine that printed them', () => {
    const bigEndian = TCP.replace('027100CB:0016', 'CB007102:0016');
    expect(peerOf(bigEndian, new Set(['48213']), false)).toEqual({host: '203.0.113.2', port: 22});
  });
});
