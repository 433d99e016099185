/**
 * Reads a spec file into plain data, and into a YAML document that remembers where every value came
 * from when a problem has to be located.
 */
import {createHash} from 'node:crypto';
import {open, readFile} from 'node:fs/promises';
import {createRequire} from 'node:module';
import type * as Yaml from 'yaml';
import type {Alias, Document, LineCounter, Node} from 'yaml';
import {error, type Diagnostic, type SpecPath} from './diagnostics.js';
import {plainData} from './plain-data.js';

/** Specs beyond this size are refused before parsing: no real cluster needs one. */
export const MAX_SPEC_BYTES = 16 * 1024 * 1024;

export interface SourceFile {
  readonly text: string;
  /** The document as plain data, when it parsed. */
  readonly value: unknown;
  /**
   * yaml's document of the file, every node with its place: made on first use when plainData read the
   * file; undefined when the file is no YAML document at all.
   */
  readonly positions: Positions | undefined;
}

interface Positions {
  readonly lineCounter: LineCounter;
  readonly document: Document.Parsed;
}

let yamlModule: typeof Yaml | undefined;
/**
 * yaml, loaded on first use and left out of the bundle: only a file with a problem to locate, or one
 * plainData leaves to it, needs it, and loading it took 10-15 ms of every command's start.
 */
function yaml(): typeof Yaml {
  return (yamlModule ??= createRequire(import.meta.url)('yaml') as typeof Yaml);
}

export interface LoadResult {
  readonly source: SourceFile;
  readonly diagnostics: Diagnostic[];
  /** SHA-256 of the file's bytes, which a saved plan records. */
  readonly sha256?: string;
}

/** Raised when a file cannot be read at all (missing, a directory, no permission). */
export class UnreadableFileError extends Error {
  constructor(readonly file: string, readonly reason: string) {
    super(`${file}: cannot read: ${reason}`);
  }
}

/** A whole text file (a saved plan), or an UnreadableFileError that says why not in a few words. */
export async function readTextFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (cause) {
    throw new UnreadableFileError(file, describeFsError(cause));
  }
}

export async function readSpecFile(file: string): Promise<LoadResult> {
  let bytes: Buffer;
  try {
    const handle = await open(file, 'r');
    try {
      const {size} = await handle.stat();
      if (size > MAX_SPEC_BYTES) return tooLarge(size);
      bytes = await handle.readFile();
    } finally {
      await handle.close();
    }
  } catch (cause) {
    throw new UnreadableFileError(file, describeFsError(cause));
  }
  return {...parseSpec(bytes), sha256: createHash('sha256').update(bytes).digest('hex')};
}

export function parseSpec(bytes: Uint8Array): LoadResult {
  if (bytes.length > MAX_SPEC_BYTES) return tooLarge(bytes.length);
  const text = new TextDecoder('utf-8').decode(bytes);
  // Control characters other than tab and line breaks, or undecodable bytes, mean this is not a YAML file.
  // eslint-disable-next-line no-control-regex
  const junk = text.search(/[\u0000-\u0008\u000e-\u001f\ufffd]/);
  if (junk >= 0) {
    const before = text.slice(0, junk);
    const line = before.split('\n').length;
    const column = junk - before.lastIndexOf('\n');
    return {
      source: {text: '', value: undefined, positions: undefined},
      diagnostics: [{...error('file-not-text', [], 'the file is not a text YAML file (binary data found)'), line, column}],
    };
  }
  if (text.trim() === '') return empty(text, 'the file is empty; a spec starts with apiVersion: netctl/v1');
  const value = plainData(text);
  if (value === undefined) return parseWithPositions(text);
  let positions: Positions | undefined;
  return {
    source: {
      text,
      value,
      get positions() {
        return (positions ??= parseWithPositions(text).source.positions);
      },
    },
    diagnostics: [],
  };
}

function empty(text: string, message: string): LoadResult {
  return {
    source: {text, value: undefined, positions: undefined},
    diagnostics: [{...error('file-empty', [], message), line: 1, column: 1}],
  };
}

