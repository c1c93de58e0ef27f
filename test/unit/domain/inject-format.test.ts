// vault inject's escaping by format, read back with the parsers bots use: Node's JSON, the
// yaml package, smol-toml, dotenv, and Python's json, yaml (PyYAML) and tomllib.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { parse as parseDotenv } from 'dotenv';
import { parse as parseToml } from 'smol-toml';
import { parse as parseYaml } from 'yaml';
import { fillTemplate, formatOfFile, TemplateFormat } from '../../../src/domain/inject-format';
import { templatePlaceholders } from '../../../src/domain/template';

const PEM = '-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBpZxq1b3rR6ZYv0mXh8dXwqk3u5p0eL1xqVnXb0zYpOoAoGCCqGSM49\nAwEHoUQDQgAEq7mZ3b8nV+K2fJ0x9Lr4w1yPz/5sQe6v7Wm0d1hXcT2uYg8kFzNa\n-----END EC PRIVATE KEY-----\n';
const PASS = 'My"Pass\\word1 #x $HOME `q` é';

const fill = (text: string, format: TemplateFormat, values: string[]) => fillTemplate(text, format, templatePlaceholders(text), values);
const python = (script: string, input: string) => JSON.parse(execFileSync('/usr/bin/python3', ['-c', `import json,sys,yaml,tomllib\ns=sys.stdin.read()\n${script}`], { input, encoding: 'utf8' }));

const TEMPLATES: Record<Exclude<TemplateFormat, 'plain'>, { text: string; read: (s: string) => Record<string, unknown>; py: string }> = {
  json: {
    text: '{\n  "exchange": {\n    "key": {{ vault://cb/apiKey }},\n    "secret": "{{ vault://cb/privateKey }}",\n    "password": "{{ vault://okx/passphrase }}"\n  }\n}\n',
    read: (s) => JSON.parse(s).exchange,
    py: 'print(json.dumps(json.loads(s)["exchange"]))',
  },
  yaml: {
    text: '# hummingbot connector\nkey: {{ vault://cb/apiKey }}\nsecret: "{{ vault://cb/privateKey }}"\npassword: \'{{ vault://okx/passphrase }}\'\n',
    read: (s) => parseYaml(s),
    py: 'print(json.dumps(yaml.safe_load(s)))',
  },
  toml: {
    text: '[exchange]\nkey = {{ vault://cb/apiKey }}\nsecret = "{{ vault://cb/privateKey }}"\npassword = """{{ vault://okx/passphrase }}"""\n',
    read: (s) => parseToml(s).exchange as Record<string, unknown>,
    py: 'print(json.dumps(tomllib.loads(s)["exchange"]))',
  },
  env: {
    text: '# bot\nkey={{ vault://cb/apiKey }}\nsecret={{ vault://cb/privateKey }}\npassword={{ vault://okx/passphrase }}\n',
    read: (s) => parseDotenv(s),
    py: 'sys.exit(0)',
  },
};

