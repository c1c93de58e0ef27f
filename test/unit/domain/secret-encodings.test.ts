import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { Masker } from '../../../src/domain/masker';
import { randomBytes } from 'node:crypto';
import { base64Cores, encodingsOf, needlesFor } from '../../../src/domain/secret-encodings';
import { NeedleMatcher, trieRegex, trieRegexes } from '../../../src/domain/needle-matcher';
import { Entry } from '../../../src/domain/entry';
import { Secret } from '../../../src/domain/secret';
import { CANARY } from '../../helpers/canary';

const entry = (secrets: Record<string, string>): Entry => ({
  name: 'e', exchange: 'other', permissions: [], ips: [], created: 'c', updated: 'u', env: {},
  secrets: Object.fromEntries(Object.entries(secrets).map(([k, v]) => [k, new Secret(v)])),
});

it('a base64 core is found inside base64 of any text around the value', () => {
  const value = Buffer.from('the-secret-value-123');
  const cores = base64Cores(value);
  for (let pre = 0; pre < 6; pre++) {
    for (let post = 0; post < 4; post++) {
      const enc = Buffer.concat([randomBytes(pre), value, randomBytes(post)]).toString('base64');
      expect(cores.some((c) => enc.includes(c))).toBe(true);
    }
  }
});

it('the one-pass matcher finds what a search per needle finds, on the right lines', () => {
  const values = Array.from({ length: 40 }, (_, i) => `v${i}-${randomBytes(9).toString('base64')}`);
  const { needles } = needlesFor([entry(Object.fromEntries(values.map((v, i) => [`f${i}`, v])))]);
  const matcher = new NeedleMatcher(needles);
  for (let round = 0; round < 50; round++) {
    const lines = Array.from({ length: 20 }, () => (Math.random() < 0.2 ? `x ${values[Math.floor(Math.random() * values.length)]} y` : randomBytes(30).toString('hex')));
    const buf = Buffer.from(lines.join('\n'));
    const expected = lines.flatMap((l, i) => values.filter((v) => l.includes(v)).map((v, _, __) => `${values.indexOf(v)}@${i + 1}`)).sort();
    const got = matcher.find(buf).filter((h) => h.form === 'raw').map((h) => `${h.label.slice(2, h.label.indexOf(' '))}@${h.line}`).map((s) => s.replace(/^f/, '')).sort();
    expect(got).toEqual(expected);
  }
});

it('values shorter than 8 characters are skipped and counted', () => {
  const { needles, skipped } = needlesFor([entry({ apiKey: 'short', apiSecret: 'long enough value' })]);
  expect(skipped).toBe(1);
  expect(new Set(needles.map((n) => n.label))).toEqual(new Set(['e.apiSecret (v1, active)']));
});

// What real programs print when they handle a key: each must be masked and found by scan,
// through the one list of encodings both use.
const PEM = '-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBpZxq1b3rR6ZYv0mXh8dXwqk3u5p0eL1xqVnXb0zYpOoAoGCCqGSM49\nAwEHoUQDQgAEq7mZ3b8nV+K2fJ0x9Lr4w1yPz/5sQe6v7Wm0d1hXcT2uYg8kFzNa\nRb3oP4sLx9Vt6Q0eJ2mHcY1uK8wZ5aB7cD==\n-----END EC PRIVATE KEY-----\n';
const PASS = 'Gr1d-Bot!pass#9 "q" \\ `q` $HOME é';

