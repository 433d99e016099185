/**
 * Structural checks: schemas/netctl.schema.json through ajv, with errors rewritten into messages
 * for people (unknown fields get a "did you mean").
 */
import {readFileSync} from 'node:fs';
import type {ErrorObject, ValidateFunction} from 'ajv/dist/2020.js';
import {packageFile} from '../package-files.js';
import {error, type Diagnostic, type SpecPath} from './diagnostics.js';
import {validate as generated} from './schema-validator.generated.js';
import {suggest} from './suggest.js';
import type {WrittenSpecDocument} from './types.js';

export function schemaText(): string {
  return readFileSync(packageFile('schemas/netctl.schema.json'), 'utf8');
}


/** A diagnostic that points at a mapping key rather than at its value. */
export interface SchemaDiagnostic extends Diagnostic {
  readonly target: 'key' | 'value';
}

export function checkSchema(value: unknown): {spec: WrittenSpecDocument | undefined; diagnostics: SchemaDiagnostic[]} {
  // ajv's validator of the schema, compiled ahead of time by scripts/generate-schema-validator.mjs.
  const validate = generated as ValidateFunction;
  if (validate(value)) return {spec: value as WrittenSpecDocument, diagnostics: []};
  const seen = new Set<string>();
  const diagnostics: SchemaDiagnostic[] = [];
  const errors = validate.errors ?? [];
  // A value that fits none of a oneOf's choices gets the oneOf's own message, not one per choice.
  const explained = new Set(errors.filter((e) => e.keyword === 'oneOf' && typeof (e.parentSchema as Record<string, unknown> | undefined)?.['x-message'] === 'string').map((e) => e.instancePath));
  for (const problem of errors) {
    if (explained.has(problem.instancePath) && problem.keyword !== 'oneOf') continue;
    const diagnostic = describe(problem);
    if (diagnostic === undefined) continue;
    const key = `${diagnostic.path.join('\0')}\0${diagnostic.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    diagnostics.push(diagnostic);
  }
  return {spec: undefined, diagnostics};
}

function describe(problem: ErrorObject): SchemaDiagnostic | undefined {
  const path = pointerToPath(problem.instancePath);
  const schema = (problem.parentSchema ?? {}) as Record<string, unknown>;
  const custom = typeof schema['x-message'] === 'string' ? schema['x-message'] : undefined;
  const at = (target: 'key' | 'value', where: SpecPath, message: string): SchemaDiagnostic =>
    ({...error('schema', where, message), target});
  const params = problem.params as Record<string, unknown>;

  // Errors inside `propertyNames` carry the offending key, those of an if/then/else's branch their
  // own problem; the wrapper errors add nothing.
  if (problem.keyword === 'propertyNames' || problem.keyword === 'if') return undefined;
  if (problem.propertyName !== undefined) {
    return at('key', [...path, problem.propertyName], `invalid key ${quote(problem.propertyName)}: ${custom ?? problem.message ?? ''}`);
  }

  switch (problem.keyword) {
    case 'additionalProperties': {
      const field = params.additionalProperty as string;
      const properties = schema.properties;
      // Fields Kubernetes knows and netctl refuses with a reason are not offered.
      const known = typeof properties === 'object' && properties !== null
        ? Object.entries(properties as Record<string, Record<string, unknown>>).filter(([, field]) => field['x-refused'] !== true).map(([name]) => name)
        : [];
      const hint = suggest(field, known);
      const where = [...path, field];
      if (known.length === 0) return at('key', where, `unknown field ${quote(field)}`);
      // A field Kubernetes has there and netctl has no use for: what to write instead.
      const hints = schema['x-hints'] as Record<string, string> | undefined;
      if (typeof hints?.[field] === 'string') return at('key', where, `unknown field ${quote(field)}: ${hints[field]}`);
      // A label written straight under a policy's selector, as a service's selector takes them.
      if (known.includes('matchLabels') && typeof problem.data === 'object' && problem.data !== null) {
        const value = (problem.data as Record<string, unknown>)[field];
        if (typeof value === 'string') return at('key', where, `unknown field ${quote(field)}: a policy's ${String(path.at(-1))} is a LabelSelector, as in Kubernetes: write ${String(path.at(-1))}: {matchLabels: {${field}: ${value}}}`);
      }
      return at('key', where, `unknown field ${quote(field)}${hint === undefined ? `; known fields: ${known.join(', ')}` : ` (did you mean ${quote(hint)}?)`}`);
    }
    case 'required':
      return at('value', path, `missing required field ${quote(String(params.missingProperty))}`);
    case 'enum': {
      // An empty value Kubernetes reads as not written is taken (empty-values.ts), but not offered.
      const allowed = (params.allowedValues as unknown[]).filter((value) => value !== '').map(String);
      // A value Kubernetes knows and netctl does not take: say so, not "did you mean".
      const unsupported = schema['x-unsupported'] as Record<string, string> | undefined;
      if (typeof problem.data === 'string' && typeof unsupported?.[problem.data] === 'string') {
        return at('value', path, `${shown(problem.data)} is not supported: ${unsupported[problem.data]}`);
      }
      const hint = typeof problem.data === 'string' ? suggest(problem.data, allowed) : undefined;
      return at('value', path, `${shown(problem.data)} must be one of ${allowed.join(', ')}${hint === undefined ? '' : ` (did you mean ${quote(hint)}?)`}`);
    }
    case 'const':
      return at('value', path, `${shown(problem.data)} ${custom ?? `must be ${String(params.allowedValue)}`}`);
    case 'pattern':
    case 'minLength':
    case 'maxLength':
      return at('value', path, `${shown(problem.data)} ${custom ?? problem.message ?? 'is invalid'}`);
    case 'type':
      // A LabelSelector where a service takes a plain map of labels, as Kubernetes' Service does.
      if ((path.at(-1) === 'matchLabels' || path.at(-1) === 'matchExpressions') && path.at(-2) === 'selector') {
        return at('key', path, `a service's selector is a map of labels, as in Kubernetes (selector: {app: web}), not a LabelSelector with ${String(path.at(-1))}`);
      }
      return at('value', path, `must be ${typeName(String(params.type))}, got ${kindOf(problem.data)}`);
    case 'minimum':
    case 'maximum': {
      const low = schema.minimum;
      const high = schema.maximum;
      return at('value', path, `must be between ${String(low)} and ${String(high)}, got ${shown(problem.data)}`);
    }
    case 'oneOf':
      // Kubernetes takes a quoted number as a port name, and refuses it there: names need a letter.
      if (typeof problem.data === 'string' && /^\d+$/.test(problem.data)) {
        return at('value', path, `${shown(problem.data)} is a quoted number, which Kubernetes reads as a port name (and names need a letter): write ${problem.data} without quotes`);
      }
      return at('value', path, `${shown(problem.data)} ${custom ?? problem.message ?? 'is invalid'}`);
    case 'minItems':
      return at('value', path, `must list at least ${String(params.limit)} item${params.limit === 1 ? '' : 's'}`);
    default:
      return at('value', path, problem.message ?? `fails ${problem.keyword}`);
  }
}

function pointerToPath(pointer: string): SpecPath {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((part) => (/^(0|[1-9]\d*)$/.test(part) ? Number(part) : part));
}

function quote(text: string): string {
  return `"${text}"`;
}

function shown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
  return JSON.stringify(value) ?? String(value);
}

function typeName(type: string): string {
  switch (type) {
    case 'object': return 'a mapping';
    case 'array': return 'a list';
    case 'integer': return 'a whole number';
    case 'number': return 'a number';
    case 'boolean': return 'true or false';
    case 'string': return 'a string';
    default: return type;
  }
}

function kindOf(value: unknown): string {
  if (value === null) return 'nothing (null)';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'number') return `the number ${value}`;
  if (typeof value === 'boolean') return `${String(value)}`;
  return `${typeof value} ${shown(value)}`;
}
