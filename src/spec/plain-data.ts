/**
 * A spec's data read by js-yaml, in the files where it reads exactly what yaml (load.ts) reads:
 * test/unit/load.test.ts holds the corners.
 */
import {CORE_SCHEMA, defineMappingTag, defineScalarTag, load, mapTag, strTag} from 'js-yaml';

/**
 * js-yaml's mappings, except that a null key is refused: js-yaml would name it "null" where yaml
 * names it "", and every other key becomes the same string in both.
 */
const STRING_KEYED_MAP = defineMappingTag('tag:yaml.org,2002:map', {
  ...mapTag,
  addPair: (map, key, value) => (key === null ? 'a null key' : mapTag.addPair(map, key, value)),
});
/**
 * js-yaml's strings, except a number too large for a double: js-yaml leaves `1e400` a string where yaml
 * makes it Infinity. (Called for every scalar that is no other type, quoted ones too, which then go to yaml.)
 */
const FINITE_STRING = defineScalarTag('tag:yaml.org,2002:str', {
  ...strTag,
  resolve: (source, explicit, name) => {
    const number = Number(source);
    const beyondDouble = (number === Infinity || number === -Infinity) && !source.includes('Infinity');
    if (!explicit && beyondDouble) throw new Error('a number too large for a double');
    return strTag.resolve(source, explicit, name);
  },
});
const PLAIN_SCHEMA = CORE_SCHEMA.withTags(STRING_KEYED_MAP, FINITE_STRING);

/**
 * The spec as data, read by js-yaml: about ten times faster than yaml's document with positions (a
 * spec of 1,000 services: 0.05 s against 0.5 s), which load.ts then makes only when a problem needs
 * its place. Both read YAML 1.2 with the core schema. Undefined where the two could read a file
 * differently (tags, directives, aliases, a null key, a number beyond a double), where js-yaml finds it
 * invalid, and where it holds no mapping: yaml then reads the file and says what is wrong with it.
 */
export function plainData(text: string): object | undefined {
  if (text.includes('!') || /^%/m.test(text)) return undefined;
  let value: unknown;
  try {
    value = load(text, {schema: PLAIN_SCHEMA, maxAliases: 0});
  } catch {
    return undefined;
  }
  // Not a mapping: yaml reads it again, which costs nothing at that size, and its document locates the error.
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : undefined;
}
