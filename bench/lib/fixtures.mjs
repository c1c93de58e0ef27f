// Vault contents for benchmarks: entries shaped like real exchange keys (EXCHANGES.md),
// a quarter of them Coinbase CDP keys with multi-line PEM private keys.
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';

const hex = (n) => randomBytes(n).toString('hex');
const alnum = (n) => {
  let s = '';
  while (s.length < n) s += randomBytes(n).toString('base64').replace(/[^A-Za-z0-9]/g, '');
  return s.slice(0, n);
};

/** One new PEM per 50 entries: generating an EC key per entry would dominate set-up. */
function pems(n) {
  return Array.from({ length: Math.max(1, Math.ceil(n / 50)) }, () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'sec1', format: 'pem' }));
}

export function makeEntries(n, prefix = 'bot') {
  const keys = pems(n);
  return Array.from({ length: n }, (_, i) => {
    const name = `${prefix}-${String(i).padStart(5, '0')}`;
    switch (i % 4) {
      case 0:
        return { name, exchange: 'binance', permissions: ['read', 'trade'], ips: ['203.0.113.7'], secrets: { apiKey: alnum(64), apiSecret: alnum(64) } };
      case 1:
        return { name, exchange: 'okx', permissions: ['read', 'trade'], ips: [], secrets: { apiKey: randomUUID(), apiSecret: hex(16).toUpperCase(), passphrase: alnum(20) } };
      case 2:
        return { name, exchange: 'coinbase', permissions: ['read'], ips: [], secrets: { apiKey: `organizations/${randomUUID()}/apiKeys/${randomUUID()}`, privateKey: keys[i % keys.length] } };
      default:
        return { name, exchange: 'kraken', permissions: ['read'], ips: [], secrets: { apiKey: randomBytes(42).toString('base64'), apiSecret: randomBytes(64).toString('base64') } };
    }
  });
}

/** The entries as `vault import json` reads them (compact). */
export const exportText = (entries) => JSON.stringify({ format: 'exvault-export', version: 1, entries });
