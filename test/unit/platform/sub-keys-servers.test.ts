// The sub-account key adapters (app/ports.ts ExchangeAdmin) against the local exchange servers
// over loopback HTTP, each server checking signatures as its exchange documents: a new key is
// made with the old one's permissions and IP list, works (verify with it), and is deleted. A
// master key the exchange refuses makes nothing.
import { CANARY, findCanary } from '../../helpers/canary';
import { binanceServer, bybitServer, ExchangeServer, kucoinServer, okxServer } from '../../helpers/exchange-servers';
import { exchangeAdmin, exchangeVerifier } from '../../../src/platform/exchanges/index';
import { Secret } from '../../../src/domain/secret';
import { ExchangeRefusedError } from '../../../src/errors';
import type { ExchangeId } from '../../../src/domain/exchanges';

const master = { apiKey: new Secret(CANARY.apiKey), apiSecret: new Secret(CANARY.apiSecret), passphrase: new Secret(CANARY.passphrase) };
const IPS = ['203.0.113.7', '198.51.100.9'];

const cases: { id: ExchangeId; start: () => Promise<ExchangeServer>; account: string; permissions: string[]; scopes: string[] }[] = [
  { id: 'binance', start: () => binanceServer([{ apiKey: CANARY.apiKey, secret: CANARY.apiSecret, info: {} }]), account: 'bot1@example.com', permissions: ['spot', 'futures'], scopes: ['read', 'trade', 'futures'] },
  { id: 'bybit', start: () => bybitServer([{ apiKey: CANARY.apiKey, secret: CANARY.apiSecret, info: {} }]), account: '12345', permissions: ['spot', 'contract-trade'], scopes: ['read', 'trade', 'futures'] },
  { id: 'okx', start: () => okxServer([{ apiKey: CANARY.apiKey, secret: CANARY.apiSecret, passphrase: CANARY.passphrase, info: {} }]), account: 'bot1', permissions: ['read', 'trade'], scopes: ['read', 'trade'] },
  { id: 'kucoin', start: () => kucoinServer([{ apiKey: CANARY.apiKey, secret: CANARY.apiSecret, passphrase: CANARY.passphrase, info: {} }]), account: 'bot1', permissions: ['general', 'spot'], scopes: ['read', 'trade'] },
];

describe.each(cases)('$id sub-account keys', ({ id, start, account, permissions, scopes }) => {
  let s: ExchangeServer;
  beforeAll(async () => {
    s = await start();
  });
  afterAll(() => s.close());
  const env = () => ({ [`EXVAULT_${id.toUpperCase()}_URL`]: s.url });

  it('creates a key like the old one, which then works, and deletes it', async () => {
    const admin = exchangeAdmin({ env: env(), timeoutMs: 10_000 });
    const made = await admin.createKeyLike({ exchange: id, secrets: master }, { account, permissions, ips: IPS, label: 'grid bot' });
    expect(s.created).toHaveLength(1);
    expect(made.secrets.apiKey!.reveal()).toBe(s.created[0]);
    expect(made.permissions).toEqual(permissions);
    expect(made.ips).toEqual(IPS);
    // What the exchange now holds for the new key: the same IP list, and it signs correctly.
    if (id !== 'binance') {
      const facts = await exchangeVerifier({ env: env() }).verify({ exchange: id, secrets: made.secrets });
      expect(facts.scopes).toEqual(scopes);
      expect(facts.ips).toEqual(IPS);
    } else {
      expect(s.keys.get(s.created[0]!)!.info).toMatchObject({ ipRestrict: true, enableSpotAndMarginTrading: true, enableFutures: true, enableWithdrawals: false, ips: IPS.join(',') });
    }
    await admin.deleteKey({ exchange: id, secrets: master }, { account, apiKey: made.secrets.apiKey!.reveal(), secrets: made.secrets });
    expect(s.deleted).toEqual(s.created);
    expect(s.keys.has(s.created[0]!)).toBe(false);
    expect(s.log.every((l) => l.signed === 'ok')).toBe(true);
    // Sent again (a rerun after a crash): the old key itself is refused as unknown, so it counts
    // as deleted; Binance's -2015 also means "wrong IP", so there it stays an error.
    const again = admin.deleteKey({ exchange: id, secrets: master }, { account, apiKey: made.secrets.apiKey!.reveal(), secrets: made.secrets });
    if (id === 'binance') await expect(again).rejects.toBeInstanceOf(ExchangeRefusedError);
    else await expect(again).resolves.toBeUndefined();
    expect(s.log.at(-1)).toMatchObject({ signed: 'unknown-key' });
  });

  it('a master key the exchange refuses makes nothing, and the error holds no secret', async () => {
    const wrong = { ...master, apiSecret: new Secret(`${CANARY.apiSecret}x`) };
    const before = s.created.length;
    const err = await exchangeAdmin({ env: env() }).createKeyLike({ exchange: id, secrets: wrong }, { account, permissions, ips: IPS }).catch((e) => e);
    expect(err).toBeInstanceOf(ExchangeRefusedError);
    expect(err.exitCode).toBe(12);
    expect(s.created.length).toBe(before);
    expect(s.log.at(-1)!.signed).toBe('bad');
    expect(findCanary(`${err.message}${err.hints.join('')}`)).toBeNull();
  });
});
