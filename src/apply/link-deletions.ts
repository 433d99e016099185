/**
 * Links deleted together. The kernel makes each `ip link del` wait for its own RCU grace periods
 * while it holds the rtnl lock (15-40 ms a link on the lab's kernel); links put in one group and
 * deleted with `ip link del group G` are unregistered as one batch, with one wait (four links: 120 ms
 * one by one, 50-70 ms as a group; docs/performance.md).
 *
 * The group deletes every link in it, so it is used only when no link of the namespace is in the
 * group already (checked on the node right before); otherwise the links go one by one as before.
 */
import {heredoc} from '../shell/quote.js';

/** The link group netctl puts its links in on their way out, and nothing else (ASCII "nc"). */
export const DELETION_GROUP = 28259;

const DELETE_LINK = /^link del dev (\S+)$/;

/**
 * `ip -batch` payloads for `ipCommand` (`ip`, `ip -n POD`) running `lines` in order: each run of two
 * or more link deletions becomes a group deletion of its own, guarded as above.
 */
export function ipBatches(ipCommand: string, lines: readonly string[]): string[] {
  const out: string[] = [];
  let pending: string[] = [];
  const flush = () => {
    if (pending.length > 0) out.push(heredoc(`${ipCommand} -batch -`, pending.join('\n')));
    pending = [];
  };
  let i = 0;
  while (i < lines.length) {
    let end = i;
    while (end < lines.length && DELETE_LINK.test(lines[end]!)) end++;
    if (end - i >= 2) {
      flush();
      out.push(groupDeletion(ipCommand, lines.slice(i, end)));
      i = end;
    } else {
      pending.push(lines[i]!);
      i++;
    }
  }
  flush();
  return out;
}

function groupDeletion(ipCommand: string, deletions: readonly string[]): string {
  const names = deletions.map((line) => DELETE_LINK.exec(line)![1]!);
  const grouped = [...names.map((name) => `link set dev ${name} group ${DELETION_GROUP}`), `link del group ${DELETION_GROUP}`];
  return [
    `if [ -z "$(${ipCommand} -o link show group ${DELETION_GROUP})" ]; then ${heredoc(`${ipCommand} -batch -`, grouped.join('\n'))}`,
    `else ${heredoc(`${ipCommand} -batch -`, deletions.join('\n'))}`,
    'fi',
  ].join('\n');
}
