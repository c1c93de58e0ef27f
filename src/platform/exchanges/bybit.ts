// Bybit v5 (bybit-exchange.github.io/docs/v5/guide): X-BAPI-SIGN = HMAC-SHA256(secret,
// timestamp + apiKey + recvWindow + (query string for GET | JSON body for POST)) in hex, or the
// RSA (PKCS#1 v1.5, SHA-256) signature of the same text in base64 for a key pair the user made;
// with X-BAPI-API-KEY, X-BAPI-TIMESTAMP and X-BAPI-RECV-WINDOW. Errors come back as HTTP 200
// with a non-zero retCode (and a retMsg that quotes the signed text: never shown).
import { UsageError } from '../../errors';
import { hmacSha256, isPem, signWithPem } from '../../crypto/exchange-sign';
import { Scope } from '../../domain/exchanges';
import { ipList, isoTime, MAX_PERMISSION_CHARS, MAX_PERMISSION_WORDS } from './answer-fields';
import { ApiTarget, badShape, bodyOf, Credential, ExchangeAdapter, isObj, need, rateLimited, refused, ReportedFacts } from './types';
import type { SignedRequest } from './binance';

const WHO = 'Bybit';
export const BYBIT_RECV_WINDOW = '5000';

const CODES: Record<string, string> = {
  '10002': 'the request time is outside the receive window: check this machine\'s clock',
  '10003': 'invalid API key',
  '10004': 'the signature is not valid',
  '10005': 'the key lacks the permission for this call',
  '10010': 'this IP address is not on the key\'s allow-list',
  '33004': 'the API key has expired',
};

/** GET: params go in the query; POST: `body` is sent as given (JSON). */
export function signBybit(c: Credential, method: 'GET' | 'POST', path: string, query: [string, string][], body: string | undefined, timestampMs: number): SignedRequest {
  const apiKey = need(c, 'apiKey', WHO);
  const ts = String(timestampMs);
  const qs = query.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
  const payload = ts + apiKey + BYBIT_RECV_WINDOW + (method === 'POST' ? body ?? '{}' : qs);
  const secret = c.privateKey ?? need(c, 'apiSecret', WHO);
  const sign = isPem(secret) ? signWithPem(secret, payload, 'Bybit private key') : hmacSha256(secret, payload, 'hex');
  const headers = { 'Content-Type': 'application/json', 'X-BAPI-API-KEY': apiKey, 'X-BAPI-TIMESTAMP': ts, 'X-BAPI-RECV-WINDOW': BYBIT_RECV_WINDOW, 'X-BAPI-SIGN': sign };
  return method === 'POST' ? { method, path, headers, body: body ?? '{}' } : { method, path: qs ? `${path}?${qs}` : path, headers };
}

async function call(c: Credential, t: ApiTarget, method: 'GET' | 'POST', path: string, body?: object): Promise<Record<string, unknown>> {
  const r = signBybit(c, method, path, [], body ? JSON.stringify(body) : undefined, t.now().getTime());
  const a = await t.send({ who: WHO, method, url: t.base + r.path, headers: r.headers, body: r.body, timeoutMs: t.timeoutMs });
  const b = bodyOf(WHO, a);
  if (typeof b.retCode !== 'number') throw a.status >= 400 ? refused(WHO, a.status, undefined, CODES) : badShape(WHO);
  // 10006 too many visits, 10018 over the IP's limit: temporary, not a refusal of the key.
  if (b.retCode === 10006 || b.retCode === 10018) throw rateLimited(WHO, `code ${b.retCode}`);
  if (b.retCode !== 0) throw refused(WHO, a.status, b.retCode, CODES);
  if (!isObj(b.result)) throw badShape(WHO);
  return b.result;
}

/** Permission group (as query-api names it) -> our permission term. */
const GROUPS: Record<string, string> = { ContractTrade: 'contract-trade', Spot: 'spot', Wallet: 'wallet', Options: 'options', Derivatives: 'derivatives', Exchange: 'exchange', Earn: 'earn' };

/** GET /v5/user/query-api: the key's permission groups, IP list and expiry. Read as documented:
 *  readOnly 0 or 1, permissions an object of string arrays, ips an array of strings ("*" for
 *  none), expiredAt an ISO 8601 time, or empty for a key that does not expire. */
