// Filling a config template by its format: each {{ vault://ENTRY/FIELD }} is escaped for
// where it stands (inside a quoted string or bare) in a JSON, YAML, TOML or .env file, and
// the result is parsed back with a real parser before anything is written. Every value must
// read back byte for byte, and nothing else in the file may change meaning; otherwise the
// error names the placeholder, never the value.
import { isDeepStrictEqual } from 'node:util';
import { parse as parseDotenv } from 'dotenv';
import { UsageError } from '../errors';
import { quoteForShellAndDotenv } from './env-quoting';
import { readShEnv } from './sh-env-reader';
import { Placeholder } from './template';

export const TEMPLATE_FORMATS = ['json', 'yaml', 'toml', 'env', 'plain'] as const;
export type TemplateFormat = (typeof TEMPLATE_FORMATS)[number];

const TITLE: Record<TemplateFormat, string> = { json: 'JSON', yaml: 'YAML', toml: 'TOML', env: '.env', plain: 'plain text' };

/** From the template's file name, ignoring a template suffix: config.template.json is JSON. */
export function formatOfFile(file: string): TemplateFormat {
  const base = (file.split(/[\\/]/).pop() ?? '').toLowerCase().replace(/\.(tmpl|template|tpl|in|example|sample|dist)$/, '');
  const ext = base.includes('.') ? base.slice(base.lastIndexOf('.') + 1) : '';
  if (ext === 'json') return 'json';
  if (ext === 'yml' || ext === 'yaml') return 'yaml';
  if (ext === 'toml') return 'toml';
  if (ext === 'env' || base.startsWith('.env')) return 'env';
  return 'plain';
}

type Context = 'double' | 'single' | 'triple-double' | 'triple-single' | 'bare' | 'block';

