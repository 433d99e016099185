/** POSIX shell quoting: every value that reaches a remote shell goes through here. */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_./:=@%+,-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * A heredoc whose terminator cannot occur in the body (bodies are generated, never user text);
 * `rest` continues the command line after the redirection (`|| true`).
 */
export function heredoc(command: string, lines: readonly string[], rest = '', terminator = 'NETCTL_EOF'): string {
  if (lines.some((line) => line === terminator)) throw new Error(`heredoc body contains its terminator ${terminator}`);
  return `${command} <<'${terminator}'${rest}\n${lines.join('\n')}\n${terminator}`;
}
