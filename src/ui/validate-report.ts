/** Renders validation results as text for people, JSON for programs, or GitHub workflow annotations. */
import {formatPath, type Diagnostic} from '../spec/diagnostics.js';

export type ValidateFormat = 'text' | 'json' | 'github';

export type FileResult =
  | {readonly file: string; readonly readable: true; readonly diagnostics: readonly Diagnostic[]}
  | {readonly file: string; readonly readable: false; readonly reason: string};

export function isValid(result: FileResult, strict: boolean): boolean {
  return result.readable && !result.diagnostics.some((d) => d.severity === 'error' || (strict && d.severity === 'warning'));
}

export function renderValidation(results: readonly FileResult[], format: ValidateFormat, strict: boolean): string {
  switch (format) {
    case 'text': return renderText(results, strict);
    case 'json': return `${JSON.stringify(toJson(results, strict), null, 2)}\n`;
    case 'github': return renderGithub(results);
  }
}

/** One diagnostic as one line: `FILE:LINE:COLUMN SEVERITY: MESSAGE (at PATH)`. */
export function diagnosticLine(file: string, d: Diagnostic): string {
  const at = d.path.length === 0 ? '' : ` (at ${formatPath(d.path)})`;
  return `${file}:${d.line ?? 1}:${d.column ?? 1} ${d.severity}: ${d.message}${at}`;
}

function renderText(results: readonly FileResult[], strict: boolean): string {
  const out: string[] = [];
  let errors = 0;
  let warnings = 0;
  for (const result of results) {
    if (!result.readable) {
      out.push(`${result.file}: error: cannot read: ${result.reason}`);
      errors++;
      continue;
    }
    for (const d of result.diagnostics) {
      out.push(diagnosticLine(result.file, d));
      if (d.severity === 'error') errors++;
      else warnings++;
    }
  }
  const valid = results.filter((r) => isValid(r, strict)).length;
  const count = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  out.push(`${count(results.length, 'file')} checked: ${valid} valid, ${results.length - valid} invalid (${count(errors, 'error')}, ${count(warnings, 'warning')}).`);
  return `${out.join('\n')}\n`;
}

function toJson(results: readonly FileResult[], strict: boolean) {
  return {
    formatVersion: '1',
    valid: results.every((r) => isValid(r, strict)),
    files: results.map((result) => result.readable
      ? {
          file: result.file,
          readable: true,
          valid: isValid(result, strict),
          diagnostics: result.diagnostics.map((d) => ({
            severity: d.severity,
            code: d.code,
            message: d.message,
            path: formatPath(d.path),
            line: d.line ?? 1,
            column: d.column ?? 1,
          })),
        }
      : {file: result.file, readable: false, valid: false, error: `cannot read: ${result.reason}`, diagnostics: []}),
  };
}

// https://docs.github.com/actions/using-workflows/workflow-commands-for-github-actions
function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

function renderGithub(results: readonly FileResult[]): string {
  const out: string[] = [];
  for (const result of results) {
    const file = escapeProperty(result.file);
    if (!result.readable) {
      out.push(`::error file=${file},title=netctl validate::${escapeData(`cannot read: ${result.reason}`)}`);
      continue;
    }
    for (const d of result.diagnostics) {
      const at = d.path.length === 0 ? '' : ` (at ${formatPath(d.path)})`;
      out.push(`::${d.severity} file=${file},line=${d.line ?? 1},col=${d.column ?? 1},title=netctl validate::${escapeData(d.message + at)}`);
    }
  }
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}
