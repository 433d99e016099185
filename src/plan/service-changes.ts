/**
 * Service rules read as services: the rules that come and go in netctl's chains are gathered per
 * service port into one change that names the service, the port and the endpoints that come or go,
 * from the comments netctl writes on every service rule (`netctl: web/http -> 10.244.1.5:8080`).
 */
import {HASHED_CHAIN} from '../desired/services.js';
import {rulesMissingIn} from '../resources/iptables.js';
import type {IptablesChain} from '../resources/model.js';
import type {Action, Change} from './diff.js';

export interface ServiceChange {
  /** `web/http` */
  readonly service: string;
  readonly action: Action;
  readonly description: string;
  readonly reason: string;
  readonly endpointsAdded: readonly string[];
  readonly endpointsRemoved: readonly string[];
  /** Keys of the chain changes this takes part in. */
  readonly keys: readonly string[];
}

const LABEL = /^netctl: (\S+\/\S+)(?: -> (\S+)| (cluster IP|external IP|node port|has no endpoints|has no local endpoints|prefer same node))$/;

interface Label {
  readonly service: string;
  readonly endpoint?: string;
  readonly role?: string;
}

/** A rule that comes or goes in one of netctl's chains. */
interface RuleDelta {
  readonly chain: string;
  readonly rule: readonly string[];
  readonly label: Label | undefined;
}

function labelOf(rule: readonly string[]): Label | undefined {
  const at = rule.indexOf('--comment');
  const match = at < 0 ? null : LABEL.exec(rule[at + 1] ?? '');
  if (match === null) return undefined;
  return {service: match[1]!, ...(match[2] === undefined ? {} : {endpoint: match[2]}), ...(match[3] === undefined ? {} : {role: match[3]})};
}

function word(rule: readonly string[], flag: string): string | undefined {
  const at = rule.indexOf(flag);
  return at < 0 ? undefined : rule[at + 1];
}

/** Rules of `from` that `to` does not hold, as deltas. */
function missingIn(from: IptablesChain | undefined, to: IptablesChain | undefined): RuleDelta[] {
  if (from === undefined) return [];
  return rulesMissingIn(from, to).map((rule) => ({chain: from.chain, rule, label: labelOf(rule)}));
}

interface ServiceDeltas {
  readonly keys: Set<string>;
  readonly added: RuleDelta[];
  readonly removed: RuleDelta[];
}

/**
 * Service changes, and the changes they do not explain. A chain change is explained when every rule
 * that comes or goes in it belongs to a service; the chains of the service ports and endpoints
 * (NETCTL-SVC-*, NETCTL-SEP-*, NETCTL-SVL-*, NETCTL-EXT-*) are explained even when they are created or deleted.
 */
export function groupServiceChanges(changes: Iterable<Change>, whyGone: ReadonlyMap<string, string> = new Map()): {services: ServiceChange[]; others: Change[]} {
  const byService = new Map<string, ServiceDeltas>();
  const others: Change[] = [];
  const groupOf = (service: string): ServiceDeltas => {
    let group = byService.get(service);
    if (group === undefined) {
      group = {keys: new Set(), added: [], removed: []};
      byService.set(service, group);
    }
    return group;
  };

  for (const change of changes) {
    const r = (change.after ?? change.before)!;
    if (r.kind !== 'iptables-chain') {
      others.push(change);
      continue;
    }
    const before = change.before?.kind === 'iptables-chain' ? change.before : undefined;
    const after = change.after?.kind === 'iptables-chain' ? change.after : undefined;
    const added = missingIn(after, before);
    const removed = missingIn(before, after);
    const labelled = (d: RuleDelta) => d.label !== undefined;
    for (const d of added.filter(labelled)) groupOf(d.label!.service).added.push(d);
    for (const d of removed.filter(labelled)) groupOf(d.label!.service).removed.push(d);
    for (const d of [...added, ...removed].filter(labelled)) groupOf(d.label!.service).keys.add(change.key);
    const deltas = added.length + removed.length;
    const explained = deltas > 0 && added.every(labelled) && removed.every(labelled) && (change.action === 'update' || HASHED_CHAIN.test(r.chain));
    if (!explained) others.push(change);
  }

  const services = [...byService].map(([service, group]) => summarize(service, group, whyGone));
  // By code units: a process's first localeCompare sets up ICU's collator (about 10 ms), here between
  // the reads and the changes.
  return {services: services.sort((a, b) => (a.service < b.service ? -1 : a.service > b.service ? 1 : 0)), others};
}

