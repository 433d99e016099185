/** `netctl verify` results: a readable matrix per node, JSON, and JUnit XML for CI. */
import type {CheckResult} from '../verify/run.js';
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
    readonly outcome: string;
    readonly detail: string;
  }[];
  readonly errors: readonly string[];
  readonly summary: {readonly passed: number; readonly failed: number};
}

export function verifyDocument(results: readonly CheckResult[], errors: readonly string[]): VerifyDocument {
  const failed = results.filter((r) => !r.passed).length;
  return {
    formatVersion: '1',
    passed: failed === 0 && errors.length === 0,
    checks: results.map(({check, passed, outcome, detail}) => ({
      id: check.id, kind: check.kind, node: check.node, pod: check.pod ?? null, target: check.target,
      port: check.port ?? null, description: check.description, passed, outcome, detail,
    })),
    errors,
    summary: {passed: results.length - failed, failed},
  };
}

export function renderVerifyText(doc: VerifyDocument, colors: Colors): string {
  const out: string[] = [];
  const nodes = [...new Set(doc.checks.map((c) => c.node))];
  for (const node of nodes) {
    out.push(colors.bold(`${node}:`));
    for (const c of doc.checks.filter((x) => x.node === node)) {
      const mark = c.passed ? colors.green('pass') : colors.red('FAIL');
      out.push(`  ${mark}  ${c.description}${c.passed ? '' : `: ${c.outcome}`}`);
    }
  }
  for (const error of doc.errors) out.push(`${colors.red('error:')} ${error}`);
  out.push('', colors.bold(`Verify: ${doc.summary.passed} passed, ${doc.summary.failed} failed.`));
  return `${out.join('\n')}\n`;
}

const xml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function renderJunit(doc: VerifyDocument): string {
  const cases = doc.checks.map((c) => {
    const open = `    <testcase classname="netctl.verify.${xml(c.node)}" name="${xml(c.description)}">`;
    return c.passed ? `${open}</testcase>` : `${open}\n      <failure message="${xml(c.outcome)}">${xml(c.detail)}</failure>\n    </testcase>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites tests="${doc.checks.length}" failures="${doc.summary.failed}">`,
    `  <testsuite name="netctl verify" tests="${doc.checks.length}" failures="${doc.summary.failed}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
