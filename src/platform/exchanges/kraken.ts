// Kraken (docs.kraken.com/api): API-Sign = base64(HMAC-SHA512(base64-decoded secret, URI path +
// SHA-256(nonce + POST data))), with API-Key. Kraken has no endpoint that reports a key's
// permissions, IP allow-list or expiry, and every signed call moves the key's nonce forward: a
// bot on the same key with a smaller nonce would then be refused. So verify asks nothing.
import { hmacSha512, sha256 } from '../../crypto/exchange-sign';
import { Credential, ExchangeAdapter, need } from './types';
import type { SignedRequest } from './binance';

const WHO = 'Kraken';

export function signKraken(c: Credential, path: string, nonce: string, params: [string, string][]): SignedRequest {
  const body = [['nonce', nonce], ...params].map(([k, v]) => `${encodeURIComponent(k!)}=${encodeURIComponent(v!)}`).join('&');
  const secret = Buffer.from(need(c, 'apiSecret', WHO), 'base64');
  const sign = hmacSha512(secret, Buffer.concat([Buffer.from(path), sha256(nonce + body)]), 'base64');
  secret.fill(0);
  return { method: 'POST', path, headers: { 'API-Key': need(c, 'apiKey', WHO), 'API-Sign': sign, 'Content-Type': 'application/x-www-form-urlencoded' }, body };
}

export const kraken: ExchangeAdapter = {
  id: 'kraken',
  title: WHO,
  live: 'https://api.kraken.com',
  testnet: { none: 'Kraken has no spot testnet' },
  verify: { none: 'not available from the exchange: Kraken has no endpoint that reports a key\'s permissions or IP allow-list, and a signed call would move the key\'s nonce past a running bot\'s' },
};
