/**
 * Service rules read as services: the iptables changes of one service port are gathered into one
 * change that names the service, the port and the endpoints that come or go, from the comments netctl
 * writes on every service rule (`netctl: web/http -> 10.244.1.5:8080`).
 */
import {HASHED_CHAIN} from '../desired/services.js';
import type {IptablesRule, Resource} from '../resources/model.js';
import type {Action, Change} from './diff.js';

export interface ServiceChange {
  /** `web/http` */
  readonly service: string;
  readonly action: Action;
  readonly description: string;
  readonly reason: string;
  readonly endpointsAdded: readonly string[];
  readonly endpointsRemoved: readonly string[];
  /** Keys of the iptables changes this gathers. */
  readonly keys: readonly string[];
}

const LABEL = /^netctl: (\S+\/\S+)(?: -> (\S+)| (cluster IP|node port|has no endpoints))$/;

function labelOf(rule: IptablesRule): {service: string; endpoint?: string; role?: string} | undefined {
  const at = rule.rule.indexOf('--comment');
  const match = at < 0 ? null : LABEL.exec(rule.rule[at + 1] ?? '');
  if (match === null) return undefined;
  return {service: match[1]!, ...(match[2] === undefined ? {} : {endpoint: match[2]}), ...(match[3] === undefined ? {} : {role: match[3]})};
}

function word(rule: IptablesRule, flag: string): string | undefined {
  const at = rule.rule.indexOf(flag);
  return at < 0 ? undefined : rule.rule[at + 1];
}

export function groupServiceChanges(changes: readonly Change[]): {services: ServiceChange[]; others: Change[]} {
  const byService = new Map<string, Change[]>();
  const chainService = new Map<string, string>();
  const others: Change[] = [];
  const resourceOf = (c: Change): Resource => (c.after ?? c.before)!;

  for (const change of changes) {
    const r = resourceOf(change);
    if (r.kind !== 'iptables-rule') continue;
    const label = labelOf(r);
    if (label === undefined) continue;
    if (HASHED_CHAIN.test(r.chain)) chainService.set(r.chain, label.service);
    byService.set(label.service, [...(byService.get(label.service) ?? []), change]);
  }
  for (const change of changes) {
    const r = resourceOf(change);
    if (r.kind === 'iptables-rule' && labelOf(r) !== undefined) continue;
    const service = r.kind === 'iptables-chain' ? chainService.get(r.chain) : undefined;
    if (service === undefined) others.push(change);
    else byService.set(service, [...(byService.get(service) ?? []), change]);
  }

  const services = [...byService].map(([service, group]) => summarize(service, group));
  return {services: services.sort((a, b) => a.service.localeCompare(b.service)), others};
}

function summarize(service: string, group: readonly Change[]): ServiceChange {
  const rules = group.filter((c) => (c.after ?? c.before)!.kind === 'iptables-rule');
  const endpoints = (action: Action) => rules
    .filter((c) => c.action === action && (c.after ?? c.before)!.kind === 'iptables-rule')
    .map((c) => (c.after ?? c.before) as IptablesRule)
    .filter((r) => r.rule.includes('DNAT'))
    .map((r) => labelOf(r)?.endpoint ?? '?')
    .sort();
  const added = endpoints('create');
  const removed = endpoints('delete');
  const front = (action: Action) => rules.some((c) => {
    const r = (c.after ?? c.before) as IptablesRule;
    const role = labelOf(r)?.role;
    return c.action === action && (role === 'cluster IP' || role === 'has no endpoints') && !HASHED_CHAIN.test(r.chain);
  });
  const action: Action = front('create') && !front('delete') && removed.length === 0 ? 'create'
    : front('delete') && !front('create') && added.length === 0 ? 'delete'
      : 'update';
  const after = rules.map((c) => c.after).filter((r): r is IptablesRule => r?.kind === 'iptables-rule');
  const before = rules.map((c) => c.before).filter((r): r is IptablesRule => r?.kind === 'iptables-rule');
  const shown = action === 'delete' ? before : after;
  const front0 = shown.find((r) => ['cluster IP', 'has no endpoints'].includes(labelOf(r)?.role ?? '') && !HASHED_CHAIN.test(r.chain));
  const nodePort = shown.find((r) => labelOf(r)?.role === 'node port' || (labelOf(r)?.role === 'has no endpoints' && r.rule.includes('addrtype')));
  const details: string[] = [];
  if (front0 !== undefined) details.push(`${(word(front0, '-p') ?? '').toUpperCase()} ${(word(front0, '-d') ?? '').replace(/\/32$/, '')}:${word(front0, '--dport') ?? '?'}`);
  if (nodePort !== undefined) details.push(`node port ${word(nodePort, '--dport') ?? '?'}`);
  const allEndpoints = [...new Set(shown.filter((r) => r.rule.includes('DNAT')).map((r) => labelOf(r)?.endpoint ?? '?'))].sort();
  if (front0 !== undefined && labelOf(front0)?.role === 'has no endpoints') details.push('no endpoints: connections are refused');
  else if (action === 'create') details.push(`endpoints ${allEndpoints.join(', ')}`);
  const reasons = [...added.map((e) => `+ endpoint ${e}`), ...removed.map((e) => `- endpoint ${e}`)];
  const reason = action === 'update'
    ? (reasons.length > 0 ? reasons.join(', ') : 'its rules change')
    : action === 'create' ? 'missing on the node' : 'not in the spec';
  return {
    service,
    action,
    description: `service ${service}${details.length > 0 && action !== 'update' ? ` (${details.join(', ')})` : ''}`,
    reason,
    endpointsAdded: added,
    endpointsRemoved: removed,
    keys: group.map((c) => c.key),
  };
}