describe.each(Object.keys(TEMPLATES) as (keyof typeof TEMPLATES)[])('%s', (format) => {
  const t = TEMPLATES[format];
  it('a PEM, a passphrase with quotes and backslashes, quoted or bare: read back exactly by Node and Python parsers', () => {
    const values = ['organizations/1b3e/apiKeys/9f2c', PEM, PASS];
    const out = fill(t.text, format, values);
    const expected = { key: values[0], secret: values[1], password: values[2] };
    expect(t.read(out)).toEqual(expected);
    if (format !== 'env') expect(python(t.py, out)).toEqual(expected);
    else expect(shRead(out, ['key', 'secret', 'password'])).toEqual(expected);
  });

  it('property: random secrets (quotes, backslashes, unicode, newlines, #, $, backticks) read back byte for byte, or are refused', () => {
    const ch = fc.constantFrom(...'aZ9 "\'\\#$`\n\t{}:-,[]é鍵😀\u2028\x7f'.split(/(?:)/u));
    const secret = fc.array(ch, { minLength: 1, maxLength: 30 }).map((a) => a.join(''));
    fc.assert(
      fc.property(secret, secret, (a, b) => {
        let out: string;
        try {
          out = fill(t.text, format, ['k', a, b]);
        } catch (err) {
          // Refusals name the placeholder, never the value.
          expect(String((err as Error).message)).toMatch(/vault:\/\/(cb|okx)\//);
          for (const v of [a, b]) if (v.length >= 6) expect((err as Error).message).not.toContain(v);
          return;
        }
        expect(t.read(out)).toEqual({ key: 'k', secret: a, password: b });
        if (format === 'env') expect(shRead(out, ['key', 'secret', 'password'])).toEqual({ key: 'k', secret: a, password: b });
      }),
      { numRuns: 300 },
    );
  });
});

it('the bare and double-quoted places never refuse (only .env can meet a value it cannot hold)', () => {
  const nasty = `a"b'c\\d\n$e\`f\`\r\n#g\u2028\x7f`;
  for (const format of ['json', 'yaml', 'toml'] as const) {
    const text = { json: '{"a": {{ vault://x/y }}, "b": "{{ vault://x/y }}"}', yaml: 'a: {{ vault://x/y }}\nb: "{{ vault://x/y }}"\n', toml: 'a = {{ vault://x/y }}\nb = "{{ vault://x/y }}"\n' }[format];
    const out = fill(text, format, [nasty, nasty]);
    expect(TEMPLATES[format].read === undefined).toBe(false);
    const back = format === 'json' ? JSON.parse(out) : format === 'yaml' ? parseYaml(out) : parseToml(out);
    expect(back).toEqual({ a: nasty, b: nasty });
    expect(python(format === 'json' ? 'print(json.dumps(json.loads(s)))' : format === 'yaml' ? 'print(json.dumps(yaml.safe_load(s)))' : 'print(json.dumps(tomllib.loads(s)))', out)).toEqual({ a: nasty, b: nasty });
  }
});

it('a YAML block scalar keeps the PEM with its indentation', () => {
  const out = fill('cb:\n  secret: |\n    {{ vault://cb/privateKey }}\n  next: 1\n', 'yaml', [PEM]);
  expect(parseYaml(out)).toEqual({ cb: { secret: PEM, next: 1 } });
});

it('a value that cannot be represented: an error naming the placeholder and line, never the value', () => {
  // A single-quoted YAML scalar folds newlines; a single-quoted TOML string cannot hold a quote.
  expect(() => fill("a: 1\nkey: '{{ vault://cb/privateKey }}'\n", 'yaml', [PEM])).toThrow(/^the value of \{\{ vault:\/\/cb\/privateKey \}\} on line 2 cannot be written into this YAML file/);
  expect(() => fill("key = '{{ vault://okx/passphrase }}'\n", 'toml', ["it's"])).toThrow(/vault:\/\/okx\/passphrase \}\} on line 1/);
  expect(() => fill('KEY="{{ vault://okx/passphrase }}"\n', 'env', ['a\\nb'])).toThrow(/vault:\/\/okx\/passphrase/);
  // A placeholder in a comment would put the secret in the comment.
  expect(() => fill('a: 1 # {{ vault://x/y }}\n', 'yaml', ['v'])).toThrow(/is not inside a value/);
});

it('the format comes from the file name, past a template suffix', () => {
  expect(['config.template.json', 'conf_binance.yml.tmpl', 'bot.yaml', 'pyproject.toml', '.env', '.env.template', 'prod.env', 'notes.txt'].map(formatOfFile)).toEqual(['json', 'yaml', 'yaml', 'toml', 'env', 'env', 'env', 'plain']);
});

// .env files are read by dotenv-style loaders AND by POSIX shells (`set -a; . ./bot.env`).
const shRead = (text: string, names: string[]): Record<string, string> => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'inject-sh-'));
  try {
    fs.writeFileSync(path.join(dir, 'f.env'), text, { mode: 0o600 });
    const script = `set -a; . ./f.env; printf '%s\\0' ${names.map((n) => `"$${n}"`).join(' ')}`;
    const r = spawnSync('/bin/sh', ['-c', script], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) throw new Error(`sh failed: ${r.stderr}`);
    const parts = r.stdout.split('\0');
    return Object.fromEntries(names.map((n, i) => [n, parts[i]!]));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
};

