/**
 * A plan for people (terraform-style) and for programs (a versioned JSON document, docs/plan-json.md).
 * The text view renders from the same document the JSON view prints.
 */
import type {ClusterPlan} from '../engine/engine.js';
import {describe} from '../plan/describe.js';
import {MISSING} from '../plan/diff.js';
import {formatAddress} from '../net/ipv4.js';
import {recordChanges, type RecordChange} from '../plan/dns-changes.js';
import {notReadyText} from '../plan/readiness.js';
import {groupServiceChanges, type ServiceChange} from '../plan/service-changes.js';
import type {Action} from '../plan/diff.js';
import type {Resource} from '../resources/model.js';
import {noColors, type Colors} from './colors.js';

export interface PlanDocument {
  readonly formatVersion: '1';
  readonly intent: 'apply' | 'destroy';
  readonly nodes: readonly {
    readonly node: string;
    readonly status: 'ok' | 'error' | 'unreachable' | 'locked';
    readonly errors: readonly string[];
    /** What the operator can do about the errors, when netctl can tell (an unreachable node). */
    readonly fix?: string;
    readonly warnings: readonly string[];
    readonly changes: readonly {
      readonly action: Action;
      readonly kind: string;
      readonly key: string;
      readonly description: string;
      readonly reason: string;
      readonly before: Resource | null;
      readonly after: Resource | null;
      /** Service ports (`web/http`) whose rules this change adds or removes. */
      readonly services: readonly string[];
      /** The service changes say all this change does, so the text view shows them instead. */
      readonly explainedByServices: boolean;
      /** DNS records this change adds and removes (`web.shop.svc.cluster.local A 10.96.0.12`). */
      readonly records: readonly RecordChange[];
    }[];
    /** Service ports whose rules change, each as one change. */
    readonly services: readonly Omit<ServiceChange, 'keys'>[];
  }[];
  readonly summary: {readonly add: number; readonly change: number; readonly destroy: number; readonly errors: number};
}

export function planDocument(plan: ClusterPlan): PlanDocument {
  let add = 0;
  let change = 0;
  let destroy = 0;
  let errors = 0;
  const count = (action: Action) => {
    if (action === 'create') add++;
    else if (action === 'update') change++;
    else if (action === 'delete') destroy++;
    else {
      add++;
      destroy++;
    }
  };
  const whyGone = new Map((plan.notReady ?? []).map((n) => [formatAddress(n.pod.ip), notReadyText(n)]));
  const nodes = plan.nodes.map((outcome) => {
    errors += outcome.errors.length;
    const {services, others} = groupServiceChanges(outcome.changes, whyGone);
    const servicesOf = new Map<string, string[]>();
    for (const s of services) {
      for (const key of s.keys) {
        const list = servicesOf.get(key);
        if (list === undefined) servicesOf.set(key, [s.service]);
        else list.push(s.service);
      }
    }
    const shown = new Set(others);
    for (const c of others) count(c.action);
    for (const s of services) count(s.action);
    return {
      node: outcome.node,
      status: outcome.status === 'planned' ? (outcome.errors.length > 0 ? 'error' as const : 'ok' as const) : outcome.status,
      errors: outcome.errors,
      ...(outcome.status !== 'planned' && outcome.fix !== undefined ? {fix: outcome.fix} : {}),
      warnings: outcome.warnings,
      changes: outcome.changes.map((c) => ({
        action: c.action,
        kind: c.kind,
        key: c.key,
        description: describe((c.after ?? c.before)!),
        reason: c.reason,
        before: c.before ?? null,
        after: c.after ?? null,
        services: servicesOf.get(c.key) ?? [],
        explainedByServices: !shown.has(c),
        records: recordChanges(c),
      })),
      services: services.map((s) => ({service: s.service, action: s.action, description: s.description, reason: s.reason, endpointsAdded: s.endpointsAdded, endpointsRemoved: s.endpointsRemoved})),
    };
  });
  return {formatVersion: '1', intent: plan.intent, nodes, summary: {add, change, destroy, errors}};
}

export function hasChanges(doc: PlanDocument): boolean {
  return doc.nodes.some((n) => n.changes.length > 0);
}

const SYMBOLS: Record<Action, string> = {create: '+', update: '~', replace: '-/+', delete: '-'};

export function renderPlanText(doc: PlanDocument, colors: Colors = noColors): string {
  const paint: Record<Action, (t: string) => string> = {create: colors.green, update: colors.yellow, replace: colors.yellow, delete: colors.red};
  const out: string[] = [];
  for (const node of doc.nodes) {
    if (node.errors.length > 0) {
      const status = node.status === 'unreachable' || node.status === 'locked' ? node.status : 'cannot be planned';
      out.push(colors.bold(`${node.node}:`) + ` ${colors.red(status)}`);
      for (const error of node.errors) out.push(`  ${colors.red('error:')} ${error}`);
      if (node.fix !== undefined) out.push(`  ${colors.bold('fix:')} ${node.fix}`);
      if (node.changes.length === 0) continue;
    } else if (node.changes.length === 0) {
      out.push(`${colors.bold(`${node.node}:`)} no changes`);
    } else {
      out.push(colors.bold(`${node.node}:`));
    }
    const line = (c: {action: Action; description: string; reason: string}) => {
      const symbol = paint[c.action](SYMBOLS[c.action].padStart(3));
      const reason = c.action === 'create' && c.reason === MISSING ? '' : `  ${colors.bold('#')} ${c.reason}`;
      out.push(`${symbol} ${c.description}${reason}`);
    };
    for (const c of node.changes) {
      if (c.explainedByServices) continue;
      // The zone's A/PTR records are the whole of a hosts change; a server change also has its own line.
      if (c.kind !== 'dns-hosts' || c.records.length === 0) line(c);
      for (const r of c.records) line({action: r.action, description: `dns record ${r.record}`, reason: r.action === 'create' ? MISSING : 'not in the spec'});
    }
    for (const s of node.services) line(s);
    for (const warning of node.warnings) out.push(`  ${colors.yellow('warning:')} ${warning}`);
  }
  out.push('');
  const {add, change, destroy, errors} = doc.summary;
  if (hasChanges(doc)) out.push(colors.bold(`Plan: ${add} to add, ${change} to change, ${destroy} to destroy.`));
  else if (errors === 0) out.push(colors.bold(doc.intent === 'destroy' ? "No changes. Nothing of netctl's is left on the nodes." : 'No changes. The hosts match the spec.'));
  if (errors > 0) out.push(colors.red(`${errors} error${errors === 1 ? '' : 's'}: nodes with errors are left as they are.`));
  if (doc.nodes.some((n) => n.errors.length > 0 && n.status !== 'locked' && n.fix === undefined)) {
    out.push('Next: `netctl preflight -f` with the same spec checks every node (SSH, tools, kernel, MTU, addresses, VXLAN between nodes) and says how to fix what fails.');
  }
  return `${out.join('\n')}\n`;
}