/** `whyGone`: why an endpoint's pod IP is out, for people (`web-1 not ready: tcp 8080: connection refused`). */
function summarize(service: string, group: ServiceDeltas, whyGone: ReadonlyMap<string, string>): ServiceChange {
  const endpoints = (deltas: readonly RuleDelta[]) => [...new Set(deltas.filter((d) => d.rule.includes('DNAT')).map((d) => d.label?.endpoint ?? '?'))].sort();
  const isFront = (d: RuleDelta) => (d.label?.role === 'cluster IP' || d.label?.role === 'has no endpoints') && !HASHED_CHAIN.test(d.chain);
  const added = endpoints(group.added);
  const removed = endpoints(group.removed);
  const frontAdded = group.added.some(isFront);
  const frontRemoved = group.removed.some(isFront);
  // A front rule that comes back alone (its chain was flushed on the node) repairs a service, not makes one.
  const made = frontAdded && (added.length > 0 || group.added.some((d) => d.label?.role === 'has no endpoints'));
  const action: Action = made && !frontRemoved && removed.length === 0 ? 'create'
    : frontRemoved && !frontAdded && added.length === 0 ? 'delete'
      : 'update';
  const shown = action === 'delete' ? group.removed : group.added;
  const front = shown.find(isFront);
  const nodePort = shown.find((d) => d.label?.role === 'node port' || (d.label?.role === 'has no endpoints' && d.rule.includes('addrtype')));
  const details: string[] = [];
  if (front !== undefined) details.push(`${(word(front.rule, '-p') ?? '').toUpperCase()} ${(word(front.rule, '-d') ?? '').replace(/\/32$/, '')}:${word(front.rule, '--dport') ?? '?'}`);
  if (nodePort !== undefined) details.push(`node port ${word(nodePort.rule, '--dport') ?? '?'}`);
  const externalIPs = new Set(shown.filter((d) => d.label?.role === 'external IP').map((d) => (word(d.rule, '-d') ?? '?').replace(/\/32$/, '')));
  if (externalIPs.size > 0) details.push(`external IP ${[...externalIPs].join(', ')}`);
  for (const drop of shown.filter((d) => d.label?.role === 'has no local endpoints')) {
    details.push(`${drop.rule.includes('addrtype') ? 'externalTrafficPolicy' : 'internalTrafficPolicy'} Local`);
  }
  if (shown.some((d) => d.label?.role === 'prefer same node')) details.push('trafficDistribution PreferSameNode');
  if (front?.label?.role === 'has no endpoints') details.push('no endpoints: connections are refused');
  else if (action === 'create') details.push(`endpoints ${endpoints(shown).join(', ')}`);
  const why = (endpoint: string) => {
    const text = whyGone.get(endpoint.slice(0, endpoint.indexOf(':')));
    return text === undefined ? '' : ` (${text})`;
  };
  const endpointReasons = [...added.map((e) => `+ endpoint ${e}`), ...removed.map((e) => `- endpoint ${e}${why(e)}`)];
  const reasons = endpointReasons.length > 0 ? endpointReasons : [...ruleReasons(group.added, '+'), ...ruleReasons(group.removed, '-')];
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
    keys: [...group.keys],
  };
}

const RULE_WORDS: Record<string, string> = {
  'cluster IP': 'cluster IP rule',
  'external IP': 'external IP rule',
  'node port': 'node port rule',
  'has no endpoints': 'reject rule (no endpoints)',
  'has no local endpoints': 'drop rule (no local endpoints)',
};

/** The service's own rules that come or go, by what they do (`+ node port rule`). */
function ruleReasons(deltas: readonly RuleDelta[], sign: '+' | '-'): string[] {
  return [...new Set(deltas.flatMap((d) => (d.label?.role === undefined ? [] : [`${sign} ${RULE_WORDS[d.label.role] ?? d.label.role}`])))];
}
