/**
 * The spec is read by js-yaml (plainData) and, only when a problem needs its place, by yaml. Both must
 * see the same data in every file js-yaml reads; where they could differ, plainData declines and yaml
 * reads the file alone.
 */
import {describe, expect, it} from '@jest/globals';
import {readFileSync, readdirSync} from 'node:fs';
import {join} from 'node:path';
import {parseAllDocuments} from 'yaml';
import {locate, parseSpec} from '../../src/spec/load.js';
import {plainData} from '../../src/spec/plain-data.js';

/** What yaml makes of the text, as netctl read it before plainData: undefined when yaml finds it invalid. */
function yamlData(text: string): unknown {
  const documents = parseAllDocuments(text, {uniqueKeys: true});
  if (!Array.isArray(documents) || documents.length !== 1 || documents[0]!.errors.length > 0) return undefined;
  try {
    return documents[0]!.toJS({maxAliasCount: 100});
  } catch {
    return undefined;
  }
}

const SCALARS = [
  '1_000', '0b101', '0x1F', '-0x1F', '0o17', '017', '+12', '-0', '.5', '1.', '1e3', '1E+3', '+.inf', '-.Inf', '.NaN', '.nan',
  '~', 'null', 'Null', 'NULL', '', 'true', 'True', 'TRUE', 'yes', 'on', 'off', 'y', 'n', '2001-12-14', '12:30', '1:20:30',
  '0.1.2', '0xG', '0o8', '00', '007', '12345678901234567890', '1e308', '-1e-400', '"\\x41"', "'a''b'", '"\\u263A"', '"\\N"', '"\\_"',
  '"\\e"', '"\\U0001F600"', '"\\/"', '10.244.0.0/16', '2001:db8::1', '80:8080', 'TCP', '"80"', 'a b  c', 'x # comment', 'x#y',
];

const DOCUMENTS = [
  '80: x\ntrue: y\n1.5: w\n0x10: z\n', '<<: {a: 1}\nb: 2\n', 'a: |\n  x\n  y\n', 'a: >-\n  x\n  y\n\n  z\n', 'a: |+\n  x\n\n',
  'a: "x\n  y"\n', 'a: x\n  y\n', 'a: b\t\n', 'l:\n- a\n- b: c\n  d: e\n', '"a": 1\n\'b\': 2\n', 'a: [b: c]\n', 'a: {b, c: }\n',
  '\ufeffa: 1\n', 'a: 1\r\nb: 2\r\n', 'key with space: 1\n', '__proto__: {x: 1}\n', 'a: [1, 2, ]\n', 'a:\n- 1\n- 2\n',
  'a: {p: 1, q: [x, {r: s}]}\n', 'a: &anchor 1\nb: 2\n',
];

/** Where the two could read a file differently, or js-yaml finds it invalid: yaml alone reads it. */
const DECLINED = [
  'a: !!float 1\n', 'a: !!str 1\n', 'a: !custom x\n', 'a: !!set {x, y}\n', '%YAML 1.1\n---\na: yes\n', 'a: &x {p: 1}\nb: *x\n',
  'null: z\n', '~: z\n', '[a, b]: c\n', '? [a]\n: b\n', 'a: 1\na: 2\n', '---\na: 1\n---\nb: 2\n', 'a: "open\n', 'a: b: c\n',
  '- a\n- b\n', 'just a string\n', 'v: 1e400\n', 'v: [x, -1e999]\n', 'v: "1e400"\n', '# only a comment\n', '---\n', 'a: *nothing\n',
];

describe('plainData (js-yaml) reads what yaml reads', () => {
  it.each(SCALARS)('the scalar %j', (scalar) => {
    const text = `v: ${scalar}\n`;
    const data = plainData(text);
    expect(data).toBeDefined();
    expect(data).toEqual(yamlData(text));
  });

  it.each(DOCUMENTS)('the document %j', (text) => {
    const data = plainData(text);
    expect(data).toBeDefined();
    expect(data).toEqual(yamlData(text));
  });

  it.each(DECLINED)('leaves %j to yaml', (text) => {
    expect(plainData(text)).toBeUndefined();
  });

  const root = join(import.meta.dirname, '..', '..');
  const specs = [
    ...readdirSync(join(root, 'examples')).filter((f) => f.endsWith('.yaml')).map((f) => join(root, 'examples', f)),
    ...readdirSync(join(root, 'test', 'fixtures', 'invalid')).filter((f) => f.endsWith('.yaml')).map((f) => join(root, 'test', 'fixtures', 'invalid', f)),
  ];
  it.each(specs)('%s', (file) => {
    const text = readFileSync(file, 'utf8');
    const data = plainData(text);
    if (data !== undefined) expect(data).toEqual(yamlData(text));
    // The examples are plain YAML: read the fast way.
    if (file.includes('/examples/')) expect(data).toBeDefined();
  });

  it('finds the place of a problem in a file it read the fast way', () => {
    const {source, diagnostics} = parseSpec(new TextEncoder().encode('apiVersion: netctl/v1\nkind: ClusterNetwork\nspec:\n  mode: overlay\n'));
    expect(diagnostics).toEqual([]);
    expect(locate(source, ['spec', 'mode'])).toEqual({line: 4, column: 9});
  });

  it('points at the key of an unknown field named like one of its parents', () => {
    const {source} = parseSpec(new TextEncoder().encode('apiVersion: netctl/v1\nspec:\n  networkPolicies:\n    - name: p\n      spec: {}\n'));
    expect(locate(source, ['spec', 'networkPolicies', 0, 'spec'], 'key')).toEqual({line: 5, column: 7});
  });
});
