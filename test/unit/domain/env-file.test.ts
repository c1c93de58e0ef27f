// The --env-from format: read by dotenv's own parser (so a bot's .env means the same to exec
// as to the bot), with vault:// references; quoteForDotenv writes values it reads back exactly.
import { parse as parseDotenv } from 'dotenv';
import { parseEnvFile, quoteForDotenv } from '../../../src/domain/env-file';
import { CANARY } from '../../helpers/canary';

describe('env file', () => {
  it('reads references, plain values, quotes, export prefixes, comments and CRLF', () => {
    const lines = parseEnvFile('# comment\r\nexport A=vault://okx-main/apiKey\r\nB="two words"\nC=\'single\' \nD=plain # note\n\nE="line\\nbreak"\n');
    expect(lines).toEqual([
      { name: 'A', ref: { entry: 'okx-main', field: 'apiKey' } },
      { name: 'B', value: 'two words' },
      { name: 'C', value: 'single' },
      { name: 'D', value: 'plain' },
      { name: 'E', value: 'line\nbreak' },
    ]);
  });

  it('means what dotenv means: a quoted value with a comment, backticks, multi-line quotes', () => {
    const text = 'W="v" # comment\nB=`back tick`\nM="first\nsecond"\nS=\'a\\nb\'\nQ="x\\"y"\n';
    const dotenv = parseDotenv(text);
    expect(parseEnvFile(text)).toEqual(Object.entries(dotenv).map(([name, value]) => ({ name, value })));
    expect(dotenv).toEqual({ W: 'v', B: 'back tick', M: 'first\nsecond', S: 'a\\nb', Q: 'x\\"y' });
  });

  it('names the line of a bad entry (a line dotenv would skip), never its content', () => {
    expect(() => parseEnvFile(`OK=1\n${CANARY.apiSecret}\n`)).toThrow(/^line 2 of the env file is not VAR=value$/);
    expect(() => parseEnvFile('X=vault://Bad Entry/apiKey')).toThrow(/line 1 of the env file has a malformed vault:\/\/ reference/);
  });
});

describe('env file quoting', () => {
  it('what quoteForDotenv writes, parseEnvFile reads back exactly', () => {
    const values = ['plain', 'two words', 'line\nbreak', 'crlf\r\nend', 'a literal \\n (backslash n)', 'quote " inside', 'back\\slash', 'dollar $HOME and ${X}', '\\', '', "single ' quote", 'trailing # not a comment', 'line\u2028separator', 'para\u2029separator', 'next\u0085line', ' padded '];
    const text = values.map((v, i) => `V${i}=${quoteForDotenv(v)}`).join('\n');
    expect(parseEnvFile(text)).toEqual(values.map((v, i) => ({ name: `V${i}`, value: v })));
  });

  it('refuses a value no dotenv quoting carries', () => {
    expect(quoteForDotenv('all \' three " quotes ` and a # sign')).toBeNull();
  });
});

it('reads a value holding U+2028 unquoted too (the long fuzz run found the quoted case)', () => {
  expect(parseEnvFile('A=x\u2028y\nB="p\u2029q"\nC=r\u2028s # comment\n')).toEqual([
    { name: 'A', value: 'x\u2028y' },
    { name: 'B', value: 'p\u2029q' },
    { name: 'C', value: 'r\u2028s' },
  ]);
});
