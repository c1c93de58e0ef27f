// What an exchange reported about a key (vault verify): stored and read back in the entry, how it
// differs from the declaration, and the rules vault check applies to it, at fixed clocks.
import { Entry, canMoveFunds } from '../../../src/domain/entry';
import { entryFromLine, entryLine } from '../../../src/domain/entry-codec';
import { differences, KeyFacts } from '../../../src/domain/key-facts';
import { checkStatus, dueInfo } from '../../../src/domain/schedule';
import { Secret } from '../../../src/domain/secret';
import { activate } from '../../../src/domain/versions';
import { CorruptError } from '../../../src/errors';
import { CANARY, findCanary } from '../../helpers/canary';

const at = (d: string) => new Date(`${d}T12:00:00Z`);
function entry(over: Partial<Entry> = {}): Entry {
  return { name: 'k', exchange: 'bybit', permissions: ['spot'], ips: ['203.0.113.7'], created: '2026-01-01T00:00:00.000Z', updated: 'u', env: {}, secrets: { apiKey: new Secret(CANARY.apiKey) }, ...over };
}
function facts(over: Partial<KeyFacts> = {}): KeyFacts {
  return { checkedAt: '2026-01-10T00:00:00.000Z', origin: 'https://api.bybit.com', permissions: ['spot'], scopes: ['read', 'trade'], ipRestricted: true, ips: ['203.0.113.7'], expiresAt: null, ...over };
}

describe('stored in the entry', () => {
  it('round-trips through the entry line, and a bad shape is refused without quoting it', () => {
    const e = entry({ verified: facts({ expiresAt: '2026-03-01T00:00:00.000Z' }) });
    expect(entryFromLine(entryLine(e), 'k').verified).toEqual(e.verified);
    const bad = entryLine(entry()).replace(/}$/, `,"verified":{"checkedAt":"${CANARY.apiSecret}"}}`);
    expect(() => entryFromLine(bad, 'k')).toThrow(CorruptError);
    try {
      entryFromLine(bad, 'k');
    } catch (err) {
      expect(findCanary((err as Error).message)).toBeNull();
    }
  });
  it('a new key (rotation) drops the facts about the old one', () => {
    const e = entry({ verified: facts() });
    activate(e, { apiKey: new Secret('new') }, at('2026-02-01'), 10, false);
    expect(e.verified).toBeUndefined();
  });
});

describe('differences from the declaration', () => {
  it('none when they agree; reading is never a difference', () => {
    expect(differences(entry(), facts())).toEqual([]);
  });
  it('permissions, IPs and expiry, each in words', () => {
    const d = differences(entry({ permissions: ['spot', 'contract-trade'], ips: ['203.0.113.7', '198.51.100.1'] }), facts({ scopes: ['read', 'trade', 'withdraw'], ips: ['203.0.113.7', '192.0.2.5'], expiresAt: '2026-04-01T00:00:00Z' }));
    expect(d).toEqual([
      'the exchange grants withdraw, which is not declared',
      'futures is declared, but the exchange does not grant it',
      'the exchange allows 192.0.2.5, which is not declared',
      '198.51.100.1 is declared, but the exchange does not allow it',
      'the exchange disables the key on 2026-04-01 (declared: no expiry)',
    ]);
    expect(differences(entry(), facts({ ipRestricted: false, ips: null }))).toEqual(['1 allowed IP is declared, but the exchange has no IP allow-list for this key']);
    expect(differences(entry({ ips: [] }), facts({ ips: null }))).toEqual(['the exchange has an IP allow-list for this key; none is declared']);
  });
});

describe('vault check rules from the exchange', () => {
  it('"expires at": due soon, then expired', () => {
    const e = entry({ verified: facts({ expiresAt: '2026-01-20T00:00:00.000Z' }) });
    expect(dueInfo(e, {}, at('2026-01-12'))).toMatchObject({ state: 'due-soon', rule: { reason: 'the exchange disables this key on 2026-01-20 (vault verify)', expiry: true } });
    expect(dueInfo(e, {}, at('2026-01-21')).state).toBe('expired');
  });
  it('"no IP allow-list" from the exchange beats a declared one (Bybit: 90 days)', () => {
    const e = entry({ verified: facts({ ipRestricted: false, ips: null }) });
    expect(dueInfo(e, {}, at('2026-03-25'))).toMatchObject({ state: 'due-soon', rule: { reason: expect.stringMatching(/^Bybit invalidates keys without an IP allow-list/) } });
    expect(dueInfo(entry(), {}, at('2026-03-25')).rule).toBeNull();
  });
  it('"can withdraw" when not declared, or from any IP: overdue at once (exit 11), and exec treats the key as money-moving', () => {
    const undeclared = entry({ verified: facts({ scopes: ['read', 'trade', 'withdraw'] }) });
    expect(dueInfo(undeclared, {}, at('2026-01-10'))).toMatchObject({ state: 'overdue', rule: { reason: 'the exchange reports this key can withdraw, which is not declared (vault verify)' } });
    expect(canMoveFunds(undeclared)).toBe(true);
    expect(canMoveFunds(entry())).toBe(false);
    const open = entry({ permissions: ['spot', 'wallet'], verified: facts({ scopes: ['read', 'withdraw'], ipRestricted: false, ips: null }) });
    expect(dueInfo(open, {}, at('2026-01-11'))).toMatchObject({ state: 'overdue', rule: { reason: 'the exchange reports this key can withdraw from any IP address (vault verify)' } });
    expect(checkStatus([dueInfo(open, {}, at('2026-01-11')).state])).toBe(11);
    // Declared, with an allow-list: nothing to say.
    expect(dueInfo(entry({ permissions: ['spot', 'wallet'], verified: facts({ scopes: ['read', 'withdraw'] }) }), {}, at('2026-01-11')).rule).toBeNull();
  });
});