/** Characters after which a quote starts a quoted scalar (YAML) or value (.env). */
const QUOTE_AFTER: Record<TemplateFormat, RegExp | null> = { json: null, toml: null, yaml: /^$|[:\-[{,?]$/, env: /=$/, plain: null };

/** Where each placeholder stands: a small lexer that knows strings and comments. */
function contexts(text: string, format: TemplateFormat, places: Placeholder[]): Context[] {
  const out: Context[] = [];
  let state: Context | 'comment' = 'bare';
  let p = 0;
  let lineStart = 0;
  for (let i = 0; i < text.length && p < places.length; i++) {
    if (i === places[p]!.start) {
      out.push(state === 'comment' ? 'bare' : state);
      i = places[p]!.end - 1;
      p++;
      continue;
    }
    const c = text[i]!;
    if (c === '\n') lineStart = i + 1;
    if (state === 'comment') {
      if (c === '\n') state = 'bare';
    } else if (state === 'double') {
      if (c === '\\' && format !== 'env') i++;
      else if (c === '"') state = 'bare';
    } else if (state === 'single') {
      if (c === "'" && format === 'yaml' && text[i + 1] === "'") i++;
      else if (c === "'") state = 'bare';
    } else if (state === 'triple-double') {
      if (c === '\\') i++;
      else if (text.startsWith('"""', i)) (state = 'bare'), (i += 2);
    } else if (state === 'triple-single') {
      if (text.startsWith("'''", i)) (state = 'bare'), (i += 2);
    } else if (format !== 'plain') {
      const before = text.slice(lineStart, i).trimEnd();
      const opens = (c === '"' || c === "'") && (QUOTE_AFTER[format] === null || QUOTE_AFTER[format]!.test(before));
      if (c === '#' && format !== 'json' && (format === 'toml' || /(^|\s)$/.test(text.slice(lineStart, i)))) state = 'comment';
      else if (opens && format === 'toml' && text.startsWith(c.repeat(3), i)) (state = c === '"' ? 'triple-double' : 'triple-single'), (i += 2);
      else if (opens) state = c === '"' ? 'double' : 'single';
    }
  }
  while (out.length < places.length) out.push('bare');
  return out;
}

const u = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
const jsonInner = (v: string) => JSON.stringify(v).slice(1, -1);
// PyYAML refuses C1 controls and DEL in a file, and reads U+2028/2029 and U+0085 as line breaks.
const yamlInner = (v: string) => jsonInner(v).replace(/[\x7f-\x9f\u2028\u2029\ufffe\uffff]/g, u);
// TOML basic strings may not hold DEL unescaped.
const tomlInner = (v: string) => jsonInner(v).replace(/\x7f/g, u);

function escape(format: TemplateFormat, ctx: Context, v: string, text: string, place: Placeholder): string {
  switch (format) {
    case 'json':
      return ctx === 'double' ? jsonInner(v) : ctx === 'bare' ? `"${jsonInner(v)}"` : v;
    case 'toml':
      return ctx === 'double' || ctx === 'triple-double' ? tomlInner(v) : ctx === 'bare' ? `"${tomlInner(v)}"` : v;
    case 'env':
      return ctx === 'bare' ? (quoteForShellAndDotenv(v) ?? v) : v;
    case 'yaml': {
      if (ctx === 'double') return yamlInner(v);
      if (ctx === 'single') return v.replace(/'/g, "''");
      const lineStart = text.lastIndexOf('\n', place.start - 1) + 1;
      const lineEnd = text.indexOf('\n', place.end);
      const before = text.slice(lineStart, place.start);
      const after = text.slice(place.end, lineEnd === -1 ? text.length : lineEnd);
      // The whole scalar (`key: {{ ref }}`, `- {{ ref }}`): a double-quoted string.
      if (/[:\-[{,?]\s*$/.test(before) && /^\s*([,\]}].*|#.*)?$/.test(after)) return `"${yamlInner(v)}"`;
      // Inside a block scalar (`key: |` then the placeholder on its own line): keep the indentation.
      if (ctx === 'block') return v.replace(/\n/g, `\n${before}`);
      return v;
    }
    default:
      return v;
  }
}

// Loaded only by inject (and kept out of the bundle, see scripts/build.mjs): every `vault exec`
// would otherwise parse them at start-up.
const parseYaml = (t: string): unknown => (require('yaml') as typeof import('yaml')).parse(t);
const parseToml = (t: string): unknown => (require('smol-toml') as typeof import('smol-toml')).parse(t);

function parseAs(format: TemplateFormat, text: string): unknown {
  if (format === 'json') return JSON.parse(text);
  if (format === 'yaml') return parseYaml(text);
  if (format === 'toml') return parseToml(text);
  return parseDotenv(text);
}

/** The tree with every string (keys too) passed through f. */
function mapStrings(x: unknown, f: (s: string) => string): unknown {
  if (typeof x === 'string') return f(x);
  if (Array.isArray(x)) return x.map((y) => mapStrings(y, f));
  if (x && typeof x === 'object' && !(x instanceof Date)) {
    return Object.fromEntries(Object.entries(x).map(([k, v]) => [f(k), mapStrings(v, f)]));
  }
  return x;
}

const refText = (p: Placeholder) => `{{ vault://${p.entry}/${p.field} }}`;

/**
 * The filled template. A placeholder whose value would not read back exactly, or that
 * stands outside any value (a comment), is an error naming it and its line.
 */
export function fillTemplate(text: string, format: TemplateFormat, places: Placeholder[], given: string[]): string {
  let values = given;
  const ctx = contexts(text, format, places).map((c, i) => (format === 'yaml' && c === 'bare' && /(^|\n)[ \t]*$/.test(text.slice(0, places[i]!.start)) ? 'block' : c));
  // A block scalar ends its text with its own line break (`|`), or none (`|-`): the value's
  // final line break is the block's.
  values = values.map((v, i) => (ctx[i] === 'block' ? v.replace(/\n$/, '') : v));
  const render = (value: (i: number) => string) => {
    let out = '';
    let at = 0;
    places.forEach((p, i) => {
      out += text.slice(at, p.start) + escape(format, ctx[i]!, value(i), text, p);
      at = p.end;
    });
    return out + text.slice(at);
  };
  const filled = render((i) => values[i]!);
  if (format === 'plain') return filled;

  // Markers first: where each placeholder lands in the parsed file, without any secret.
  let nonce = 0;
  while (text.includes(`exvaultmark${nonce}n`)) nonce++;
  const marker = (i: number) => `exvaultmark${nonce}n${i}x`;
  const markerRe = new RegExp(`exvaultmark${nonce}n(\\d+)x`, 'g');
  let tree: unknown;
  try {
    tree = parseAs(format, render(marker));
  } catch {
    throw new UsageError(`the template is not valid ${TITLE[format]}`, [`give the format with --format (${TEMPLATE_FORMATS.join(', ')})`]);
  }
  const seen = new Set<number>();
  mapStrings(tree, (s) => s.replace(markerRe, (m, i: string) => (seen.add(Number(i)), m)));
  const outside = places.findIndex((_p, i) => !seen.has(i));
  if (outside !== -1) {
    throw new UsageError(`${refText(places[outside]!)} on line ${places[outside]!.line} is not inside a value of the ${TITLE[format]} file`, ['a placeholder in a comment would write the secret into the comment']);
  }
  // The text a parsed string should hold with placeholder `only` (or all) filled. Where a
  // placeholder is the whole string (a YAML block adds its chomping's line breaks), that is
  // exactly the secret, so a block that adds or drops a final line break is refused.
  const whole = new RegExp(`^exvaultmark${nonce}n(\\d+)x\n*$`);
  const expectString = (only?: number) => (s: string) => {
    const w = whole.exec(s);
    const i = w ? Number(w[1]) : -1;
    if (w && (only === undefined || i === only) && (s === marker(i) || ctx[i] === 'block')) return given[i]!;
    return s.replace(markerRe, (m, j: string) => (only === undefined || Number(j) === only ? values[Number(j)]! : m));
  };
  const expectWith = (only?: number) => mapStrings(tree, expectString(only));
  // .env: the variables holding a placeholder must read the same in a POSIX shell too.
  const envHeld = format === 'env' ? Object.entries(tree as Record<string, string>).filter(([k, v]) => new RegExp(markerRe.source).test(k + v)).map(([k]) => k) : [];
  const shAgrees = (rendered: string, only?: number) => {
    const sh = readShEnv(rendered);
    const expected = expectWith(only) as Record<string, string>;
    return envHeld.every((k) => {
      const name = expectString(only)(k);
      return sh.get(name) !== undefined && sh.get(name) === expected[name];
    });
  };
  const readsBack = (rendered: string, only?: number) => {
    try {
      // Through mapStrings too, so both sides are plain objects (parsers differ in prototypes).
      return isDeepStrictEqual(mapStrings(parseAs(format, rendered), (s) => s), expectWith(only)) && (format !== 'env' || shAgrees(rendered, only));
    } catch {
      return false;
    }
  };
  if (readsBack(filled)) return filled;
  // Find the placeholder to blame: fill one at a time.
  const bad = places.findIndex((_p, i) => !readsBack(render((j) => (j === i ? values[j]! : marker(j))), i));
  const at = bad === -1 ? 0 : bad;
  const p = places[at]!;
  const v = given[at]!;
  const crlf = format === 'env' && text.includes('\r\n') ? ['the template has Windows line ends (CRLF): a shell keeps the CR in every value; save it with LF line ends'] : [];
  const hint =
    format === 'env'
      ? 'write the placeholder as the whole value, KEY={{ vault://... }} without quotes, and the vault picks a quoting that sh (set -a; . ./file) and dotenv read alike; or use vault exec'
      : ctx[at] === 'block'
        ? `this value needs a block scalar written ${v.endsWith('\n\n') ? '`|+` (it ends in several line breaks)' : v.endsWith('\n') ? '`|` (it ends in one line break)' : '`|-` (it has no final line break)'}, with nothing after it in the block`
        : 'put the placeholder where a quoted string can stand (for example "key": "{{ vault://... }}"), or use vault exec';
  throw new UsageError(`the value of ${refText(p)} on line ${p.line} cannot be written into this ${TITLE[format]} file so that it reads back exactly; nothing was written`, [...crlf, hint]);
}