/** The file read by yaml into a document with positions, every YAML problem located. */
function parseWithPositions(text: string): LoadResult {
  const {LineCounter, parseAllDocuments} = yaml();
  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(text, {lineCounter, prettyErrors: true, uniqueKeys: true});
  if (!Array.isArray(documents) || documents.length === 0) return empty(text, 'the file holds no YAML document');
  const [document, ...extra] = documents;
  if (document === undefined) return empty(text, 'the file holds no YAML document');
  const source: SourceFile = {text, value: undefined, positions: {lineCounter, document}};
  const diagnostics: Diagnostic[] = [];
  for (const problem of [...document.errors, ...extra.flatMap((d) => d.errors)]) {
    const [position] = problem.linePos ?? [{line: 1, col: 1}];
    const message = problem.code === 'DUPLICATE_KEY'
      ? `duplicate key ${JSON.stringify(/^[^:\n]*/.exec(text.slice(problem.pos[0]))?.[0]?.trim() ?? '')}; each key may appear once in a mapping`
      : `invalid YAML: ${firstLine(problem.message)}`;
    diagnostics.push({
      ...error('yaml-syntax', [], message),
      line: position.line,
      column: position.col,
    });
  }
  const second = extra[0];
  if (second !== undefined) {
    const {line, col} = lineCounter.linePos(second.range[0]);
    diagnostics.push({
      ...error('yaml-multiple-documents', [], 'the file holds more than one YAML document; put each spec in its own file'),
      line,
      column: col,
    });
  }
  if (diagnostics.length > 0) return {source, diagnostics};
  const {first, unresolved} = aliasesOf(document);
  const at = (node: Node, message: string): LoadResult => {
    const {line, col} = lineCounter.linePos(node.range?.[0] ?? 0);
    return {source, diagnostics: [{...error('yaml-syntax', [], message), line, column: col}]};
  };
  if (unresolved !== undefined) return at(unresolved, `invalid YAML: alias *${unresolved.source} refers to no anchor &${unresolved.source} before it`);
  try {
    return {source: {...source, value: document.toJS({maxAliasCount: MAX_ALIAS_COUNT})}, diagnostics};
  } catch {
    // The only other failure of toJS: aliases expanding past the limit.
    return at(first ?? document.contents!, `invalid YAML: its aliases expand past the limit of ${MAX_ALIAS_COUNT} (the mark of an expansion attack, not of a spec); write the values out`);
  }
}

/** yaml's measure of how far aliases may expand: beyond it a document is an expansion attack, not a spec. */
const MAX_ALIAS_COUNT = 100;

/**
 * The first alias, and the first with no anchor of its name before it (which the parser reports only
 * by throwing when the document becomes data), in one walk.
 */
function aliasesOf(document: Document.Parsed): {first?: Alias; unresolved?: Alias} {
  const anchors = new Set<string>();
  const found: {first?: Alias; unresolved?: Alias} = {};
  const {isAlias, visit} = yaml();
  visit(document, {
    Node: (_key, node) => {
      if (!isAlias(node)) {
        if (node.anchor !== undefined) anchors.add(node.anchor);
        return undefined;
      }
      found.first ??= node;
      if (anchors.has(node.source)) return undefined;
      found.unresolved = node;
      return visit.BREAK;
    },
  });
  return found;
}

function tooLarge(size: number): LoadResult {
  const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return {
    source: {text: '', value: undefined, positions: undefined},
    diagnostics: [{
      ...error('file-too-large', [], `the file is ${mib(size)}; specs larger than ${mib(MAX_SPEC_BYTES)} are refused`),
      line: 1,
      column: 1,
    }],
  };
}

function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '');
}

function describeFsError(cause: unknown): string {
  const reasons: Record<string, string> = {ENOENT: 'no such file', EISDIR: 'it is a directory', EACCES: 'permission denied'};
  const code = (cause as NodeJS.ErrnoException).code;
  return (code === undefined ? undefined : reasons[code]) ?? (cause instanceof Error ? cause.message : String(cause));
}

export interface Position {
  readonly line: number;
  readonly column: number;
}

/**
 * Where in the file a path points. `key` points at the mapping key itself (for unknown fields);
 * a path that does not exist points at its deepest existing parent (for missing fields).
 */
export function locate(source: SourceFile, path: SpecPath, target: 'value' | 'key' = 'value'): Position {
  if (source.positions === undefined) return {line: 1, column: 1};
  const {document, lineCounter} = source.positions;
  const {isMap, isPair, isScalar, isSeq} = yaml();
  let node: unknown = document.contents;
  let offset = rangeStart(node) ?? 0;
  for (const [i, part] of path.entries()) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && item.key.value === part);
      if (pair === undefined) break;
      const keyStart = rangeStart(pair.key);
      if (target === 'key' && i === path.length - 1 && keyStart !== undefined) {
        offset = keyStart;
        break;
      }
      node = pair.value;
      offset = rangeStart(node) ?? keyStart ?? offset;
    } else if (isSeq(node) && typeof part === 'number') {
      const item: unknown = node.items[part];
      if (item === undefined) break;
      node = item;
      offset = rangeStart(node) ?? offset;
    } else {
      break;
    }
  }
  const {line, col} = lineCounter.linePos(offset);
  return {line, column: col};
}

function rangeStart(node: unknown): number | undefined {
  return node !== null && typeof node === 'object' && 'range' in node ? (node as Node).range?.[0] : undefined;
}
