/** Parses iptables-save output into tables, chains and rules split into words. */

export interface SavedTable {
  readonly chains: string[];
  readonly rules: {readonly chain: string; readonly words: string[]}[];
}

export function parseIptablesSave(text: string): Map<string, SavedTable> {
  const tables = new Map<string, SavedTable>();
  let current: SavedTable | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) {
      current = {chains: [], rules: []};
      tables.set(line.slice(1).trim(), current);
    } else if (current !== undefined && line.startsWith(':')) {
      current.chains.push(line.slice(1).split(' ')[0] ?? '');
    } else if (current !== undefined && line.startsWith('-N ')) {
      // `iptables -S CHAIN` declares a chain this way.
      current.chains.push(line.slice(3).trim());
    } else if (current !== undefined && line.startsWith('-A ')) {
      const [, chain = '', ...words] = splitWords(line);
      current.rules.push({chain, words});
    }
  }
  return tables;
}

/** Splits a rule line into words the way iptables-restore reads it: double quotes group, `\"` escapes. */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '\\' && quoted && line[i + 1] === '"') {
      word += '"';
      i++;
    } else if (c === '"') {
      quoted = !quoted;
      inWord = true;
    } else if (c === ' ' && !quoted) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** Joins words into a rule line iptables-restore reads back into the same words. */
export function joinWords(words: readonly string[]): string {
  return words.map((w) => (/^[^\s"\\]+$/.test(w) ? w : `"${w.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`)).join(' ');
}
