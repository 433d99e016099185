/** POSIX shell quoting: every value that reaches a remote shell goes through here. */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_./:=@%+,-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * A heredoc whose terminator cannot occur in the body (bodies are generated, never user text);
 * `body` is its lines without a final newline; `rest` continues the command line after the
 * redirection (`|| true`).
 */
export function heredoc(command: string, body: string, rest = '', terminator = 'NETCTL_EOF'): string {
  if (!/^[A-Z_]+$/.test(terminator)) throw new Error(`heredoc terminator must be capitals and _, got ${terminator}`);
  if (new RegExp(`^${terminator}$`, 'm').test(body)) throw new Error(`heredoc body contains its terminator ${terminator}`);
  return `${command} <<'${terminator}'${rest}\n${body}\n${terminator}`;
}
