/**
 * DNS changes in DNS words: the records a change of the node's DNS objects adds and removes
 * (`+ dns record web.shop.svc.cluster.local A 10.96.0.12`), rather than file contents.
 */
import {hostsRecords, srvRecord, type DnsHosts, type DnsServer} from '../resources/dns.js';
import type {Change} from './diff.js';

export interface RecordChange {
  readonly action: 'create' | 'delete';
  readonly record: string;
}

function difference(before: readonly string[], after: readonly string[]): RecordChange[] {
  const was = new Set(before);
  const is = new Set(after);
  return [
    ...before.filter((r) => !is.has(r)).map((record) => ({action: 'delete' as const, record})),
    ...after.filter((r) => !was.has(r)).map((record) => ({action: 'create' as const, record})),
  ];
}

const recordsOf = (r: DnsHosts | DnsServer | undefined): string[] => {
  if (r === undefined) return [];
  return r.kind === 'dns-hosts' ? hostsRecords(r.lines) : r.srv.map(srvRecord);
};

/** The records a change adds and removes; empty for changes of other kinds. */
export function recordChanges(change: Change): RecordChange[] {
  const kind = change.kind;
  if (kind !== 'dns-hosts' && kind !== 'dns-server') return [];
  return difference(recordsOf(change.before as DnsHosts | DnsServer | undefined), recordsOf(change.after as DnsHosts | DnsServer | undefined));
}
