// Each exchange's signing, compared with ccxt's own signing of the same request (ccxt is a real
// client nobody here wrote), with time, nonces and random bytes pinned: same URL or body, same
// signature headers, byte for byte. HMAC, Ed25519 and RSA keys for Binance, RSA for Bybit,
// ES256 and EdDSA JWTs for Coinbase, HMAC-SHA512 for Kraken. Canary values are the secrets.
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CANARY, findCanary } from '../../helpers/canary';
import { signBinance } from '../../../src/platform/exchanges/binance';
import { signBybit } from '../../../src/platform/exchanges/bybit';
import { signOkx } from '../../../src/platform/exchanges/okx';
import { signKucoin } from '../../../src/platform/exchanges/kucoin';
import { signCoinbase } from '../../../src/platform/exchanges/coinbase';
import { signKraken } from '../../../src/platform/exchanges/kraken';
import type { SignedRequest } from '../../../src/platform/exchanges/binance';

const SIGNER = path.resolve(__dirname, '../../fixtures/ccxt-sign-requests.cjs');
const MS = 1_700_000_000_123;

const ed = crypto.generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'sec1', format: 'pem' }) as string;
const edPair = crypto.generateKeyPairSync('ed25519');
const cbEd = Buffer.concat([edPair.privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(-32), edPair.publicKey.export({ format: 'der', type: 'spki' }).subarray(-32)]).toString('base64');
const krakenSecret = Buffer.from(CANARY.apiSecret).toString('base64');
const cbName = 'organizations/0a1b2c3d-0000-4000-8000-000000000001/apiKeys/9f8e7d6c-0000-4000-8000-000000000002';
const cbId = '9f8e7d6c-0000-4000-8000-000000000003';

interface Case {
  name: string;
  ccxt: { exchange: string; creds: Record<string, string>; path: string; api: unknown; method: string; params?: Record<string, unknown> };
  ours: () => SignedRequest;
  base: string;
  /** The headers that carry the key and the signature. */
  compare: string[];
}

const HMAC = { apiKey: CANARY.apiKey, apiSecret: CANARY.apiSecret };
const WITH_PASS = { ...HMAC, passphrase: CANARY.passphrase };
const ccxtCreds = { apiKey: CANARY.apiKey, secret: CANARY.apiSecret };

