// Hostile or odd answers from an exchange's address, read by the adapters through an in-process
// fake transport: every one is the documented shape error (exit 13) or a rate limit (13), never
// a crash, never a permission read as absent because its type was wrong, never text that carries
// control characters or the credential's own fields. And the strict field readers themselves.
import { CANARY } from '../../helpers/canary';
import { ADAPTERS, exchangeVerifier } from '../../../src/platform/exchanges/index';
import { commaList, ipList, isoTime, msTime, permissionWords, refuseEchoes } from '../../../src/platform/exchanges/answer-fields';
import { Secret } from '../../../src/domain/secret';
import { ExchangeId } from '../../../src/domain/exchanges';
import { ExchangeRefusedError, ExchangeUnreachableError, VaultError } from '../../../src/errors';

const secrets = { apiKey: new Secret(CANARY.apiKey), apiSecret: new Secret(CANARY.apiSecret), passphrase: new Secret(CANARY.passphrase) };
const BN = { ipRestrict: true, createTime: 1, enableReading: true, enableSpotAndMarginTrading: true, enableWithdrawals: false, enableInternalTransfer: false, enableMargin: false, enableFutures: false, permitsUniversalTransfer: false, enableVanillaOptions: false, enablePortfolioMarginTrading: false, tradingAuthorityExpirationTime: 0 };
const BY = { readOnly: 0, permissions: { Spot: ['SpotTrade'], Wallet: [] }, ips: ['203.0.113.7'], expiredAt: '' };
const by = (result: object) => ({ retCode: 0, retMsg: 'OK', result: { ...BY, ...result } });
const okx = (d: object) => ({ code: '0', msg: '', data: [{ perm: 'read_only,trade', ip: '203.0.113.7', ...d }] });
const ku = (d: object) => ({ code: '200000', data: { permission: 'General,Spot', ipWhitelist: '203.0.113.7', ...d } });

async function ask(exchange: ExchangeId, json: unknown, status = 200): Promise<unknown> {
  const v = exchangeVerifier({ env: {}, send: async () => ({ status, json }), now: () => new Date('2026-12-01T00:00:00Z') });
  return v.verify({ exchange, secrets }).catch((e) => e);
}

const SHAPE = /answered in a shape it does not document; nothing was changed$/;
async function expectShapeError(exchange: ExchangeId, json: unknown): Promise<void> {
  const e = await ask(exchange, json);
  expect(e).toBeInstanceOf(ExchangeUnreachableError);
  expect((e as Error).message).toMatch(SHAPE);
}

describe('numbers and dates out of range (rt21 #1, #9)', () => {
  it('Binance tradingAuthorityExpirationTime 1e20, a fraction, a string, negative: shape errors, not a crash', async () => {
    for (const t of [1e20, 1.5e12 + 0.5, '1700000000000', -1, Number.MAX_SAFE_INTEGER]) await expectShapeError('binance', { ...BN, tradingAuthorityExpirationTime: t });
    expect(await ask('binance', { ...BN, tradingAuthorityExpirationTime: Date.parse('2027-03-04T05:06:07Z') })).toMatchObject({ expiresAt: '2027-03-04T05:06:07.000Z' });
    expect(await ask('binance', { ...BN, tradingAuthorityExpirationTime: 0 })).toMatchObject({ expiresAt: null });
  });
  it('Bybit expiredAt: ISO 8601 with a zone only; "" means none; "0", "12", dates that roll over are shape errors', async () => {
    for (const x of ['0', '12', '2027-02-30T00:00:00Z', '2027-01-01', '2027-01-01T00:00:00', 'Jan 1 2027', 1700000000, '99999-01-01T00:00:00Z']) await expectShapeError('bybit', by({ expiredAt: x }));
    expect(await ask('bybit', by({ expiredAt: '' }))).toMatchObject({ expiresAt: null });
    expect(await ask('bybit', by({ expiredAt: '2027-01-02T03:04:05Z' }))).toMatchObject({ expiresAt: '2027-01-02T03:04:05.000Z' });
  });
  it('an adapter bug on an odd answer is still one entry\'s shape error (exit 13), never an internal error', async () => {
    // An adapter that meets something it did not expect (here: a RangeError, as new Date(1e20)
    // .toISOString() throws) fails that entry with the shape error.
    const okxAdapter = ADAPTERS.okx!;
    const saved = okxAdapter.verify;
    okxAdapter.verify = async () => { throw new RangeError('Invalid time value'); };
    try {
      const e = await ask('okx', okx({}));
      expect(e).toBeInstanceOf(ExchangeUnreachableError);
      expect((e as Error).message).toBe('OKX: answered in a shape it does not document; nothing was changed');
    } finally {
      okxAdapter.verify = saved;
    }
  });
});

