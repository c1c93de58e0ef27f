// Strict readers for the fields of an exchange's answer. The answer comes from whatever is at
// the API address, so every field that decides a permission is read exactly as the exchange
// documents it, and anything else is a shape error (exit 13) rather than a guess: a withdraw
// flag of "true" must never read as "no withdraw". Text kept from the answer (IP addresses,
// permission words) is validated and bounded before it is stored or printed.
import { isIP } from 'node:net';
import { badShape } from './types';

/** More than this many IP addresses is not an allow-list any exchange documents (Binance and
 *  Bybit allow 30 or so, OKX 20): the answer is refused rather than stored. */
export const MAX_REPORTED_IPS = 1000;
/** Permission words: at most this many, each at most this long. */
export const MAX_PERMISSION_WORDS = 64;
export const MAX_PERMISSION_CHARS = 32;

/** A boolean field the exchange documents as a JSON boolean. `optional`: it may be absent. */
export function bool(who: string, o: Record<string, unknown>, field: string, optional = false): boolean {
  const v = o[field];
  if (v === undefined && optional) return false;
  if (typeof v !== 'boolean') throw badShape(who);
  return v;
}

const FIRST_MS = Date.UTC(2000, 0, 1);
const LAST_MS = Date.UTC(2200, 0, 1);

/** A time in milliseconds since 1970 (a JSON integer), within 2000..2200: anything else (1e20,
 *  a fraction, a string) is not a time the exchange means. */
export function msTime(who: string, v: unknown): string {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < FIRST_MS || v > LAST_MS) throw badShape(who);
  return new Date(v).toISOString();
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** An ISO 8601 date and time with its zone ("2027-01-01T00:00:00Z"), and nothing looser: Date's
 *  own parser reads "0" as 2000-01-01 and "12" as 2001-12-01. */
export function isoTime(who: string, v: unknown): string {
  const m = typeof v === 'string' ? ISO.exec(v) : null;
  if (!m) throw badShape(who);
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  // Date.UTC rolls 2027-02-30 over into March: the fields must come back as given.
  const day = new Date(Date.UTC(y, mo - 1, d));
  if (day.getUTCFullYear() !== y || day.getUTCMonth() !== mo - 1 || day.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) throw badShape(who);
  const ms = Date.parse(v as string);
  if (!Number.isFinite(ms) || ms < FIRST_MS || ms > LAST_MS) throw badShape(who);
  return new Date(ms).toISOString();
}

/** An allow-list of single IP addresses (v4 or v6), as a list of strings. */
export function ipList(who: string, items: unknown[]): string[] {
  if (items.length > MAX_REPORTED_IPS) throw badShape(who);
  const out: string[] = [];
  for (const x of items) {
    if (typeof x !== 'string' || x.length > 45 || isIP(x) === 0) throw badShape(who);
    if (!out.includes(x)) out.push(x);
  }
  return out;
}

/** A comma-separated list ("a,b"; "" for none) split into its non-empty items. */
export function commaList(who: string, v: unknown, max: number): string[] {
  if (typeof v !== 'string') throw badShape(who);
  const items = v.split(',').map((x) => x.trim()).filter(Boolean);
  if (items.length > max) throw badShape(who);
  return items;
}

/** Permission words: known ones as they are; unknown ones kept (a new permission the exchange
 *  added is worth seeing) but short, and with control characters made visible. */
export function permissionWords(who: string, words: string[], known: readonly string[]): string[] {
  if (words.length > MAX_PERMISSION_WORDS) throw badShape(who);
  const out: string[] = [];
  for (const w of words) {
    if (w.length > MAX_PERMISSION_CHARS) throw badShape(who);
    const word = known.includes(w) ? w : w.replace(/[^\x20-\x7e]/g, '?');
    if (!out.includes(word)) out.push(word);
  }
  return out;
}

/** The forms a secret can be echoed in: as is, hex, base64 (with and without padding, and URL-safe). */
function formsOf(secret: string): string[] {
  const b = Buffer.from(secret, 'utf8');
  return [secret, b.toString('hex'), b.toString('base64'), b.toString('base64').replace(/=+$/, ''), b.toString('base64url')];
}

/** The answer's texts must not carry any of the credential's fields: a server that echoes what it
 *  was sent (the OKX passphrase travels in a header) must not get it printed and stored. Short
 *  values are compared whole only, so that a 4-digit passphrase cannot refuse every IP address. */
export function refuseEchoes(who: string, texts: string[], secrets: (string | undefined)[]): void {
  const lower = texts.map((t) => t.toLowerCase());
  for (const s of secrets) {
    if (!s) continue;
    for (const form of formsOf(s).map((f) => f.toLowerCase())) {
      for (const t of lower) {
        if (t === form || (form.length >= 6 && t.includes(form))) throw badShape(who);
      }
    }
  }
}
