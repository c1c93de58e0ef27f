// Binance (developers.binance.com): a signed request carries timestamp=... in its parameters and
// signature = HMAC-SHA256(secret, the query string) in hex, or, for a key pair the user made,
// the Ed25519 or RSA (PKCS#1 v1.5, SHA-256) signature of the same text in base64, URL-encoded;
// the key goes in the X-MBX-APIKEY header. GET and DELETE send the parameters in the query,
// POST as a form body (ccxt's choice too).
import { UsageError } from '../../errors';
import { hmacSha256, isPem, signWithPem } from '../../crypto/exchange-sign';
import { scopesOf, Scope } from '../../domain/exchanges';
import { bool, msTime } from './answer-fields';
import { ApiTarget, badShape, bodyOf, Credential, ExchangeAdapter, isObj, need, refused, ReportedFacts, SubKeySpec } from './types';

const WHO = 'Binance';

/** Binance's error codes a person can act on (the message itself is never shown). */
const CODES: Record<string, string> = {
  '-1021': 'the timestamp is outside the receive window: check this machine\'s clock',
  '-1022': 'the signature is not valid',
  '-2008': 'invalid API key',
  '-2014': 'the API key format is invalid',
  '-2015': 'invalid API key, IP address not on its allow-list, or a permission it lacks',
};

export interface SignedRequest {
  method: 'GET' | 'POST' | 'DELETE';
  /** Path and query, as sent. */
  path: string;
  headers: Record<string, string>;
  body?: string;
}

const enc = (v: string) => encodeURIComponent(v);
/** The receive window sent with every signed call (ccxt's default too). */
export const BINANCE_RECV_WINDOW = '10000';

/** The signed request: timestamp first and recvWindow last, as ccxt orders them. Sub-account
 *  parameters (e-mails, IP lists) go unescaped, as ccxt and Binance's own examples send them;
 *  callers keep them free of & and =. */
export function signBinance(c: Credential, method: SignedRequest['method'], path: string, params: [string, string][], timestampMs: number): SignedRequest {
  const raw = path.includes('/sub-account/');
  const query = [['timestamp', String(timestampMs)], ...params, ['recvWindow', BINANCE_RECV_WINDOW]].map(([k, v]) => (raw ? `${k}=${v}` : `${enc(k!)}=${enc(v!)}`)).join('&');
  const secret = c.privateKey ?? need(c, 'apiSecret', WHO);
  const signature = isPem(secret) ? enc(signWithPem(secret, query, 'Binance private key')) : hmacSha256(secret, query, 'hex');
  const signed = `${query}&signature=${signature}`;
  const headers: Record<string, string> = { 'X-MBX-APIKEY': need(c, 'apiKey', WHO) };
  if (method === 'POST') return { method, path, headers: { ...headers, 'Content-Type': 'application/x-www-form-urlencoded' }, body: signed };
  return { method, path: `${path}?${signed}`, headers };
}

async function call(c: Credential, t: ApiTarget, method: SignedRequest['method'], path: string, params: [string, string][]): Promise<Record<string, unknown>> {
  const r = signBinance(c, method, path, params, t.now().getTime());
  const a = await t.send({ who: WHO, method, url: t.base + r.path, headers: r.headers, body: r.body, timeoutMs: t.timeoutMs });
  const body = bodyOf(WHO, a);
  if (a.status >= 400 || (typeof body.code === 'number' && body.code < 0)) throw refused(WHO, a.status, typeof body.code === 'number' ? body.code : undefined, CODES);
  return body;
}

/** GET /sapi/v1/account/apiRestrictions: the key's own permissions and whether it has an IP
 *  allow-list. Every flag is a JSON boolean in Binance's documentation and is read only as one
 *  (enablePortfolioMarginTrading is newer and may be absent); anything else is a shape error. */
