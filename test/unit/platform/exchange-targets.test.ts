// Where each exchange call goes (--api-url, EXVAULT_<EXCHANGE>_URL, --testnet, live), and what
// each exchange's answer means (KeyFacts), against in-process fake transports: no network.
import { CANARY, findCanary } from '../../helpers/canary';
import { ADAPTERS, checkBaseUrl, checkUrlVariables, exchangeAdmin, exchangeVerifier, targetOf, urlVariable } from '../../../src/platform/exchanges/index';
import type { HttpRequest } from '../../../src/platform/exchanges/http';
import { Secret } from '../../../src/domain/secret';
import { ExchangeRefusedError, ExchangeUnreachableError, UsageError } from '../../../src/errors';

/** Binance's documented answer, every flag a boolean. */
const BN = { ipRestrict: true, createTime: 1, enableReading: true, enableSpotAndMarginTrading: true, enableWithdrawals: false, enableInternalTransfer: false, enableMargin: false, enableFutures: false, permitsUniversalTransfer: false, enableVanillaOptions: false, enablePortfolioMarginTrading: false, tradingAuthorityExpirationTime: 0 };
const ED_KEY = Buffer.alloc(64, 7).toString('base64');
const secrets = { apiKey: new Secret(CANARY.apiKey), apiSecret: new Secret(CANARY.apiSecret), passphrase: new Secret(CANARY.passphrase) };

describe('targets', () => {
  it('--api-url beats the variable, which beats --testnet, which beats live', () => {
    const bybit = ADAPTERS.bybit!;
    expect(targetOf(bybit, { env: {} }).base).toBe('https://api.bybit.com');
    expect(targetOf(bybit, { env: {}, testnet: true }).base).toBe('https://api-testnet.bybit.com');
    expect(targetOf(bybit, { env: { EXVAULT_BYBIT_URL: 'http://127.0.0.1:1234' }, testnet: true }).base).toBe('http://127.0.0.1:1234');
    expect(targetOf(bybit, { env: { EXVAULT_BYBIT_URL: 'http://127.0.0.1:1234' }, apiUrl: 'https://bybit.example' }).base).toBe('https://bybit.example');
    expect(urlVariable('coinbase-exchange')).toBe('EXVAULT_COINBASE_EXCHANGE_URL');
  });
  it('an exchange without a testnet says so; plain http only to this machine', () => {
    expect(() => targetOf(ADAPTERS.kucoin!, { env: {}, testnet: true })).toThrow(UsageError);
    expect(() => checkBaseUrl('http://10.0.0.1', 'X')).toThrow(/https/);
    expect(() => checkBaseUrl('https://u:p@host', 'X')).toThrow(UsageError);
    expect(() => checkBaseUrl('https://host/path', 'X')).toThrow(UsageError);
    expect(checkBaseUrl('http://localhost:80/', 'X')).toBe('http://localhost');
    // --testnet for an exchange without one: refused for the whole run, before any request.
    expect(() => exchangeVerifier({ env: {}, testnet: true }).prepare(['bybit', 'kucoin'])).toThrow(/KuCoin has no testnet .*name entries of exchanges that have one/);
    expect(() => exchangeVerifier({ env: {}, testnet: true }).prepare(['bybit', 'okx'])).not.toThrow();
    expect(() => exchangeVerifier({ env: { EXVAULT_KUCOIN_URL: 'http://127.0.0.1:9' }, testnet: true }).prepare(['kucoin'])).not.toThrow();
    expect(exchangeVerifier({ env: {}, testnet: true }).unavailable('kucoin')).toBeNull();
    expect(exchangeVerifier({ env: {} }).unavailable('kraken')).toMatch(/not available from the exchange/);
    expect(exchangeVerifier({ env: {} }).unavailable('bitget')).toMatch(/not available/);
  });
});

describe('--api-url and the URL variables', () => {
  it('--api-url only for a run of one exchange; the message names the way out', () => {
    const v = exchangeVerifier({ env: {}, apiUrl: 'http://127.0.0.1:8080' });
    expect(() => v.prepare(['bybit', 'bybit'])).not.toThrow();
    const e = (() => { try { v.prepare(['bybit', 'okx']); } catch (x) { return x as Error; } return null; })();
    expect(e).toBeInstanceOf(UsageError);
    expect(e!.message).toBe('--api-url is for one exchange, and this run asks 2 (Bybit, OKX): name entries of one exchange, or set EXVAULT_<EXCHANGE>_URL for each');
    // The example in the address error is a local test server, not another exchange's host.
    expect(() => checkBaseUrl('https://h/x', '--api-url')).toThrow(/such as http:\/\/127\.0\.0\.1:8080/);
  });
  it('every EXVAULT_<EXCHANGE>_URL set is checked at once', () => {
    expect(() => checkUrlVariables({ EXVAULT_BINANCE_URL: 'http://10.1.2.3' })).toThrow(/EXVAULT_BINANCE_URL must be https/);
    expect(() => checkUrlVariables({ EXVAULT_OKX_URL: 'http://127.0.0.1:1', EXVAULT_OTHER_URL: 'junk' })).not.toThrow();
  });
});

