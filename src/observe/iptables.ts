/** Parses iptables-save output into tables, chains and rules. */

export interface SavedTable {
  readonly chains: string[];
  /** `text` is the rule as printed, after `-A CHAIN ` (splitWords makes words of it). */
  readonly rules: {readonly chain: string; readonly text: string}[];
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
      // Chain names hold no spaces or quotes: the name is the word after -A.
      const after = line.indexOf(' ', 3);
      current.rules.push(after < 0 ? {chain: line.slice(3), text: ''} : {chain: line.slice(3, after), text: line.slice(after + 1)});
    }
  }
  return tables;
}

const SPACE = 32;

/** Splits a rule line into words the way iptables-restore reads it: double quotes group, `\"` escapes. */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  let i = 0;
  const n = line.length;
  let quote = line.indexOf('"');
  while (i < n) {
    while (i < n && line.charCodeAt(i) === SPACE) i++;
    if (i >= n) break;
    // Most words hold no quote: take them whole.
    const end = line.indexOf(' ', i);
    const stop = end < 0 ? n : end;
    if (quote >= 0 && quote < i) quote = line.indexOf('"', i);
    if (quote < 0 || quote >= stop) {
      words.push(line.slice(i, stop));
      i = stop;
      continue;
    }
    let word = '';
    let quoted = false;
    for (; i < n; i++) {
      const c = line[i]!;
      if (c === '\\' && quoted && line[i + 1] === '"') {
        word += '"';
        i++;
      } else if (c === '"') {
        quoted = !quoted;
      } else if (c === ' ' && !quoted) {
        break;
      } else {
        word += c;
      }
    }
    words.push(word);
  }
  return words;
}
