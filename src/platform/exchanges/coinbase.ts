// Coinbase Advanced Trade with a CDP key (docs.cdp.coinbase.com): each request carries
// "Authorization: Bearer JWT", a token signed with the key's own private key: ES256 for the
// ECDSA keys (key name organizations/{org}/apiKeys/{id} + EC PEM), EdDSA for the newer Ed25519
// keys (a UUID + 64 base64-encoded bytes). The token names the request ("GET host/path") and
// lives two minutes. Claims as ccxt writes them, so the tests can compare tokens byte for byte.
import { randomBytes } from '../../crypto/random';
import { eddsaJwt, es256Jwt, isPem } from '../../crypto/exchange-sign';
import { Scope } from '../../domain/exchanges';
import { ApiTarget, badShape, bodyOf, Credential, ExchangeAdapter, need, refused, ReportedFacts, serverFailed } from './types';
import type { SignedRequest } from './binance';

const WHO = 'Coinbase';

/** The signed GET; `host` as in the URL (api.coinbase.com, or a test server's host:port). */
export function signCoinbase(c: Credential, method: 'GET', host: string, path: string, nowSeconds: number, nonceHex: string): SignedRequest {
  const apiKey = need(c, 'apiKey', WHO);
  const key = need(c, 'privateKey', WHO);
  const uri = `${method} ${host}${path.split('?')[0]}`;
  const token = isPem(key)
    ? es256Jwt({ alg: 'ES256', typ: 'JWT', kid: apiKey, nonce: nonceHex }, { aud: ['retail_rest_api_proxy'], iss: 'coinbase-cloud', nbf: nowSeconds, exp: nowSeconds + 120, sub: apiKey, iat: nowSeconds, uri }, key, 'Coinbase private key')
    : eddsaJwt({ alg: 'EdDSA', typ: 'JWT', kid: apiKey, nonce: nonceHex }, { aud: ['cdp_service'], iss: 'cdp', nbf: nowSeconds, exp: nowSeconds + 120, sub: apiKey, iat: nowSeconds, uris: [uri] }, key, 'Coinbase private key');
  return { method, path, headers: { Authorization: `Bearer ${token}` } };
}

/** GET /api/v3/brokerage/key_permissions: can_view, can_trade, can_transfer. No IP list is reported. */
async function verify(c: Credential, t: ApiTarget): Promise<ReportedFacts> {
  const path = '/api/v3/brokerage/key_permissions';
  const r = signCoinbase(c, 'GET', new URL(t.base).host, path, Math.floor(t.now().getTime() / 1000), Buffer.from(randomBytes(16)).toString('hex'));
  const a = await t.send({ who: WHO, method: 'GET', url: t.base + r.path, headers: r.headers, timeoutMs: t.timeoutMs });
  serverFailed(WHO, a);
  if (a.status >= 400) throw refused(WHO, a.status, undefined, {});
  const b = bodyOf(WHO, a);
  if (typeof b.can_view !== 'boolean' || typeof b.can_trade !== 'boolean' || typeof b.can_transfer !== 'boolean') throw badShape(WHO);
  const permissions: string[] = [];
  const scopes: Scope[] = [];
  if (b.can_view) permissions.push('view'), scopes.push('read');
  if (b.can_trade) permissions.push('trade'), scopes.push('trade');
  if (b.can_transfer) permissions.push('transfer'), scopes.push('withdraw', 'transfer');
  return { permissions, scopes, ipRestricted: null, ips: null, expiresAt: null };
}

export const coinbase: ExchangeAdapter = {
  id: 'coinbase',
  title: WHO,
  live: 'https://api.coinbase.com',
  testnet: { none: 'Coinbase Advanced Trade\'s sandbox does not serve key permissions' },
  verify,
};