describe('wrong types fail closed (rt21 #2)', () => {
  it('Binance: every permission flag must be a boolean', async () => {
    for (const f of ['enableWithdrawals', 'enableInternalTransfer', 'permitsUniversalTransfer', 'ipRestrict', 'enableSpotAndMarginTrading', 'enableFutures']) {
      for (const bad of ['true', 1, null]) await expectShapeError('binance', { ...BN, [f]: bad });
    }
    const { enablePortfolioMarginTrading: _, ...older } = BN;
    expect(await ask('binance', older)).toMatchObject({ scopes: ['read', 'trade'] });
    const { enableWithdrawals: __, ...missing } = BN;
    await expectShapeError('binance', missing);
  });
  it('Bybit: a permission group that is not a list of words', async () => {
    await expectShapeError('bybit', by({ permissions: { Wallet: 'AccountTransfer,Withdraw' } }));
    await expectShapeError('bybit', by({ permissions: { Wallet: [1] } }));
    await expectShapeError('bybit', by({ permissions: { SomethingNew: 'Withdraw' } }));
    await expectShapeError('bybit', by({ readOnly: '0' }));
    expect(await ask('bybit', by({ permissions: { Wallet: ['AccountTransfer', 'Withdraw'] } }))).toMatchObject({ scopes: ['read', 'withdraw', 'transfer'] });
  });
  it('OKX and KuCoin: text fields must be text', async () => {
    await expectShapeError('okx', okx({ perm: ['withdraw'] }));
    await expectShapeError('okx', okx({ ip: 7 }));
    await expectShapeError('kucoin', ku({ permission: null }));
    await expectShapeError('kucoin', ku({ ipWhitelist: ['203.0.113.7'] }));
  });
  it('an unknown word naming withdrawals or transfers counts as one (OKX, KuCoin)', async () => {
    expect(await ask('okx', okx({ perm: 'read_only,withdraw_v2' }))).toMatchObject({ permissions: ['read_only', 'withdraw_v2'], scopes: ['read', 'withdraw'] });
    expect(await ask('kucoin', ku({ permission: 'General,FlexTransfer' }))).toMatchObject({ scopes: ['read', 'transfer'] });
  });
});

describe('text from the exchange (rt21 #3)', () => {
  it('IP addresses must be addresses; at most 1,000', async () => {
    await expectShapeError('bybit', by({ ips: ['\u001b]0;pwned\u0007\u001b[2J', 'x\ny: fake line'] }));
    await expectShapeError('bybit', by({ ips: ['*', '203.0.113.7'] }));
    await expectShapeError('okx', okx({ ip: '203.0.113.7,example.com' }));
    await expectShapeError('kucoin', ku({ ipWhitelist: '10.0.0.0/8' }));
    const many = Array.from({ length: 1001 }, (_, i) => `10.0.${i >> 8}.${i & 255}`);
    await expectShapeError('okx', okx({ ip: many.join(',') }));
    expect(await ask('okx', okx({ ip: many.slice(0, 1000).join(',') }))).toMatchObject({ ipRestricted: true });
    expect(await ask('bybit', by({ ips: ['2001:db8::1'] }))).toMatchObject({ ips: ['2001:db8::1'] });
    expect(await ask('bybit', by({ ips: ['*'] }))).toMatchObject({ ipRestricted: false, ips: null });
  });
  it('unknown permission words are kept, bounded and without control characters', async () => {
    expect(await ask('okx', okx({ perm: 'read_only,new\u001b[2Jword' }))).toMatchObject({ permissions: ['read_only', 'new?[2Jword'] });
    await expectShapeError('okx', okx({ perm: `read_only,${'x'.repeat(33)}` }));
    await expectShapeError('kucoin', ku({ permission: Array.from({ length: 65 }, (_, i) => `w${i}`).join(',') }));
  });
  it('an answer that carries the key, secret or passphrase (or its hex or base64) is refused', async () => {
    await expectShapeError('okx', okx({ perm: `read_only,${CANARY.passphrase.slice(0, 32)}` }));
    await expectShapeError('kucoin', ku({ permission: `General,${Buffer.from(CANARY.passphrase).toString('base64').slice(0, 32)}` }));
    expect(() => refuseEchoes('X', ['abc', Buffer.from('s3cret-pass').toString('hex')], ['s3cret-pass'])).toThrow(SHAPE);
    expect(() => refuseEchoes('X', ['pre-S3CRET-PASS'], ['s3cret-pass'])).toThrow(SHAPE);
    expect(() => refuseEchoes('X', ['1.2.3.4'], ['1.2', undefined])).not.toThrow();
    expect(() => refuseEchoes('X', ['1.2'], ['1.2'])).toThrow(SHAPE);
  });
});