async function verify(c: Credential, t: ApiTarget): Promise<ReportedFacts> {
  const r = await call(c, t, 'GET', '/v5/user/query-api');
  if (!isObj(r.permissions) || !Array.isArray(r.ips) || (r.readOnly !== 0 && r.readOnly !== 1)) throw badShape(WHO);
  const perms = r.permissions;
  // Every group, known or not, must be a list of words: a string where a list belongs
  // ("AccountTransfer,Withdraw") would otherwise be skipped and read as "no withdraw".
  const groups = Object.entries(perms);
  if (groups.length > MAX_PERMISSION_WORDS) throw badShape(WHO);
  for (const [, items] of groups) {
    if (!Array.isArray(items) || items.length > MAX_PERMISSION_WORDS || !items.every((i) => typeof i === 'string' && i.length <= MAX_PERMISSION_CHARS)) throw badShape(WHO);
  }
  const permissions: string[] = [];
  const scopes = new Set<Scope>(['read']);
  if (r.readOnly === 1) permissions.push('read-only');
  else {
    for (const [group, term] of Object.entries(GROUPS)) {
      const items = (perms[group] ?? []) as string[];
      if (items.length === 0) continue;
      permissions.push(term);
      if (term === 'spot' || term === 'exchange') scopes.add('trade');
      if (term === 'contract-trade' || term === 'options' || term === 'derivatives') scopes.add('futures');
      if (term === 'earn') scopes.add('transfer');
      if (term === 'wallet') {
        // The wallet group is precise about what it allows: withdrawals are their own item.
        if (items.some((i) => /withdraw/i.test(i))) scopes.add('withdraw');
        if (items.some((i) => /transfer/i.test(i))) scopes.add('transfer');
      }
    }
  }
  const open = r.ips.length === 1 && r.ips[0] === '*';
  const ips = open ? [] : ipList(WHO, r.ips);
  const exp = r.expiredAt === undefined || r.expiredAt === '' ? null : isoTime(WHO, r.expiredAt);
  return { permissions, scopes: [...scopes], ipRestricted: ips.length > 0, ips: ips.length ? ips : null, expiresAt: exp };
}

function subPermissions(terms: string[]): { readOnly: 0 | 1; permissions: Record<string, string[]> } {
  const p: Record<string, string[]> = {};
  for (const raw of terms) {
    const t = raw.toLowerCase();
    if (t === 'withdraw') throw new UsageError('Bybit sub-account keys cannot be given withdrawals by API: the new key would not be like the old one', ['rotate this key by hand (vault rotate without --via)']);
    if (t === 'spot' || t === 'trade') p.Spot = ['SpotTrade'];
    if (t === 'contract-trade' || t === 'futures') p.ContractTrade = ['Order', 'Position'];
    if (t === 'options') p.Options = ['OptionsTrade'];
    if (t === 'derivatives') p.Derivatives = ['DerivativesTrade'];
    if (t === 'exchange') p.Exchange = ['ExchangeHistory'];
    if (t === 'wallet' || t === 'transfer') p.Wallet = ['AccountTransfer', 'SubMemberTransferList'];
    if (t === 'earn') p.Earn = ['Earn'];
  }
  return { readOnly: Object.keys(p).length ? 0 : 1, permissions: p };
}

export const bybit: ExchangeAdapter = {
  id: 'bybit',
  title: WHO,
  live: 'https://api.bybit.com',
  testnet: 'https://api-testnet.bybit.com',
  verify,
  subKeys: {
    // POST /v5/user/create-sub-api with the master key.
    async create(master, spec, t) {
      if (!/^\d{1,20}$/.test(spec.account)) throw new UsageError('Bybit names a sub-account by its uid (digits): set it with vault edit --account UID');
      const { readOnly, permissions } = subPermissions(spec.permissions);
      const body: Record<string, unknown> = { subuid: Number(spec.account), note: (spec.label ?? 'exvault').slice(0, 20), readOnly, permissions };
      if (spec.ips.length) body.ips = spec.ips.join(',');
      const r = await call(master, t, 'POST', '/v5/user/create-sub-api', body);
      if (typeof r.apiKey !== 'string' || typeof r.secret !== 'string' || !r.apiKey || !r.secret) throw badShape(WHO);
      return { secrets: { apiKey: r.apiKey, apiSecret: r.secret }, permissions: [...spec.permissions], ips: [...spec.ips] };
    },
    // POST /v5/user/delete-sub-api {apikey}: with the master key, the key to delete is named.
    async remove(master, old, t) {
      await call(master, t, 'POST', '/v5/user/delete-sub-api', { apikey: old.apiKey });
    },
  },
};
