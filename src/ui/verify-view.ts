/** `netctl verify` results: a readable matrix per node, JSON, and JUnit XML for CI. */
import type {CheckResult, CheckStatus} from '../verify/run.js';
import type {Colors} from './colors.js';

export interface VerifyDocument {
  readonly formatVersion: '1';
  readonly passed: boolean;
  readonly checks: readonly {
    readonly id: string;
    readonly kind: string;
    readonly node: string;
    readonly pod: string | null;
    readonly target: string;
    readonly port: number | null;
    readonly description: string;
    readonly passed: boolean;
    readonly status: CheckStatus;
    readonly outcome: string;
    readonly detail: string;
  }[];
  readonly errors: readonly string[];
  readonly summary: {readonly passed: number; readonly failed: number; readonly notRun: number};
}

/** Passed only when every check ran and passed and nothing went wrong besides. */
export function verifyDocument(results: readonly CheckResult[], errors: readonly string[]): VerifyDocument {
  const count = (status: CheckStatus) => results.filter((r) => r.status === status).length;
  const summary = {passed: count('passed'), failed: count('failed'), notRun: count('not run')};
  return {
    formatVersion: '1',
    passed: summary.passed === results.length && errors.length === 0,
    checks: results.map(({check, status, outcome, detail}) => ({
      id: check.id, kind: check.kind, node: check.node, pod: check.pod ?? null, target: check.target,
      port: check.port ?? null, description: check.description, passed: status === 'passed', status, outcome, detail,
    })),
    errors,
    summary,
  };
}

const MARKS: Record<CheckStatus, (colors: Colors) => string> = {
  'passed': (colors) => colors.green('pass'),
  'failed': (colors) => colors.red('FAIL'),
  'not run': (colors) => colors.yellow('skip'),
};

export function renderVerifyText(doc: VerifyDocument, colors: Colors): string {
  const out: string[] = [];
  const nodes = [...new Set(doc.checks.map((c) => c.node))];
  for (const node of nodes) {
    out.push(colors.bold(`${node}:`));
    for (const c of doc.checks.filter((x) => x.node === node)) {
      out.push(`  ${MARKS[c.status](colors)}  ${c.description}${c.passed ? '' : `: ${c.outcome}`}`);
    }
  }
  for (const error of doc.errors) out.push(`${colors.red('error:')} ${error}`);
  const notRun = doc.summary.notRun === 0 ? '' : `, ${doc.summary.notRun} not run`;
  out.push('', colors.bold(`Verify: ${doc.summary.passed} passed, ${doc.summary.failed} failed${notRun}.`));
  return `${out.join('\n')}\n`;
}

const xml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function renderJunit(doc: VerifyDocument): string {
  const cases = doc.checks.map((c) => {
    const open = `    <testcase classname="netctl.verify.${xml(c.node)}" name="${xml(c.description)}">`;
    switch (c.status) {
      case 'passed':
        return `${open}</testcase>`;
      case 'not run':
        return `${open}\n      <skipped message="${xml(c.outcome)}"/>\n    </testcase>`;
      case 'failed':
        return `${open}\n      <failure message="${xml(c.outcome)}">${xml(c.detail)}</failure>\n    </testcase>`;
    }
  });
  const skipped = doc.summary.notRun === 0 ? '' : ` skipped="${doc.summary.notRun}"`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites tests="${doc.checks.length}" failures="${doc.summary.failed}"${skipped}>`,
    `  <testsuite name="netctl verify" tests="${doc.checks.length}" failures="${doc.summary.failed}"${skipped}>`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