describe('answers', () => {
  const verifier = (json: unknown, status = 200) => {
    const seen: HttpRequest[] = [];
    const v = exchangeVerifier({ env: {}, send: async (r) => (seen.push(r), { status, json }), now: () => new Date('2026-12-01T00:00:00Z') });
    return { v, seen };
  };
  it('OKX demo trading sends x-simulated-trading', async () => {
    const seen: HttpRequest[] = [];
    const v = exchangeVerifier({ env: {}, testnet: true, send: async (r) => (seen.push(r), { status: 200, json: { code: '0', msg: '', data: [{ perm: 'read_only', ip: '' }] } }) });
    const f = await v.verify({ exchange: 'okx', secrets });
    expect(seen[0]!.headers['x-simulated-trading']).toBe('1');
    expect(f).toMatchObject({ scopes: ['read'], ipRestricted: false, ips: null, origin: 'https://www.okx.com' });
  });
  it('Binance: trading authority expiry and withdrawals', async () => {
    const { v, seen } = verifier({ ...BN, ipRestrict: false, enableWithdrawals: true, tradingAuthorityExpirationTime: Date.parse('2027-01-01T00:00:00Z') });
    const f = await v.verify({ exchange: 'binance', secrets });
    expect(f).toMatchObject({ scopes: ['read', 'trade', 'withdraw'], ipRestricted: false, expiresAt: '2027-01-01T00:00:00.000Z', checkedAt: '2026-12-01T00:00:00.000Z' });
    expect(seen[0]!.url).toMatch(/^https:\/\/api\.binance\.com\/sapi\/v1\/account\/apiRestrictions\?timestamp=\d+&recvWindow=10000&signature=[0-9a-f]{64}$/);
  });
  it('Bybit read-only keys read only, whatever groups they list', async () => {
    const { v } = verifier({ retCode: 0, retMsg: 'OK', result: { readOnly: 1, permissions: { Spot: ['SpotTrade'], Wallet: ['Withdraw'] }, ips: ['*'], expiredAt: '2027-02-01T00:00:00Z' } });
    expect(await v.verify({ exchange: 'bybit', secrets })).toMatchObject({ permissions: ['read-only'], scopes: ['read'], ipRestricted: false, expiresAt: '2027-02-01T00:00:00.000Z' });
  });
  it('refusals and odd answers are one line, never the exchange message', async () => {
    await expect(verifier({ retCode: 10004, retMsg: `error sign! origin_string[${CANARY.apiSecret}]` }).v.verify({ exchange: 'bybit', secrets })).rejects.toThrow(ExchangeRefusedError);
    const e = await verifier({ code: '50113', msg: `Invalid Sign ${CANARY.apiSecret}` }, 401).v.verify({ exchange: 'okx', secrets }).catch((x) => x);
    expect(e.message).toBe('OKX refused the request (code 50113: the signature is not valid); nothing was changed');
    expect(findCanary(e.message + e.hints.join(''))).toBeNull();
    await expect(verifier({ retCode: 0, result: { nothing: true } }).v.verify({ exchange: 'bybit', secrets })).rejects.toThrow(ExchangeUnreachableError);
    await expect(verifier('<html>', 502).v.verify({ exchange: 'kucoin', secrets })).rejects.toThrow('KuCoin: the exchange answered HTTP 502 (a failure on its side); nothing was changed');
    await expect(verifier({ error: 'x' }, 503).v.verify({ exchange: 'coinbase', secrets: { apiKey: new Secret('k'), privateKey: new Secret(ED_KEY) } })).rejects.toThrow(ExchangeUnreachableError);
    await expect(verifier('<html>', 403).v.verify({ exchange: 'kucoin', secrets })).rejects.toThrow(ExchangeRefusedError);
    await expect(verifier({}).v.verify({ exchange: 'okx', secrets: { apiKey: new Secret('k'), apiSecret: new Secret('s') } })).rejects.toThrow(UsageError);
    const odd = await verifier({ code: -9999, msg: CANARY.apiSecret }, 400).v.verify({ exchange: 'binance', secrets }).catch((x) => x);
    expect(odd.message).toBe('Binance refused the request (code -9999); nothing was changed');
  });
});

describe('sub-account keys (ExchangeAdmin)', () => {
  it('makes a key like the old one and refuses what the API cannot grant', async () => {
    const seen: HttpRequest[] = [];
    const admin = exchangeAdmin({ env: {}, send: async (r) => (seen.push(r), { status: 200, json: { retCode: 0, result: { apiKey: 'NEWKEY', secret: 'NEWSECRET' } } }) });
    const made = await admin.createKeyLike({ exchange: 'bybit', secrets }, { account: '12345', permissions: ['spot', 'contract-trade'], ips: ['203.0.113.7'], label: 'grid' });
    expect(made.secrets.apiKey!.reveal()).toBe('NEWKEY');
    expect(made.ips).toEqual(['203.0.113.7']);
    expect(JSON.parse(seen[0]!.body!)).toEqual({ subuid: 12345, note: 'grid', readOnly: 0, permissions: { Spot: ['SpotTrade'], ContractTrade: ['Order', 'Position'] }, ips: '203.0.113.7' });
    await expect(admin.createKeyLike({ exchange: 'bybit', secrets }, { account: '12345', permissions: ['withdraw'], ips: [] })).rejects.toThrow(UsageError);
    await expect(admin.createKeyLike({ exchange: 'bybit', secrets }, { account: '', permissions: [], ips: [] })).rejects.toThrow(/names no sub-account/);
    expect(admin.unsupported('coinbase')).toMatch(/no API/);
    expect(admin.unsupported('kucoin')).toBeNull();
  });
});
