// vault inject's escaping by format, read back with the parsers bots use: Node's JSON, the
// yaml package, smol-toml, dotenv, and Python's json, yaml (PyYAML) and tomllib.
import { execFileSync } from 'node:child_process';
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
