// OKX v5 (www.okx.com/docs-v5): OK-ACCESS-SIGN = base64(HMAC-SHA256(secret, timestamp + METHOD +
// requestPath (with its ?query for GET) + body)), timestamp in ISO 8601 with milliseconds, with
// OK-ACCESS-KEY, OK-ACCESS-TIMESTAMP and OK-ACCESS-PASSPHRASE (the passphrase chosen when the key
// was made). Demo trading is the same host with the header x-simulated-trading: 1.
import { UsageError } from '../../errors';
import { hmacSha256 } from '../../crypto/exchange-sign';
import { randomBytes } from '../../crypto/random';
import { Scope } from '../../domain/exchanges';
import { commaList, ipList, MAX_PERMISSION_WORDS, MAX_REPORTED_IPS, permissionWords } from './answer-fields';
import { ApiTarget, badShape, bodyOf, Credential, ExchangeAdapter, isObj, need, refused, ReportedFacts } from './types';
import type { SignedRequest } from './binance';

const WHO = 'OKX';

const CODES: Record<string, string> = {
  '50101': 'the key belongs to the other environment (live or demo trading: see --testnet)',
  '50102': 'the timestamp expired: check this machine\'s clock',
  '50105': 'the passphrase is wrong',
  '50110': 'this IP address is not on the key\'s allow-list',
  '50111': 'invalid API key',
  '50112': 'invalid timestamp',
  '50113': 'the signature is not valid',
  '50120': 'the key lacks the permission for this call',
};

/** The words OKX documents for perm. */
const PERMS = ['read_only', 'trade', 'withdraw'] as const;

export function signOkx(c: Credential, method: 'GET' | 'POST', path: string, query: [string, string][], body: string | undefined, now: Date, demo: boolean): SignedRequest {
  const ts = now.toISOString();
  const qs = query.length ? `?${query.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')}` : '';
  const requestPath = method === 'GET' ? path + qs : path;
  const sign = hmacSha256(need(c, 'apiSecret', WHO), ts + method + requestPath + (method === 'POST' ? body ?? '' : ''), 'base64');
  const headers: Record<string, string> = { 'OK-ACCESS-KEY': need(c, 'apiKey', WHO), 'OK-ACCESS-PASSPHRASE': need(c, 'passphrase', WHO), 'OK-ACCESS-TIMESTAMP': ts, 'OK-ACCESS-SIGN': sign };
  if (method === 'POST') headers['Content-Type'] = 'application/json';
  if (demo) headers['x-simulated-trading'] = '1';
  return method === 'POST' ? { method, path, headers, body: body ?? '' } : { method, path: requestPath, headers };
}

async function call(c: Credential, t: ApiTarget, method: 'GET' | 'POST', path: string, body?: object): Promise<Record<string, unknown>[]> {
  const r = signOkx(c, method, path, [], body ? JSON.stringify(body) : undefined, t.now(), t.testnet);
  const a = await t.send({ who: WHO, method, url: t.base + r.path, headers: r.headers, body: r.body, timeoutMs: t.timeoutMs });
  const b = bodyOf(WHO, a);
  if (typeof b.code !== 'string') throw a.status >= 400 ? refused(WHO, a.status, undefined, CODES) : badShape(WHO);
  if (b.code !== '0') throw refused(WHO, a.status, b.code, CODES);
  if (!Array.isArray(b.data) || !b.data.every(isObj)) throw badShape(WHO);
  return b.data as Record<string, unknown>[];
}

/** GET /api/v5/account/config: perm ("read_only,trade,withdraw") and ip (comma-separated, "" for none). */
async function verify(c: Credential, t: ApiTarget): Promise<ReportedFacts> {
  const [d] = await call(c, t, 'GET', '/api/v5/account/config');
  if (!d) throw badShape(WHO);
  const permissions = permissionWords(WHO, commaList(WHO, d.perm, MAX_PERMISSION_WORDS), PERMS);
  const scopes = new Set<Scope>();
  for (const p of permissions) {
    if (p === 'read_only') scopes.add('read');
    if (p === 'trade') scopes.add('trade');
    if (p === 'withdraw') scopes.add('withdraw');
    // A word this version does not know that names moving funds counts as doing so (fail closed).
    if (/withdraw/i.test(p)) scopes.add('withdraw');
    if (/transfer/i.test(p)) scopes.add('transfer');
  }
  const ips = ipList(WHO, commaList(WHO, d.ip, MAX_REPORTED_IPS));
  return { permissions, scopes: [...scopes], ipRestricted: ips.length > 0, ips: ips.length ? ips : null, expiresAt: null };
}

/** A passphrase OKX accepts (8-32 characters with upper and lower case, a digit and a sign). */
function newPassphrase(): string {
  return `Ex${Buffer.from(randomBytes(18)).toString('base64url')}-7a`;
}

function subPerm(terms: string[]): string {
  const out = new Set(['read_only']);
  for (const raw of terms) {
    const t = raw.toLowerCase();
    if (t === 'withdraw') throw new UsageError('OKX sub-account keys cannot be given withdrawals by API: the new key would not be like the old one', ['rotate this key by hand (vault rotate without --via)']);
    if (t === 'trade' || t === 'futures' || t === 'margin') out.add('trade');
  }
  return [...out].join(',');
}

export const okx: ExchangeAdapter = {
  id: 'okx',
  title: WHO,
  live: 'https://www.okx.com',
  // Demo trading: the live host, with x-simulated-trading: 1 on each request.
  testnet: 'https://www.okx.com',
  verify,
  subKeys: {
    // POST /api/v5/users/subaccount/apikey with the master key.
    async create(master, spec, t) {
      const passphrase = newPassphrase();
      const body: Record<string, string> = { subAcct: spec.account, label: (spec.label ?? 'exvault').slice(0, 50), passphrase, perm: subPerm(spec.permissions) };
      if (spec.ips.length) body.ip = spec.ips.join(',');
      const [d] = await call(master, t, 'POST', '/api/v5/users/subaccount/apikey', body);
      if (!d || typeof d.apiKey !== 'string' || typeof d.secretKey !== 'string' || !d.apiKey || !d.secretKey) throw badShape(WHO);
      return { secrets: { apiKey: d.apiKey, apiSecret: d.secretKey, passphrase }, permissions: [...spec.permissions], ips: [...spec.ips] };
    },
    // POST /api/v5/users/subaccount/delete-apikey {subAcct, apiKey}.
    async remove(master, old, t) {
      await call(master, t, 'POST', '/api/v5/users/subaccount/delete-apikey', { subAcct: old.account, apiKey: old.apiKey });
    },
  },
};