function derivations(v: string): Record<string, string> {
  const py = (expr: string) => execFileSync('/usr/bin/python3', ['-c', `import json,sys,urllib.parse; v=sys.stdin.read(); sys.stdout.write(${expr})`], { input: v, encoding: 'utf8' });
  const out: Record<string, string> = {
    raw: v,
    'JSON.stringify': JSON.stringify({ secret: v }),
    'python json.dumps': py('json.dumps({"secret": v})'),
    'python json.dumps ensure_ascii=False': py('json.dumps({"secret": v}, ensure_ascii=False)'),
    'php-style \\/': JSON.stringify(v).replace(/\//g, '\\/'),
    crlf: v.replace(/\n/g, '\r\n'),
    encodeURIComponent: `https://x.test/?p=${encodeURIComponent(v)}`,
    'form encoding': new URLSearchParams({ p: v }).toString(),
    'python quote': py('urllib.parse.quote(v)'),
    'python quote_plus': py('urllib.parse.quote_plus(v)'),
    'base64 after a prefix': Buffer.from(`user:${v}`).toString('base64'),
    base64url: Buffer.from(`xy${v}`).toString('base64url'),
    'shell single quotes': `'${v.replace(/'/g, `'\\''`)}'`,
  };
  v.split('\n').forEach((l, i) => {
    if (l.length >= 8 && !l.startsWith('-----')) out[`line ${i + 1}`] = `${l}\n`;
  });
  return out;
}

describe.each([['a PEM key', PEM], ['a passphrase with quotes, #, $, backticks and unicode', PASS]])('%s', (_what, value) => {
  const matcher = new NeedleMatcher(needlesFor([entry({ privateKey: value })]).needles);
  it.each(Object.entries(derivations(value)))('%s: masked and found by scan', (_form, text) => {
    const printed = `log: ${text} end\n`;
    const m = new Masker([{ name: 'CB_KEY', value }]);
    const masked = Buffer.concat([m.push(Buffer.from(printed)), m.flush()]).toString();
    expect(masked).toContain('<concealed:CB_KEY>');
    expect(masked).not.toContain(text);
    for (const l of value.split('\n')) if (l.length >= 8 && !l.startsWith('-----')) expect(masked).not.toContain(l);
    expect(matcher.find(Buffer.from(printed)).length).toBeGreaterThan(0);
  });
});

it('the armour lines and short lines of a PEM are not encodings (they are in every key)', () => {
  const texts = encodingsOf(PEM).map((e) => e.text);
  expect(texts).not.toContain('-----BEGIN EC PRIVATE KEY-----');
  expect(texts).not.toContain('-----END EC PRIVATE KEY-----');
  expect(texts.every((t) => t === PEM || t.length >= 8)).toBe(true);
});

it('property: every encoding of a random secret in output is masked and found', () => {
  const alphabet = fc.constantFrom(...'aZ9 "\'\\#$`\n\t{}<>/+=&%é鍵😀-'.split(/(?:)/u));
  fc.assert(
    fc.property(fc.array(alphabet, { minLength: 8, maxLength: 40 }).map((a) => a.join('')), (value) => {
      const matcher = new NeedleMatcher(needlesFor([entry({ apiSecret: value })]).needles);
      const outputs = [value, JSON.stringify(value), encodeURIComponent(value), new URLSearchParams({ p: value }).toString(), Buffer.from(`k:${value}`).toString('base64'), value.replace(/\n/g, '\r\n')];
      for (const text of outputs) {
        const m = new Masker([{ name: 'S', value }]);
        const masked = Buffer.concat([m.push(Buffer.from(`> ${text} <`)), m.flush()]).toString();
        expect(masked).not.toContain(text);
        expect(matcher.find(Buffer.from(`> ${text} <`)).length).toBeGreaterThan(0);
      }
    }),
    { numRuns: 300 },
  );
});

it('trieRegex finds, at the leftmost place, the longest of the texts (as a flat search would)', () => {
  const word = fc.array(fc.constantFrom('a', 'b', '.', '\\', '(', '\n', 'é'), { minLength: 1, maxLength: 6 }).map((a) => a.join(''));
  fc.assert(
    fc.property(fc.uniqueArray(word, { minLength: 1, maxLength: 8 }), fc.array(fc.constantFrom('a', 'b', '.', '\\', '(', '\n', 'é', 'x'), { maxLength: 40 }).map((a) => a.join('')), (texts, hay) => {
      const re = trieRegex(texts);
      let at = 0;
      for (;;) {
        re.lastIndex = at;
        const m = re.exec(hay);
        // Brute force: the first position where any text starts, and the longest text there.
        let want: { i: number; t: string } | null = null;
        for (let i = at; i < hay.length && !want; i++) {
          const here = texts.filter((t) => hay.startsWith(t, i)).sort((x, y) => y.length - x.length);
          if (here.length) want = { i, t: here[0]! };
        }
        expect(m ? { i: m.index, t: m[0] } : null).toEqual(want);
        if (!m) break;
        at = m.index + m[0].length;
      }
    }),
    { numRuns: 500 },
  );
});

// Forms an outside red team saw bots print, each made by the real program that prints it, for
// values that hold both quotes, a backslash, a backtick, $, #, a newline, unicode and an emoji.
// The value reaches every program on standard input, never on its command line.
const NASTY = 'Gr1dBot\'Pass"\\Back`tick$HOME#x é鍵😀-tail-Segment9';
const NASTY_NL = 'Gr1dBot\'Pass"\\Back`tick$HOME#x\né鍵😀-tail-Segment9';
// PyYAML single-quotes this one (it starts with a quote and holds ": ").
const YAML_SQ = '\'Gr1dBot\'Pass" #x: $HOME`tail-Segment9';
// Long enough that its base64 wraps over three lines.
const LONG = `${CANARY.apiKey}${CANARY.apiSecret}`;

const run = (file: string, args: string[], input: string, env: Record<string, string> = {}) =>
  execFileSync(file, args, { input, encoding: 'utf8', env: { PATH: process.env.PATH!, LANG: 'C.UTF-8', ...env } });
const python = (code: string, v: string) => run('/usr/bin/python3', ['-c', `import sys,shlex,json,base64,yaml; v=sys.stdin.read(); ${code}`], v);
const node = (code: string, v: string) => run(process.execPath, ['-e', `const v=require('fs').readFileSync(0,'utf8'); ${code}`], v);
const bash = (code: string, v: string, env: Record<string, string> = {}) => run('/bin/bash', ['-c', `v=$(cat); ${code}`], v, env);

const programForms: [string, string, () => string][] = [
  ...[NASTY, NASTY_NL].flatMap((v, i): [string, string, () => string][] => {
    const which = i ? 'with a newline' : 'on one line';
    return [
      [`python shlex.quote, ${which}`, v, () => python('print(shlex.quote(v))', v)],
      [`python repr, ${which}`, v, () => python('print(repr(v))', v)],
      [`python print of a dict, ${which}`, v, () => python("print({'password': v})", v)],
      [`PyYAML safe_dump, ${which}`, v, () => python("print(yaml.safe_dump({'password': v}))", v)],
      // On one line PyYAML with allow_unicode prints the value plain, as it is: nothing new.
      ...(i ? [[`PyYAML safe_dump allow_unicode, ${which}`, v, () => python("print(yaml.safe_dump({'password': v}, allow_unicode=True))", v)] as [string, string, () => string]] : []),
      [`node console.log of an object, ${which}`, v, () => node('console.log({p: v})', v)],
      [`node JSON.stringify(JSON.stringify(v)), ${which}`, v, () => node('console.log(JSON.stringify({body: JSON.stringify({p: v})}))', v)],
      [`node encodeURI, ${which}`, v, () => node("console.log('https://x.test/' + encodeURI(v))", v)],
      [`node escape, ${which}`, v, () => node('console.log(escape(v))', v)],
      [`bash printf %q, ${which}`, v, () => bash("printf 'export P=%q\\n' \"$v\"", v)],
      [`bash printf %q in the C locale, ${which}`, v, () => bash("printf 'export P=%q\\n' \"$v\"", v, { LANG: 'C', LC_ALL: 'C' })],
      [`bash \${v@Q}, ${which}`, v, () => bash('echo "P=${v@Q}"', v)],
    ];
  }),
  ['node console.log of an object, both quotes and no backtick', 'Gr1dBot\'Pass"\\Back$HOME#x-tail-Segment9', () => node('console.log({p: v})', 'Gr1dBot\'Pass"\\Back$HOME#x-tail-Segment9')],
  ['PyYAML safe_dump single-quoted', YAML_SQ, () => python("print(yaml.safe_dump({'password': v}))", YAML_SQ)],
  ['coreutils base64 (76 columns) of the value printed alone', LONG, () => run('/bin/bash', ['-c', 'printf "%s\\n" "$(cat)" | base64'], LONG)],
  ['coreutils base64 -w 64 (PEM lines) of the value printed alone', LONG, () => run('/bin/bash', ['-c', 'cat | base64 -w 64'], LONG)],
  ['python base64.encodebytes after a two-byte prefix', LONG, () => python("sys.stdout.write(base64.encodebytes(b'k:' + v.encode()).decode())", LONG)],
];

describe.each(programForms)('%s: masked and found by scan', (_what, value, produce) => {
  const printed = `log: ${produce()} end\n`;
  const pieces = ['Gr1dBot', 'Segment9'].filter((p) => value.includes(p));
  it('masking leaves none of it', () => {
    const m = new Masker([{ name: 'P', value }]);
    const masked = Buffer.concat([m.push(Buffer.from(printed)), m.flush()]).toString();
    expect(masked).toContain('<concealed:P>');
    for (const p of pieces) expect(masked).not.toContain(p);
    // Wrapped base64: no line of it (beyond the few characters next to the end) survives.
    if (value === LONG) for (const l of printed.split('\n')) if (l.length >= 12) expect(masked).not.toContain(l);
  });
  it('scan finds it', () => {
    expect(new NeedleMatcher(needlesFor([entry({ p: value })]).needles).find(Buffer.from(printed)).length).toBeGreaterThan(0);
  });
});

describe.each([NASTY, NASTY_NL])('a UTF-16LE file with a BOM (PowerShell 5 `>`), value %j', (value) => {
  // Python's "utf-16" codec writes a BOM then little-endian, as PowerShell 5 does.
  const file = (code: string) => execFileSync('/usr/bin/python3', ['-c', `import sys,json,io; v=sys.stdin.read(); b=io.BytesIO(); w=io.TextIOWrapper(b, encoding='utf-16'); ${code}; w.flush(); sys.stdout.buffer.write(b.getvalue())`], { input: value });
  it.each([
    ['the raw value', "w.write('PASSWORD=' + v + '\\r\\n')"],
    ['the JSON-escaped value', "w.write(json.dumps({'password': v}, ensure_ascii=False))"],
  ])('%s: found by scan and masked', (_what, code) => {
    const bytes = file(code);
    expect(bytes.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xfe]));
    expect(new NeedleMatcher(needlesFor([entry({ p: value })]).needles).find(bytes).length).toBeGreaterThan(0);
    const m = new Masker([{ name: 'P', value }]);
    const masked = Buffer.concat([m.push(bytes), m.flush()]);
    expect(masked.includes(Buffer.from('<concealed:P>'))).toBe(true);
    expect(masked.includes(Buffer.from('Gr1dBot', 'utf16le'))).toBe(false);
    expect(masked.includes(Buffer.from('Segment9', 'utf16le'))).toBe(false);
  });
});

it('a large vault is searched with several expressions, each under V8\'s 20 KiB optimisation limit, and every value is still found', () => {
  const values = Array.from({ length: 300 }, (_, i) => `v${i}-${randomBytes(24).toString('base64')}`);
  const { needles } = needlesFor([entry(Object.fromEntries(values.map((v, i) => [`f${i}`, v])))]);
  const regexes = trieRegexes([...new Set(needles.map((n) => n.bytes.toString('latin1')))]);
  expect(regexes.length).toBeGreaterThan(1);
  for (const re of regexes) expect(re.source.length).toBeLessThanOrEqual(16 * 1024);
  const matcher = new NeedleMatcher(needles);
  const hits = matcher.find(Buffer.from(values.map((v) => `x ${v} y`).join('\n')));
  expect(new Set(hits.filter((h) => h.form === 'raw').map((h) => h.line)).size).toBe(values.length);
  // Their UTF-16LE forms (holding NUL bytes) are found too, in data that has a NUL.
  const utf16 = matcher.find(Buffer.from(values.map((v) => `x ${v} y`).join('\n'), 'utf16le'));
  expect(new Set(utf16.map((h) => h.label)).size).toBe(values.length);
});
