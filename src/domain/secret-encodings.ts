// Every shape a secret value can take in a program's output or in a file: the one list that
// both output masking (masker.ts) and `vault scan` use, so they can never disagree about
// what counts as the secret. Exact texts only: a look-alike is never a hit.
import { Entry } from './entry';
import { quoteEnvValue } from './env-file';

/** Shorter texts are not searched for (scan) or masked in derived forms: too many false hits. */
export const MIN_NEEDLE_CHARS = 8;

export type EncodingForm = 'raw' | 'line' | 'crlf' | 'json' | 'url' | 'base64' | 'base64url' | 'shell' | 'dotenv';

export interface Encoding {
  form: EncodingForm;
  text: string;
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

/** The body of a quoted shell word: '...' with '\'' for a quote, and "..." with backslashes. */
function shellForms(x: string): string[] {
  return [x.replace(/'/g, `'\\''`), x.replace(/[\\"$`]/g, '\\$&')];
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
    if (seen.has(text) || (form !== 'raw' && text.length < MIN_NEEDLE_CHARS)) return;
    seen.add(text);
    out.push({ form, text });
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
  }
  for (const w of whole) {
    // What `vault import --rewrite-refs` writes between its double quotes.
    add('dotenv', quoteEnvValue(w).slice(1, -1));
    for (const core of base64Cores(Buffer.from(w))) {
      add('base64', core);
      add('base64url', core.replace(/\+/g, '-').replace(/\//g, '_'));
    }
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
        for (const { form, text } of encodingsOf(value)) needles.push({ label, form, bytes: Buffer.from(text) });
      }
    }
  }
  return { needles, skipped };
}
