// KuCoin (www.kucoin.com/docs): KC-API-SIGN = base64(HMAC-SHA256(secret, timestamp + METHOD +
// endpoint (with its ?query) + body)); for key version 2 and later the passphrase itself is sent
// signed too: KC-API-PASSPHRASE = base64(HMAC-SHA256(secret, passphrase)); with KC-API-KEY,
// KC-API-TIMESTAMP (milliseconds) and KC-API-KEY-VERSION.
import { UsageError } from '../../errors';
import { hmacSha256 } from '../../crypto/exchange-sign';
import { randomBytes } from '../../crypto/random';
import { scopesOf, Scope } from '../../domain/exchanges';
import { commaList, ipList, MAX_PERMISSION_WORDS, MAX_REPORTED_IPS, permissionWords } from './answer-fields';
import { ApiTarget, badShape, bodyOf, Credential, ExchangeAdapter, isObj, need, refused, ReportedFacts } from './types';
import type { SignedRequest } from './binance';

const WHO = 'KuCoin';

const CODES: Record<string, string> = {
  '400002': 'invalid timestamp: check this machine\'s clock',
  '400003': 'invalid API key',
  '400004': 'the passphrase is wrong',
  '400005': 'the signature is not valid',
  '400006': 'this IP address is not on the key\'s allow-list',
  '400007': 'the key lacks the permission for this call',
  '411100': 'the account is frozen',
};

export function signKucoin(c: Credential, method: 'GET' | 'POST' | 'DELETE', path: string, query: [string, string][], body: string | undefined, timestampMs: number): SignedRequest {
  const secret = need(c, 'apiSecret', WHO);
  const ts = String(timestampMs);
  const endpoint = query.length ? `${path}?${query.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')}` : path;
  const headers: Record<string, string> = {
    'KC-API-KEY-VERSION': '2',
    'KC-API-KEY': need(c, 'apiKey', WHO),
    'KC-API-TIMESTAMP': ts,
    'KC-API-PASSPHRASE': hmacSha256(secret, need(c, 'passphrase', WHO), 'base64'),
    'KC-API-SIGN': hmacSha256(secret, ts + method + endpoint + (body ?? ''), 'base64'),
  };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  return { method, path: endpoint, headers, body };
}

async function call(c: Credential, t: ApiTarget, method: 'GET' | 'POST' | 'DELETE', path: string, query: [string, string][] = [], body?: object): Promise<unknown> {
  const r = signKucoin(c, method, path, query, body ? JSON.stringify(body) : undefined, t.now().getTime());
  const a = await t.send({ who: WHO, method, url: t.base + r.path, headers: r.headers, body: r.body, timeoutMs: t.timeoutMs });
  const b = bodyOf(WHO, a);
  if (typeof b.code !== 'string') throw a.status >= 400 ? refused(WHO, a.status, undefined, CODES) : badShape(WHO);
  if (b.code !== '200000') throw refused(WHO, a.status, b.code, CODES);
  return b.data;
}

/** KuCoin's permission words -> ours (its "General" is reading). */
const TERMS: Record<string, string> = { general: 'general', spot: 'spot', futures: 'futures', margin: 'margin', innertransfer: 'inner-transfer', transfer: 'transfer', withdrawal: 'withdraw', withdraw: 'withdraw' };

/** GET /api/v1/user/api-key: permission ("General,Spot") and ipWhitelist ("" or absent for none). */
async function verify(c: Credential, t: ApiTarget): Promise<ReportedFacts> {
  const d = await call(c, t, 'GET', '/api/v1/user/api-key');
  if (!isObj(d)) throw badShape(WHO);
  const permissions = permissionWords(WHO, commaList(WHO, d.permission, MAX_PERMISSION_WORDS).map((p) => p.toLowerCase()), Object.keys(TERMS));
  const scopes = new Set<Scope>();
  for (const p of permissions) {
    const term = TERMS[p];
    for (const s of term ? scopesOf('kucoin', term) ?? [] : []) scopes.add(s);
    // A word this version does not know that names moving funds counts as doing so (fail closed).
    if (/withdraw/i.test(p)) scopes.add('withdraw');
    if (/transfer/i.test(p)) scopes.add('transfer');
  }
  const ips = d.ipWhitelist === undefined || d.ipWhitelist === null ? [] : ipList(WHO, commaList(WHO, d.ipWhitelist, MAX_REPORTED_IPS));
  return { permissions, scopes: [...scopes], ipRestricted: ips.length > 0, ips: ips.length ? ips : null, expiresAt: null };
}

function subPermission(terms: string[]): string {
  const out = new Set(['General']);
  for (const raw of terms) {
    const t = raw.toLowerCase();
    if (t === 'withdraw') throw new UsageError('KuCoin sub-account keys cannot be given withdrawals by API: the new key would not be like the old one', ['rotate this key by hand (vault rotate without --via)']);
    if (t === 'spot' || t === 'trade') out.add('Spot');
    if (t === 'futures') out.add('Futures');
    if (t === 'margin') out.add('Margin');
    if (t === 'inner-transfer' || t === 'transfer') out.add('InnerTransfer');
  }
  return [...out].join(',');
}

export const kucoin: ExchangeAdapter = {
  id: 'kucoin',
  title: WHO,
  live: 'https://api.kucoin.com',
  testnet: { none: 'KuCoin closed its sandbox' },
  verify,
  subKeys: {
    // POST /api/v1/sub/api-key with the master key; the new key's passphrase is ours to choose.
    async create(master, spec, t) {
      const passphrase = `Ex${Buffer.from(randomBytes(15)).toString('hex')}`;
      const body: Record<string, string> = { subName: spec.account, passphrase, remark: (spec.label ?? 'exvault').slice(0, 24), permission: subPermission(spec.permissions) };
      if (spec.ips.length) body.ipWhitelist = spec.ips.join(',');
      const d = await call(master, t, 'POST', '/api/v1/sub/api-key', [], body);
      if (!isObj(d) || typeof d.apiKey !== 'string' || typeof d.apiSecret !== 'string' || !d.apiKey || !d.apiSecret) throw badShape(WHO);
      return { secrets: { apiKey: d.apiKey, apiSecret: d.apiSecret, passphrase }, permissions: [...spec.permissions], ips: [...spec.ips] };
    },
    // DELETE /api/v1/sub/api-key?apiKey=&subName=&passphrase= (the sub key's own passphrase).
    async remove(master, old, t) {
      if (!old.passphrase) throw new UsageError('KuCoin deletes a sub-account key only with that key\'s passphrase, which the old version lacks');
      await call(master, t, 'DELETE', '/api/v1/sub/api-key', [['apiKey', old.apiKey], ['subName', old.account], ['passphrase', old.passphrase]]);
    },
  },
};