describe('.env: what inject writes reads back the same in sh and in dotenv, or is refused', () => {
  it('a value ending in a backslash in a double-quoted placeholder is refused, naming it (sh would read past the quote)', () => {
    const t = 'OKX_PASSPHRASE="{{ vault://p8/passphrase }}"\nDRY_RUN="true"\n';
    expect(() => fill(t, 'env', ['a\\'])).toThrow(/^the value of \{\{ vault:\/\/p8\/passphrase \}\} on line 1 cannot be written/);
    for (const v of ['a$HOME', 'a`id`', 'a"b', 'a\\$b']) expect(() => fill(t, 'env', [v])).toThrow(/vault:\/\/p8\/passphrase/);
    // What both read alike stays allowed: sh and dotenv agree on it.
    const out = fill(t, 'env', ["it's a\\b c #x é"]);
    expect(shRead(out, ['OKX_PASSPHRASE', 'DRY_RUN'])).toEqual({ OKX_PASSPHRASE: "it's a\\b c #x é", DRY_RUN: 'true' });
    expect(parseDotenv(out)).toEqual({ OKX_PASSPHRASE: "it's a\\b c #x é", DRY_RUN: 'true' });
  });

  it('a placeholder that is not the whole value is refused: sh would run it or read it otherwise than dotenv', () => {
    const bad = ['AUTH=Bearer {{ vault://okx1/apiSecret }}\n', 'J= {{ vault://okx1/apiSecret }}\n', 'X=a;{{ vault://okx1/apiSecret }}\n', 'I=pre{{ vault://okx1/apiSecret }}\n', 'K={{ vault://okx1/apiSecret }}{{ vault://okx1/apiKey }}\n', 'L="{{ vault://okx1/apiSecret }}"\'{{ vault://okx1/apiKey }}\'\n'];
    for (const t of bad) expect(() => fill(t, 'env', ['Zm9vYmFy', 'abc'])).toThrow(/vault:\/\/okx1\/api(Secret|Key) \}\} on line 1 cannot be written into this \.env file/);
    expect(() => fill(bad[0]!, 'env', ['Zm9vYmFy'])).toThrow(expect.objectContaining({ hints: [expect.stringMatching(/KEY=\{\{ vault:\/\/\.\.\. \}\} without quotes/)] }));
  });

  it('template lines a shell expands do not block later placeholders; a CRLF template is refused with a hint saying so', () => {
    const out = fill('HOME_DIR=${HOME}/bot\nKEY={{ vault://cb/apiKey }}\n', 'env', ['k1']);
    expect(shRead(out, ['KEY'])).toEqual({ KEY: 'k1' });
    expect(() => fill('A=1\r\nKEY={{ vault://cb/apiKey }}\r\n', 'env', ['k1'])).toThrow(expect.objectContaining({ hints: [expect.stringMatching(/CRLF/), expect.stringMatching(/KEY=/)] }));
  });

  it('bare, exported and commented placeholders: sh and dotenv both read every value exactly', () => {
    const t = '# bot\nexport KEY={{ vault://cb/apiKey }} # the key\nSECRET={{ vault://cb/privateKey }}\nPASS={{ vault://okx/passphrase }}\nPLAIN="x y"\n';
    const values = ['organizations/1b3e/apiKeys/9f2c', PEM, "it's"];
    const out = fill(t, 'env', values);
    const want = { KEY: values[0], SECRET: PEM, PASS: "it's", PLAIN: 'x y' };
    expect(shRead(out, Object.keys(want))).toEqual(want);
    expect(parseDotenv(out)).toEqual(want);
  });

  it('property: random secrets in quoted, bare and partial places: sh and dotenv read back exactly, or inject refuses naming the placeholder', () => {
    const templates = [
      'A={{ vault://x/a }}\nB={{ vault://x/b }}\n',
      'A="{{ vault://x/a }}"\nB="{{ vault://x/b }}"\n',
      "A='{{ vault://x/a }}'\nexport B={{ vault://x/b }} # c\n",
      'A=Bearer {{ vault://x/a }}\nB=pre{{ vault://x/b }}\n',
      'A="{{ vault://x/a }}"\nB= {{ vault://x/b }}\n',
    ];
    const ch = fc.constantFrom(...'aZn9 "\'\\#$`\n\t{}()é鍵😀;|&*'.split(/(?:)/u));
    const secret = fc.array(ch, { minLength: 1, maxLength: 16 }).map((a) => a.join(''));
    fc.assert(
      fc.property(fc.nat(templates.length - 1), secret, secret, (ti, a, b) => {
        let out: string;
        try {
          out = fill(templates[ti]!, 'env', [a, b]);
        } catch (err) {
          expect((err as Error).message).toMatch(/^the value of \{\{ vault:\/\/x\/[ab] \}\} on line [12] cannot be written/);
          return;
        }
        expect(parseDotenv(out)).toEqual({ A: a, B: b });
        expect(shRead(out, ['A', 'B'])).toEqual({ A: a, B: b });
      }),
      { numRuns: 200 },
    );
  });
});

describe('YAML block scalars: the value is exactly the secret, chomping included', () => {
  it('`|` adds a final newline the passphrase lacks: refused, hinting `|-`', () => {
    expect(() => fill('p: |\n  {{ vault://okx1/passphrase }}\n', 'yaml', ['pass'])).toThrow(expect.objectContaining({ message: expect.stringMatching(/vault:\/\/okx1\/passphrase \}\} on line 2/), hints: [expect.stringMatching(/\|-/)] }));
    expect(parseYaml(fill('p: |-\n  {{ vault://okx1/passphrase }}\n', 'yaml', ['pass']))).toEqual({ p: 'pass' });
  });

  it('`|-` drops the final newline of a PEM and `|+` before a blank line adds one: refused, hinting `|`', () => {
    expect(() => fill('pem: |-\n  {{ vault://cb/privateKey }}\nnext: 1\n', 'yaml', [PEM])).toThrow(expect.objectContaining({ hints: [expect.stringMatching(/`\|`/)] }));
    expect(() => fill('pem: |+\n  {{ vault://cb/privateKey }}\n\nnext: 1\n', 'yaml', [PEM])).toThrow(/vault:\/\/cb\/privateKey \}\} on line 2/);
    const out = fill('pem: |\n  {{ vault://cb/privateKey }}\nnext: 1\n', 'yaml', [PEM]);
    expect(python('print(json.dumps(yaml.safe_load(s)))', out)).toEqual({ pem: PEM, next: 1 });
  });
});