describe('refusals and rate limits (rt21 #7, #10)', () => {
  it('only a numeric code is shown, never a string one', async () => {
    const e = (await ask('okx', { code: CANARY.passphrase, msg: '' }, 401)) as ExchangeRefusedError;
    expect(e).toBeInstanceOf(ExchangeRefusedError);
    expect(e.message).toBe('OKX refused the request (HTTP 401); nothing was changed');
    const k = (await ask('kucoin', { code: 'kucoin0123456789', msg: '' }, 200)) as ExchangeRefusedError;
    expect(k.message).toBe('KuCoin refused the request (HTTP 200); nothing was changed');
    const long = (await ask('kucoin', { code: '1234567890', msg: '' }, 400)) as ExchangeRefusedError;
    expect(long.message).toBe('KuCoin refused the request (HTTP 400); nothing was changed');
    expect(((await ask('kucoin', { code: '400005' }, 401)) as Error).message).toBe('KuCoin refused the request (code 400005: the signature is not valid); nothing was changed');
  });
  it('HTTP 429 and 418, and Bybit\'s 10006: rate limited, exit 13', async () => {
    for (const [id, status, body] of [['binance', 429, { code: -1003 }], ['binance', 418, { code: -1003 }], ['coinbase', 429, {}], ['okx', 429, { code: '50011' }], ['bybit', 200, { retCode: 10006, retMsg: 'Too many visits' }]] as const) {
      const e = (await (id === 'coinbase'
        ? exchangeVerifier({ env: {}, send: async () => ({ status, json: body }) }).verify({ exchange: id, secrets: { apiKey: new Secret('k'), privateKey: new Secret(Buffer.alloc(64, 7).toString('base64')) } }).catch((x) => x)
        : ask(id, body, status))) as VaultError;
      expect([id, status, e.exitCode]).toEqual([id, status, 13]);
      expect(e.message).toMatch(/rate limited \((HTTP \d+|code 10006)\), which is temporary/);
    }
  });
});

describe('field readers', () => {
  it('msTime and isoTime', () => {
    expect(msTime('X', 946684800000)).toBe('2000-01-01T00:00:00.000Z');
    expect(() => msTime('X', 1e20)).toThrow(SHAPE);
    expect(() => msTime('X', NaN)).toThrow(SHAPE);
    expect(isoTime('X', '2027-01-01T02:00:00+02:00')).toBe('2027-01-01T00:00:00.000Z');
    expect(isoTime('X', '2024-02-29T00:00:00.123Z')).toBe('2024-02-29T00:00:00.123Z');
    expect(() => isoTime('X', '2023-02-29T00:00:00Z')).toThrow(SHAPE);
    expect(() => isoTime('X', '2027-01-01T24:00:00Z')).toThrow(SHAPE);
  });
  it('ipList, commaList, permissionWords', () => {
    expect(ipList('X', ['203.0.113.7', '203.0.113.7', '::1'])).toEqual(['203.0.113.7', '::1']);
    expect(() => ipList('X', ['203.0.113.256'])).toThrow(SHAPE);
    expect(() => ipList('X', [' 203.0.113.7'])).toThrow(SHAPE);
    expect(commaList('X', ' a, b ,,', 5)).toEqual(['a', 'b']);
    expect(() => commaList('X', 'a,b,c', 2)).toThrow(SHAPE);
    expect(permissionWords('X', ['trade', 'é\u009b'], ['trade'])).toEqual(['trade', '??']);
  });
});
