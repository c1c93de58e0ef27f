// What every exchange adapter in this folder offers: its addresses, a read-only "what can this
// key do" call (vault verify), and, where the exchange has one, the sub-account key API that
// rotation without a hook uses (app/ports.ts ExchangeAdmin). One file per exchange.
import { ExchangeRefusedError, ExchangeUnreachableError, UsageError } from '../../errors';
import type { ExchangeId } from '../../domain/exchanges';
import type { KeyFacts } from '../../domain/key-facts';
import type { HttpAnswer, HttpSend } from './http';

/** A credential's fields as plain text, for the moment of signing only. */
export interface Credential {
  apiKey: string;
  apiSecret?: string;
  passphrase?: string;
  privateKey?: string;
}

/** Where and how one call goes. */
export interface ApiTarget {
  /** Scheme, host and port, no trailing slash. */
  base: string;
  testnet: boolean;
  timeoutMs: number;
  send: HttpSend;
  now: () => Date;
}

/** What the exchange reported, before the vault adds when and where it asked. */
export type ReportedFacts = Omit<KeyFacts, 'checkedAt' | 'origin'>;

/** A new sub-account key to make like the old one. */
export interface SubKeySpec {
  /** The sub-account: Binance its e-mail, Bybit its uid, OKX and KuCoin its name. */
  account: string;
  /** The old key's permissions, in the exchange's words or our scope names (entry.permissions). */
  permissions: string[];
  ips: string[];
  label?: string;
}

export interface NewSubKey {
  secrets: Credential;
  permissions: string[];
  ips: string[];
}

export interface SubKeyApi {
  create(master: Credential, spec: SubKeySpec, t: ApiTarget): Promise<NewSubKey>;
  /** Deletes the sub-account key `old` (its own passphrase is needed by KuCoin). */
  remove(master: Credential, old: { account: string; apiKey: string; passphrase?: string }, t: ApiTarget): Promise<void>;
}

export interface ExchangeAdapter {
  id: ExchangeId;
  title: string;
  live: string;
  /** The testnet's address, or why there is none. */
  testnet: string | { none: string };
  /** Asks the exchange what the key can do; or why that cannot be asked. */
  verify: ((c: Credential, t: ApiTarget) => Promise<ReportedFacts>) | { none: string };
  subKeys?: SubKeyApi;
}

/** A field the credential must have for this call. */
export function need(c: Credential, field: keyof Credential, who: string): string {
  const v = c[field];
  if (!v) throw new UsageError(`${who}: the entry has no ${field}, which this call is signed with`);
  return v;
}

/** The exchange refused: its code and what it means, never its message (it can echo the
 *  signed text and the signature). */
export function refused(who: string, status: number, code: string | number | undefined, meanings: Record<string, string>): ExchangeRefusedError {
  // Only a number is shown: a "code" in text can be anything the server chose, such as the
  // signature or the passphrase it was sent.
  const numeric = code !== undefined && /^-?\d{1,8}$/.test(String(code)) ? String(code) : undefined;
  const known = numeric === undefined ? undefined : meanings[numeric];
  const codeText = numeric === undefined ? `HTTP ${status}` : `code ${numeric}`;
  return new ExchangeRefusedError(`${who} refused the request (${codeText}${known ? `: ${known}` : ''}); nothing was changed`, known ? [] : ['the exchange\'s own message is not shown: it can contain the signature']);
}

export function rateLimited(who: string, what: string): ExchangeUnreachableError {
  return new ExchangeUnreachableError(`${who}: rate limited (${what}), which is temporary: try again in a few minutes; nothing was changed`);
}

export function badShape(who: string): ExchangeUnreachableError {
  return new ExchangeUnreachableError(`${who}: answered in a shape it does not document; nothing was changed`);
}

export const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** A 5xx answer: the exchange (or a proxy before it) failed, which says nothing about the key.
 *  429 and 418 (Binance's ban after ignoring 429s) are rate limits: temporary, not a refusal. */
export function serverFailed(who: string, a: HttpAnswer): void {
  if (a.status === 429 || a.status === 418) throw rateLimited(who, `HTTP ${a.status}`);
  if (a.status >= 500) throw new ExchangeUnreachableError(`${who}: the exchange answered HTTP ${a.status} (a failure on its side); nothing was changed`);
}

/** The JSON body of an answer that must be an object. */
export function bodyOf(who: string, a: HttpAnswer): Record<string, unknown> {
  serverFailed(who, a);
  if (!isObj(a.json)) {
    if (a.status >= 400) throw refused(who, a.status, undefined, {});
    throw badShape(who);
  }
  return a.json;
}