const cases: Case[] = [
  { name: 'Binance HMAC, GET apiRestrictions', base: 'https://api.binance.com', compare: ['X-MBX-APIKEY'],
    ccxt: { exchange: 'binance', creds: ccxtCreds, path: 'account/apiRestrictions', api: 'sapi', method: 'GET' },
    ours: () => signBinance(HMAC, 'GET', '/sapi/v1/account/apiRestrictions', [], MS) },
  { name: 'Binance Ed25519 key, GET apiRestrictions', base: 'https://api.binance.com', compare: ['X-MBX-APIKEY'],
    ccxt: { exchange: 'binance', creds: { apiKey: CANARY.apiKey, secret: ed }, path: 'account/apiRestrictions', api: 'sapi', method: 'GET' },
    ours: () => signBinance({ apiKey: CANARY.apiKey, privateKey: ed }, 'GET', '/sapi/v1/account/apiRestrictions', [], MS) },
  { name: 'Binance RSA key, GET apiRestrictions', base: 'https://api.binance.com', compare: ['X-MBX-APIKEY'],
    ccxt: { exchange: 'binance', creds: { apiKey: CANARY.apiKey, secret: rsa }, path: 'account/apiRestrictions', api: 'sapi', method: 'GET' },
    ours: () => signBinance({ apiKey: CANARY.apiKey, privateKey: rsa }, 'GET', '/sapi/v1/account/apiRestrictions', [], MS) },
  { name: 'Binance HMAC, POST sub-account key', base: 'https://api.binance.com', compare: ['X-MBX-APIKEY', 'Content-Type'],
    ccxt: { exchange: 'binance', creds: ccxtCreds, path: 'sub-account/subAccountApi', api: 'sapiV2', method: 'POST', params: { email: 'bot1@example.com', apiName: 'grid', status: '2', canTrade: 'true', ipAddress: '203.0.113.7,203.0.113.8' } },
    ours: () => signBinance(HMAC, 'POST', '/sapi/v2/sub-account/subAccountApi', [['email', 'bot1@example.com'], ['apiName', 'grid'], ['status', '2'], ['canTrade', 'true'], ['ipAddress', '203.0.113.7,203.0.113.8']], MS) },
  { name: 'Binance HMAC, DELETE sub-account key', base: 'https://api.binance.com', compare: ['X-MBX-APIKEY'],
    ccxt: { exchange: 'binance', creds: ccxtCreds, path: 'sub-account/subAccountApi', api: 'sapi', method: 'DELETE', params: { email: 'bot1@example.com', subAccountApiKey: 'abc123' } },
    ours: () => signBinance(HMAC, 'DELETE', '/sapi/v1/sub-account/subAccountApi', [['email', 'bot1@example.com'], ['subAccountApiKey', 'abc123']], MS) },
  { name: 'Bybit HMAC, GET query-api', base: 'https://api.bybit.com', compare: ['X-BAPI-API-KEY', 'X-BAPI-TIMESTAMP', 'X-BAPI-RECV-WINDOW', 'X-BAPI-SIGN'],
    ccxt: { exchange: 'bybit', creds: ccxtCreds, path: 'v5/user/query-api', api: 'private', method: 'GET' },
    ours: () => signBybit(HMAC, 'GET', '/v5/user/query-api', [], undefined, MS) },
  { name: 'Bybit RSA key, GET query-api', base: 'https://api.bybit.com', compare: ['X-BAPI-API-KEY', 'X-BAPI-SIGN'],
    ccxt: { exchange: 'bybit', creds: { apiKey: CANARY.apiKey, secret: rsa }, path: 'v5/user/query-api', api: 'private', method: 'GET' },
    ours: () => signBybit({ apiKey: CANARY.apiKey, privateKey: rsa }, 'GET', '/v5/user/query-api', [], undefined, MS) },
  { name: 'Bybit HMAC, POST create-sub-api', base: 'https://api.bybit.com', compare: ['X-BAPI-SIGN', 'Content-Type'],
    ccxt: { exchange: 'bybit', creds: ccxtCreds, path: 'v5/user/create-sub-api', api: 'private', method: 'POST', params: { subuid: 12345, note: 'grid', readOnly: 0, permissions: { Spot: ['SpotTrade'] }, ips: '203.0.113.7' } },
    ours: () => signBybit(HMAC, 'POST', '/v5/user/create-sub-api', [], JSON.stringify({ subuid: 12345, note: 'grid', readOnly: 0, permissions: { Spot: ['SpotTrade'] }, ips: '203.0.113.7' }), MS) },
  { name: 'OKX, GET account/config', base: 'https://www.okx.com', compare: ['OK-ACCESS-KEY', 'OK-ACCESS-PASSPHRASE', 'OK-ACCESS-TIMESTAMP', 'OK-ACCESS-SIGN'],
    ccxt: { exchange: 'okx', creds: { ...ccxtCreds, password: CANARY.passphrase }, path: 'account/config', api: 'private', method: 'GET' },
    ours: () => signOkx(WITH_PASS, 'GET', '/api/v5/account/config', [], undefined, new Date(MS), false) },
  { name: 'OKX, POST subaccount/apikey', base: 'https://www.okx.com', compare: ['OK-ACCESS-SIGN', 'Content-Type'],
    ccxt: { exchange: 'okx', creds: { ...ccxtCreds, password: CANARY.passphrase }, path: 'users/subaccount/apikey', api: 'private', method: 'POST', params: { subAcct: 'bot1', label: 'grid', passphrase: 'Ab1-xyz!', perm: 'read_only,trade', ip: '203.0.113.7' } },
    ours: () => signOkx(WITH_PASS, 'POST', '/api/v5/users/subaccount/apikey', [], JSON.stringify({ subAcct: 'bot1', label: 'grid', passphrase: 'Ab1-xyz!', perm: 'read_only,trade', ip: '203.0.113.7' }), new Date(MS), false) },
  { name: 'KuCoin v2, GET user/api-key', base: 'https://api.kucoin.com', compare: ['KC-API-KEY-VERSION', 'KC-API-KEY', 'KC-API-TIMESTAMP', 'KC-API-PASSPHRASE', 'KC-API-SIGN'],
    ccxt: { exchange: 'kucoin', creds: { ...ccxtCreds, password: CANARY.passphrase }, path: 'user/api-key', api: 'private', method: 'GET' },
    ours: () => signKucoin(WITH_PASS, 'GET', '/api/v1/user/api-key', [], undefined, MS) },
  { name: 'KuCoin v2, POST sub/api-key', base: 'https://api.kucoin.com', compare: ['KC-API-PASSPHRASE', 'KC-API-SIGN', 'Content-Type'],
    ccxt: { exchange: 'kucoin', creds: { ...ccxtCreds, password: CANARY.passphrase }, path: 'sub/api-key', api: 'private', method: 'POST', params: { subName: 'bot1', passphrase: 'Ex0011', remark: 'grid', permission: 'General,Spot' } },
    ours: () => signKucoin(WITH_PASS, 'POST', '/api/v1/sub/api-key', [], JSON.stringify({ subName: 'bot1', passphrase: 'Ex0011', remark: 'grid', permission: 'General,Spot' }), MS) },
  { name: 'KuCoin v2, DELETE sub/api-key', base: 'https://api.kucoin.com', compare: ['KC-API-SIGN'],
    ccxt: { exchange: 'kucoin', creds: { ...ccxtCreds, password: CANARY.passphrase }, path: 'sub/api-key', api: 'private', method: 'DELETE', params: { apiKey: 'abc', subName: 'bot1', passphrase: 'Ex0011' } },
    ours: () => signKucoin(WITH_PASS, 'DELETE', '/api/v1/sub/api-key', [['apiKey', 'abc'], ['subName', 'bot1'], ['passphrase', 'Ex0011']], undefined, MS) },
  { name: 'Coinbase ES256 JWT (ECDSA CDP key)', base: 'https://api.coinbase.com', compare: ['Authorization'],
    ccxt: { exchange: 'coinbase', creds: { apiKey: cbName, secret: ec }, path: 'brokerage/key_permissions', api: ['v3', 'private'], method: 'GET' },
    ours: () => signCoinbase({ apiKey: cbName, privateKey: ec }, 'GET', 'api.coinbase.com', '/api/v3/brokerage/key_permissions', Math.floor(MS / 1000), '00'.repeat(16)) },
  { name: 'Coinbase EdDSA JWT (Ed25519 CDP key)', base: 'https://api.coinbase.com', compare: ['Authorization'],
    ccxt: { exchange: 'coinbase', creds: { apiKey: cbId, secret: cbEd }, path: 'brokerage/key_permissions', api: ['v3', 'private'], method: 'GET' },
    ours: () => signCoinbase({ apiKey: cbId, privateKey: cbEd }, 'GET', 'api.coinbase.com', '/api/v3/brokerage/key_permissions', Math.floor(MS / 1000), '00'.repeat(16)) },
  { name: 'Kraken HMAC-SHA512, POST Balance', base: 'https://api.kraken.com', compare: ['API-Key', 'API-Sign', 'Content-Type'],
    ccxt: { exchange: 'kraken', creds: { apiKey: CANARY.apiKey, secret: krakenSecret }, path: 'Balance', api: 'private', method: 'POST' },
    ours: () => signKraken({ apiKey: CANARY.apiKey, apiSecret: krakenSecret }, '/0/private/Balance', String(MS), []) },
];

