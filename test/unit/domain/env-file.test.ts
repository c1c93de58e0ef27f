// The --env-file format: what quoteEnvValue writes (vault import --rewrite-refs, export --format
// env), parseEnvFile reads back exactly.
import { parseEnvFile, quoteEnvValue } from '../../../src/domain/env-file';
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

  it('names the line of a bad entry, never its content', () => {
    expect(() => parseEnvFile(`OK=1\n${CANARY.apiSecret}\n`)).toThrow(/^line 2 of the env file is not VAR=value$/);
    expect(() => parseEnvFile('X=vault://Bad Entry/apiKey')).toThrow(/line 1 of the env file has a malformed vault:\/\/ reference/);
  });
});

describe('env file quoting', () => {
  it('what quoteEnvValue writes, parseEnvFile reads back exactly', () => {
    const values = ['plain', 'two words', 'line\nbreak', 'crlf\r\nend', 'a literal \\n (backslash n)', 'quote " inside', 'back\\slash', 'dollar $HOME and ${X}', '\\', '', "single ' quote", 'trailing # not a comment', 'line\u2028separator', 'para\u2029separator', 'next\u0085line'];
    const text = values.map((v, i) => `V${i}=${quoteEnvValue(v)}`).join('\n');
    expect(parseEnvFile(text)).toEqual(values.map((v, i) => ({ name: `V${i}`, value: v })));
  });
});

it('reads a value holding U+2028 unquoted too (the long fuzz run found the quoted case)', () => {
  expect(parseEnvFile('A=x\u2028y\nB="p\u2029q"\nC=r\u2028s # comment\n')).toEqual([
    { name: 'A', value: 'x\u2028y' },
    { name: 'B', value: 'p\u2029q' },
    { name: 'C', value: 'r\u2028s' },
  ]);
});
