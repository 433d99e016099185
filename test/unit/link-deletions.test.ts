import {describe, expect, it} from '@jest/globals';
import {DELETION_GROUP, ipBatches} from '../../src/apply/link-deletions.js';

describe('link deletions', () => {
  it('leaves a batch without two link deletions in a row as it is', () => {
    expect(ipBatches('ip', ['link del dev a', 'addr del 10.0.0.1/24 dev b', 'link del dev c'])).toEqual([
      "ip -batch - <<'NETCTL_EOF'\nlink del dev a\naddr del 10.0.0.1/24 dev b\nlink del dev c\nNETCTL_EOF",
    ]);
  });

  it('deletes a run of links as one group, guarded, between the lines around it, in order', () => {
    const batches = ipBatches('ip -n pod-1', ['addr del 10.0.0.1/24 dev x', 'link del dev a', 'link del dev b', 'route del 10.1.0.0/24 dev y proto 147']);
    expect(batches).toEqual([
      "ip -n pod-1 -batch - <<'NETCTL_EOF'\naddr del 10.0.0.1/24 dev x\nNETCTL_EOF",
      [
        `if [ -z "$(ip -n pod-1 -o link show group ${DELETION_GROUP})" ]; then ip -n pod-1 -batch - <<'NETCTL_EOF'`,
        `link set dev a group ${DELETION_GROUP}`,
        `link set dev b group ${DELETION_GROUP}`,
        `link del group ${DELETION_GROUP}`,
        'NETCTL_EOF',
        "else ip -n pod-1 -batch - <<'NETCTL_EOF'",
        'link del dev a',
        'link del dev b',
        'NETCTL_EOF',
        'fi',
      ].join('\n'),
      "ip -n pod-1 -batch - <<'NETCTL_EOF'\nroute del 10.1.0.0/24 dev y proto 147\nNETCTL_EOF",
    ]);
  });
});