let theirs: { url: string; method: string; body?: string; headers: Record<string, string> }[];

beforeAll(() => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exvault-sign-'));
  try {
    const file = path.join(dir, 'requests.json');
    fs.writeFileSync(file, JSON.stringify(cases.map((c) => ({ ...c.ccxt, ms: MS }))), { mode: 0o600 });
    theirs = JSON.parse(execFileSync(process.execPath, [SIGNER, file], { encoding: 'utf8' }));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

describe('signing matches ccxt byte for byte', () => {
  test.each(cases.map((c, i) => [c.name, i] as const))('%s', (_name, i) => {
    const c = cases[i]!;
    const t = theirs[i]!;
    const ours = c.ours();
    // ccxt leaves a bare "?" after a GET without parameters.
    expect(c.base + ours.path).toBe(t.url.replace(/\?$/, ''));
    expect(ours.method).toBe(t.method);
    expect(ours.body).toBe(t.body);
    for (const h of c.compare) {
      expect(ours.headers[h]).toBeDefined();
      expect(ours.headers[h]).toBe(t.headers[h]);
    }
  });
});

test('a signature changes with the secret, the time and the request (so the comparison above can fail)', () => {
  const a = signBinance(HMAC, 'GET', '/sapi/v1/account/apiRestrictions', [], MS);
  expect(signBinance({ ...HMAC, apiSecret: `${CANARY.apiSecret}x` }, 'GET', '/sapi/v1/account/apiRestrictions', [], MS).path).not.toBe(a.path);
  expect(signBinance(HMAC, 'GET', '/sapi/v1/account/apiRestrictions', [], MS + 1).path).not.toBe(a.path);
  const o = signOkx(WITH_PASS, 'GET', '/api/v5/account/config', [], undefined, new Date(MS), true);
  expect(o.headers['x-simulated-trading']).toBe('1');
});

test('canary: no secret appears in what is signed and sent, except the key itself where the exchange wants it', () => {
  for (const c of cases) {
    const r = c.ours();
    const sent = JSON.stringify({ path: r.path, body: r.body, headers: Object.fromEntries(Object.entries(r.headers).filter(([k]) => !/KEY$|^API-Key$|ACCESS-KEY|API-KEY$|^OK-ACCESS-PASSPHRASE$/i.test(k))) });
    expect(findCanary(sent)).toBeNull();
  }
});
