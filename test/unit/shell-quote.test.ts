/** Quoting for the node's shell: words, and heredocs whose bodies cannot end them early. */
import {describe, expect, it} from '@jest/globals';
import {heredoc, shellQuote} from '../../src/shell/quote.js';

describe('shellQuote', () => {
  it.each([
    ['plain-word_1.2:3', 'plain-word_1.2:3'],
    ['two words', "'two words'"],
    ["it's", "'it'\\''s'"],
    ['$(reboot)', "'$(reboot)'"],
    ['', "''"],
  ])('quotes %j as %s', (word, quoted) => {
    expect(shellQuote(word)).toBe(quoted);
  });
});

describe('heredoc', () => {
  it('wraps the body between the command and its terminator', () => {
    expect(heredoc('ip -batch -', 'link add a type bridge\nlink set a up', ' || true')).toBe(
      "ip -batch - <<'NETCTL_EOF' || true\nlink add a type bridge\nlink set a up\nNETCTL_EOF");
  });

  it.each([
    ['first', 'NETCTL_EOF\nrest'],
    ['in the middle', 'one\nNETCTL_EOF\nrest'],
    ['last', 'one\nNETCTL_EOF'],
    ['alone', 'NETCTL_EOF'],
  ])('refuses a body with its terminator as a line (%s)', (_where, body) => {
    expect(() => heredoc('cat', body)).toThrow('heredoc body contains its terminator NETCTL_EOF');
  });

  it('accepts the terminator inside a longer line', () => {
    expect(heredoc('cat', 'x NETCTL_EOF\nNETCTL_EOFS\n NETCTL_EOF', '', 'NETCTL_EOF')).toContain('\n NETCTL_EOF\nNETCTL_EOF');
  });
});
