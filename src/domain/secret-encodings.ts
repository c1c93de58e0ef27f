// Every shape a secret value can take in a program's output or in a file: the one list that
// both output masking (masker.ts) and `vault scan` use, so they can never disagree about
// what counts as the secret. Exact texts only: a look-alike is never a hit.
import { Entry } from './entry';
import { quoteEnvValue } from './env-file';

/** Shorter texts are not searched for (scan) or masked in derived forms: too many false hits. */
export const MIN_NEEDLE_CHARS = 8;

export type EncodingForm =
  | 'raw'
  | 'line'
  | 'crlf'
  | 'json'
  | 'url'
  | 'base64'
  | 'base64url'
  | 'base64-wrapped'
  | 'shell'
  | 'dotenv'
  | 'python-repr'
  | 'node-inspect'
  | 'yaml'
  | 'utf16le';

export interface Encoding {
  form: EncodingForm;
  /** The text as a program prints it; for 'utf16le' the text before it was written as UTF-16LE. */
  text: string;
  /** What is searched for: the UTF-8 bytes of text, or its UTF-16LE bytes for 'utf16le'. */
  bytes: Buffer;
}

/** PEM armour lines name the key type; they are the same in every key and are not secret. */
const ARMOUR = /^-----(BEGIN|END) [A-Z0-9 ]+-----$/;

/**
 * The part of base64(prefix + value) that depends on the value alone, for each of the three
 * alignments a value can have inside a longer base64 text (basic-auth headers, config blobs).
 */
export function base64Cores(value: Buffer): string[] {
  const out: string[] = [];
  for (let k = 0; k < 3; k++) {
    const enc = Buffer.concat([Buffer.alloc(k), value]).toString('base64');
    const start = Math.ceil((8 * k) / 6);
    const end = Math.floor((8 * (k + value.length)) / 6);
    out.push(enc.slice(start, end));
  }
  return out;
}

const hex4 = (c: string, upper: boolean) => {
  const h = c.charCodeAt(0).toString(16).padStart(4, '0');
  return `\\u${upper ? h.toUpperCase() : h}`;
};

/** A JSON string body as JavaScript, Python (ensure_ascii, lower and upper hex), PHP (`\/`)
 *  and Go (`<>&` as \u escapes) write it. */
function jsonForms(x: string): string[] {
  const js = JSON.stringify(x).slice(1, -1);
  const ascii = js.replace(/[^\x00-\x7f]/g, (c) => hex4(c, false));
  const asciiUpper = js.replace(/[^\x00-\x7f]/g, (c) => hex4(c, true));
  const go = js.replace(/[<>&\u2028\u2029]/g, (c) => hex4(c, false));
  const slashed = (s: string) => s.replace(/\//g, '\\/');
  return [js, ascii, asciiUpper, go, slashed(js), slashed(ascii)];
}

/** encodeURIComponent, its strict RFC 3986 form (Python's quote and quote_plus, Go), either
 *  keeping `/`, HTML form encoding (space as +), and lower-case hex. */
function urlForms(x: string): string[] {
  const uri = encodeURIComponent(x);
  const strict = uri.replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const keepSlash = (s: string) => s.replace(/%2F/g, '/');
  return [uri, strict, keepSlash(uri), keepSlash(strict), strict.replace(/%20/g, '+'), new URLSearchParams({ v: x }).toString().slice(2), uri.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase())];
}

const CONTROL = /[\x00-\x1f\x7f]/;

/** bash's $'...' body (`printf '%q'` and `${v@Q}` for a value with control characters), in a
 *  UTF-8 locale (other characters kept) or the C locale (every non-ASCII byte in octal). */
function bashAnsiC(x: string, utf8Locale: boolean): string {
  const named: Record<string, string> = { '\x07': 'a', '\b': 'b', '\x1b': 'E', '\f': 'f', '\n': 'n', '\r': 'r', '\t': 't', '\v': 'v', '\\': '\\', "'": "'" };
  const octal = (c: string) => [...Buffer.from(c)].map((b) => `\\${b.toString(8).padStart(3, '0')}`).join('');
  return x.replace(/[\s\S]/gu, (c) => (named[c] ? `\\${named[c]}` : CONTROL.test(c) || (!utf8Locale && c > '\x7f') ? octal(c) : c));
}

