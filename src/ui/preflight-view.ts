/** `netctl preflight` results: a table per node with fixes under failures and warnings, or JSON. */
import type {NodePreflight} from '../engine/preflight.js';
import type {CheckStatus} from '../plan/preflight.js';
import type {Colors} from './colors.js';

export interface PreflightDocument {
  readonly formatVersion: '1';
  readonly passed: boolean;
  readonly nodes: readonly {readonly node: string; readonly checks: readonly {readonly check: string; readonly status: CheckStatus; readonly detail: string; readonly fix: string | null}[]}[];
  readonly summary: {readonly pass: number; readonly warn: number; readonly fail: number};
}

export function preflightDocument(results: readonly NodePreflight[]): PreflightDocument {
  const all = results.flatMap((r) => r.checks);
  const count = (status: CheckStatus) => all.filter((c) => c.status === status).length;
  return {
    formatVersion: '1',
    passed: count('fail') === 0,
    nodes: results.map((r) => ({node: r.node, checks: r.checks.map((c) => ({check: c.check, status: c.status, detail: c.detail, fix: c.fix ?? null}))})),
    summary: {pass: count('pass'), warn: count('warn'), fail: count('fail')},
  };
}

export function renderPreflightText(doc: PreflightDocument, colors: Colors): string {
  const paint = {pass: colors.green, warn: colors.yellow, fail: colors.red};
  const width = Math.max(...doc.nodes.flatMap((n) => n.checks.map((c) => c.check.length)), 5);
  const lines: string[] = [];
  for (const node of doc.nodes) {
    lines.push(colors.bold(node.node));
    for (const check of node.checks) {
      lines.push(`  ${paint[check.status](check.status.padEnd(4))}  ${check.check.padEnd(width)}  ${check.detail}`);
      if (check.fix !== null && check.status !== 'pass') lines.push(`  ${' '.repeat(4)}  ${' '.repeat(width)}  fix: ${check.fix}`);
    }
  }
  const {pass, warn, fail} = doc.summary;
  const verdict = fail === 0 ? colors.green('Preflight passed') : colors.red('Preflight failed');
  lines.push('', `${verdict}: ${doc.nodes.length} node${doc.nodes.length === 1 ? '' : 's'}, ${pass} passed, ${warn} warning${warn === 1 ? '' : 's'}, ${fail} failed.`);
  return `${lines.join('\n')}\n`;
}