async function verify(c: Credential, t: ApiTarget): Promise<ReportedFacts> {
  const b = await call(c, t, 'GET', '/sapi/v1/account/apiRestrictions', []);
  const flags: [string, string, boolean][] = [
    ['enableReading', 'reading', false], ['enableSpotAndMarginTrading', 'spot', false], ['enableMargin', 'margin', false], ['enablePortfolioMarginTrading', 'margin', true],
    ['enableFutures', 'futures', false], ['enableVanillaOptions', 'options', false], ['enableWithdrawals', 'withdrawals', false],
    ['enableInternalTransfer', 'internal-transfer', false], ['permitsUniversalTransfer', 'universal-transfer', false],
  ];
  const ipRestrict = bool(WHO, b, 'ipRestrict');
  const permissions = [...new Set(flags.filter(([f, , optional]) => bool(WHO, b, f, optional)).map(([, term]) => term))];
  const scopes = new Set<Scope>();
  for (const p of permissions) for (const s of scopesOf('binance', p) ?? []) scopes.add(s);
  // Set only while trading lapses on a key without an IP allow-list (milliseconds; 0 when none).
  const e = b.tradingAuthorityExpirationTime;
  const until = e === undefined || e === 0 ? null : msTime(WHO, e);
  return { permissions, scopes: [...scopes], ipRestricted: ipRestrict, ips: null, expiresAt: until };
}

/** The create call's permission flags for the old key's permission terms. */
function subKeyFlags(permissions: string[]): [string, string][] {
  const on = new Set<string>();
  for (const term of permissions) {
    const t = term.toLowerCase();
    if (t === 'withdraw' || t === 'withdrawals') throw new UsageError('Binance\'s sub-account API cannot grant withdrawals: the new key would not be like the old one', ['rotate this key by hand (vault rotate without --via)']);
    if (t === 'spot' || t === 'trade' || t === 'spot-margin') on.add('canTrade');
    if (t === 'margin' || t === 'spot-margin') on.add('canMarginLoanRepay');
    if (t === 'futures') on.add('canFuturesTrade');
    if (t === 'options') on.add('canVanillaOptions');
    if (t === 'transfer' || t === 'universal-transfer' || t === 'internal-transfer') on.add('canUniversalTransfer');
  }
  return ['canTrade', 'canMarginLoanRepay', 'canFuturesTrade', 'canUniversalTransfer', 'canVanillaOptions'].map((f) => [f, String(on.has(f))]);
}

export const binance: ExchangeAdapter = {
  id: 'binance',
  title: WHO,
  live: 'https://api.binance.com',
  testnet: { none: 'Binance\'s spot testnet has no /sapi endpoints (key restrictions and sub-accounts are live only)' },
  verify,
  subKeys: {
    // POST /sapi/v2/sub-account/subAccountApi (for the master account): status 2 = trusted IPs only.
    async create(master: Credential, spec: SubKeySpec, t: ApiTarget) {
      if (/[&=\s]/.test(spec.account) || spec.ips.some((ip) => /[&=\s]/.test(ip))) throw new UsageError('the sub-account e-mail or an IP address has a character Binance\'s signed parameters cannot carry');
      const params: [string, string][] = [
        ['email', spec.account], ['apiName', (spec.label ?? 'exvault').replace(/[^\w-]/g, '-').slice(0, 64)], ['status', spec.ips.length ? '2' : '1'], ...subKeyFlags(spec.permissions),
      ];
      if (spec.ips.length) params.push(['ipAddress', spec.ips.join(',')]);
      const b = await call(master, t, 'POST', '/sapi/v2/sub-account/subAccountApi', params);
      if (typeof b.apiKey !== 'string' || typeof b.secretKey !== 'string' || !b.apiKey || !b.secretKey) throw badShape(WHO);
      return { secrets: { apiKey: b.apiKey, apiSecret: b.secretKey }, permissions: [...spec.permissions], ips: [...spec.ips] };
    },
    // DELETE /sapi/v1/sub-account/subAccountApi: answers {}.
    async remove(master: Credential, old, t: ApiTarget) {
      const b = await call(master, t, 'DELETE', '/sapi/v1/sub-account/subAccountApi', [['email', old.account], ['subAccountApiKey', old.apiKey]]);
      if (!isObj(b)) throw badShape(WHO);
    },
  },
};