/** The body of a quoted shell word: '...' with '\'' for a quote (also ${v@Q}), "..." with
 *  backslashes, Python's shlex.quote ('"'"' for a quote), and bash's `printf '%q'`. */
function shellForms(x: string): string[] {
  const out = [x.replace(/'/g, `'\\''`), x.replace(/[\\"$`]/g, '\\$&'), x.replace(/'/g, `'"'"'`)];
  // printf %q: a backslash before each character special to the shell (~ and # only at the
  // start); a value with control characters gets the $'...' form instead.
  if (!CONTROL.test(x)) out.push(x.replace(/[ \t\n'"\\|&;()<>!{}*[?\]^$`,]|^[~#]/g, '\\$&'));
  if (CONTROL.test(x) || /[^\x00-\x7f]/.test(x)) out.push(bashAnsiC(x, true), bashAnsiC(x, false));
  return out;
}

/** Python's repr() body (also what print() of a dict or list shows): single quotes unless
 *  the value has ' and no "; \\, the quote, \t \n \r, and what str.isprintable() refuses as
 *  \\xNN, \\uNNNN or \\UNNNNNNNN. */
function pythonRepr(x: string): string {
  const quote = x.includes("'") && !x.includes('"') ? '"' : "'";
  const named: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', [quote]: `\\${quote}` };
  return x.replace(/[\s\S]/gu, (c) => {
    if (named[c]) return named[c]!;
    if (c !== ' ' && /[\p{C}\p{Z}]/u.test(c)) {
      const n = c.codePointAt(0)!;
      return n <= 0xff ? `\\x${n.toString(16).padStart(2, '0')}` : n <= 0xffff ? `\\u${n.toString(16).padStart(4, '0')}` : `\\U${n.toString(16).padStart(8, '0')}`;
    }
    return c;
  });
}

/** Node's util.inspect (console.log of an object) string body: single quotes; " if the value
 *  has '; a backtick if it has both (and no backtick or ${); else ' with \\'. Control
 *  characters as \\b \\t \\n \\f \\r or \\xNN (upper-case hex). */
function nodeInspect(x: string): string {
  const escapeQuote = x.includes("'") && x.includes('"') && (x.includes('`') || x.includes('${'));
  const named: Record<string, string> = { '\b': '\\b', '\t': '\\t', '\n': '\\n', '\f': '\\f', '\r': '\\r', '\\': '\\\\' };
  return x.replace(/[\x00-\x1f\x7f\\']/g, (c) => named[c] ?? (c === "'" ? (escapeQuote ? "\\'" : "'") : `\\x${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`));
}

/** PyYAML safe_dump: the single-quoted body ('' for a quote) and the double-quoted body, with
 *  and without allow_unicode (PyYAML's escape table, other characters as upper-case \\xXX,
 *  \\uXXXX, \\UXXXXXXXX). */
function yamlForms(x: string): string[] {
  const named: Record<string, string> = { '\0': '0', '\x07': 'a', '\b': 'b', '\t': 't', '\n': 'n', '\v': 'v', '\f': 'f', '\r': 'r', '\x1b': 'e', '"': '"', '\\': '\\', '\x85': 'N', '\xa0': '_', '\u2028': 'L', '\u2029': 'P' };
  const dq = (allowUnicode: boolean) =>
    x.replace(/[\s\S]/gu, (c) => {
      const n = c.codePointAt(0)!;
      const plain = (n >= 0x20 && n <= 0x7e) || (allowUnicode && ((n >= 0xa0 && n <= 0xd7ff) || (n >= 0xe000 && n <= 0xfffd)));
      if (plain && !'"\\\x85\u2028\u2029\ufeff'.includes(c)) return c;
      if (named[c]) return `\\${named[c]}`;
      const h = n.toString(16).toUpperCase();
      return n <= 0xff ? `\\x${h.padStart(2, '0')}` : n <= 0xffff ? `\\u${h.padStart(4, '0')}` : `\\U${h.padStart(8, '0')}`;
    });
  return [x.replace(/'/g, "''"), dq(false), dq(true)];
}

/** Line widths of wrapped base64: coreutils base64 and Python's encodebytes (76), PEM (64). */
const WRAP_WIDTHS = [76, 64];

/**
 * The lines of base64 text that wraps (`base64` without -w0, base64.encodebytes, PEM) which
 * depend on the value alone, for a value at the start of the encoded data at each alignment.
 * Only needed when the base64 is longer than a line: a shorter one is in base64Cores.
 */
export function wrappedBase64Lines(value: Buffer): string[] {
  const out: string[] = [];
  for (let k = 0; k < 3; k++) {
    const enc = Buffer.concat([Buffer.alloc(k), value]).toString('base64');
    const start = Math.ceil((8 * k) / 6);
    const end = Math.floor((8 * (k + value.length)) / 6);
    for (const w of WRAP_WIDTHS) {
      if (end <= w) continue;
      for (let at = 0; at < end; at += w) {
        const line = enc.slice(Math.max(at, start), Math.min(at + w, end));
        if (line.length >= MIN_NEEDLE_CHARS) out.push(line);
      }
    }
  }
  return out;
}

/**
 * Every encoding of one value, each text once, the raw value first. Derived texts shorter
 * than MIN_NEEDLE_CHARS are left out; each line of a multi-line value (a PEM body) counts
 * on its own, since programs print keys line by line, but not the armour lines.
 */
export function encodingsOf(value: string): Encoding[] {
  const out: Encoding[] = [];
  const seen = new Set<string>();
  const add = (form: EncodingForm, text: string) => {
    const bytes = Buffer.from(text, form === 'utf16le' ? 'utf16le' : 'utf8');
    const key = bytes.toString('latin1');
    if (seen.has(key) || (form !== 'raw' && text.length < MIN_NEEDLE_CHARS)) return;
    seen.add(key);
    out.push({ form, text, bytes });
  };
  add('raw', value);
  const whole = [value];
  if (/\r\n/.test(value)) whole.push(value.replace(/\r\n/g, '\n'));
  else if (value.includes('\n')) whole.push(value.replace(/\n/g, '\r\n'));
  for (const w of whole) add('crlf', w);
  const lines = value.includes('\n') ? value.split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => !ARMOUR.test(l.trim())) : [];
  for (const l of lines) add('line', l);
  for (const x of [...whole, ...lines]) {
    for (const t of jsonForms(x)) add('json', t);
    for (const t of urlForms(x)) add('url', t);
    for (const t of shellForms(x)) add('shell', t);
    add('python-repr', pythonRepr(x));
    add('node-inspect', nodeInspect(x));
    for (const t of yamlForms(x)) add('yaml', t);
    // JSON.stringify(JSON.stringify(v)): the JSON body of the JSON body.
    add('json', JSON.stringify(JSON.stringify(x).slice(1, -1)).slice(1, -1));
    add('url', encodeURI(x));
    add('url', escape(x));
    // A file written as UTF-16LE (PowerShell 5's `>`), raw and JSON-escaped.
    add('utf16le', x);
    add('utf16le', JSON.stringify(x).slice(1, -1));
  }
  for (const w of whole) {
    // What `vault import --rewrite-refs` writes between its double quotes.
    add('dotenv', quoteEnvValue(w).slice(1, -1));
    for (const core of base64Cores(Buffer.from(w))) {
      add('base64', core);
      add('base64url', core.replace(/\+/g, '-').replace(/\//g, '_'));
    }
    for (const line of wrappedBase64Lines(Buffer.from(w))) add('base64-wrapped', line);
  }
  return out;
}

export interface Needle {
  /** "entry.field (v2, previous)": what is reported instead of the value. */
  label: string;
  form: EncodingForm;
  bytes: Buffer;
}

/** What `vault scan` looks for: every encoding of every secret value of every version. */
export function needlesFor(entries: Entry[]): { needles: Needle[]; skipped: number } {
  const needles: Needle[] = [];
  let skipped = 0;
  for (const e of entries) {
    const versions = [{ n: e.version ?? 1, state: 'active', secrets: e.secrets }, ...(e.history ?? [])];
    for (const v of versions) {
      for (const [field, secret] of Object.entries(v.secrets)) {
        const value = secret.reveal();
        if (value.length < MIN_NEEDLE_CHARS) {
          skipped++;
          continue;
        }
        const label = `${e.name}.${field} (v${v.n}, ${v.state})`;
        for (const { form, bytes } of encodingsOf(value)) needles.push({ label, form, bytes });
      }
    }
  }
  return { needles, skipped };
}
