import { UsageError } from '../../../src/errors';
import { assertReleasable, canMoveFunds, checkEntryName, checkSecrets, parseIps, parsePermissions, scopesOfEntry } from '../../../src/domain/entry';
import { defaultEnvName, envNameProblem } from '../../../src/domain/env-names';
import { Secret } from '../../../src/domain/secret';
import { parseDateOrDuration } from '../../../src/domain/time';
import { inspect } from 'node:util';
import { CANARY } from '../../helpers/canary';

const s = (o: Record<string, string>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, new Secret(v)]));
const B64 = 'A'.repeat(64);

describe('entry names', () => {
  it.each(['binance', 'binance-main', 'a', 'x.y_z-1', 'a'.repeat(64)])('accepts %s', (n) => expect(() => checkEntryName(n)).not.toThrow());
  it.each(['', 'Binance', '-x', '.x', 'a b', 'a/b', 'a\0b', 'a=b', 'a'.repeat(65), 'ключ'])('refuses %j', (n) => expect(() => checkEntryName(n)).toThrow(UsageError));
});

describe('secret checks', () => {
  it('accepts a well-formed Binance HMAC key without warnings', () => {
    expect(checkSecrets('binance', s({ apiKey: B64, apiSecret: B64 }))).toEqual({ errors: [], warnings: [] });
  });
  it('accepts a Binance Ed25519 key pair (key + PEM) instead of a secret', () => {
    const pem = '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIB\n-----END PRIVATE KEY-----\n';
    expect(checkSecrets('binance', s({ apiKey: B64, privateKey: pem })).errors).toEqual([]);
  });
  it('refuses an encrypted private key (PKCS#8 or traditional), which cannot sign without its password', () => {
    const pkcs8 = '-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIBvTBXBgkqhkiG9w0BBQ0wSjApBgkqhkiG9w0BBQwwHAQI\n-----END ENCRYPTED PRIVATE KEY-----\n';
    const traditional = '-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,0123456789ABCDEF0123456789ABCDEF\n\nMIIEow\n-----END RSA PRIVATE KEY-----\n';
    for (const pem of [pkcs8, traditional]) {
      expect(checkSecrets('binance', s({ apiKey: B64, privateKey: pem })).errors).toEqual(['privateKey is an encrypted private key: export it unencrypted (e.g. openssl pkey -in key.pem -out plain.pem) and add that']);
    }
  });
  it('requires the passphrase on OKX, KuCoin, Coinbase Exchange and Bitget', () => {
    for (const ex of ['okx', 'kucoin', 'coinbase-exchange', 'bitget'] as const) {
      expect(checkSecrets(ex, s({ apiKey: 'k', apiSecret: 'v' })).errors.join()).toMatch(/needs passphrase/);
    }
  });
  it('refuses empty values, white space around a value, NUL and multi-line non-PEM values', () => {
    expect(checkSecrets('other', s({ apiKey: '' })).errors).toEqual(['apiKey is empty']);
    expect(checkSecrets('other', s({ apiKey: ' abc' })).errors[0]).toMatch(/white space/);
    expect(checkSecrets('other', s({ apiKey: 'abc\n' })).errors[0]).toMatch(/white space/);
    expect(checkSecrets('other', s({ apiKey: 'a\0b' })).errors[0]).toMatch(/NUL/);
    expect(checkSecrets('other', s({ apiKey: 'a', x: 'b\nc' })).errors[0]).toMatch(/several lines/);
    expect(checkSecrets('other', s({ apiKey: 'a'.repeat(70 * 1024) })).errors[0]).toMatch(/larger than/);
  });
  it('refuses white space (space, NBSP, BOM, zero-width space) around an API key or secret: a pasting mistake', () => {
    for (const ws of [' ', '\u00a0', '\ufeff', '\u200b']) {
      for (const field of ['apiKey', 'apiSecret']) {
        expect(checkSecrets('okx', s({ apiKey: 'k', apiSecret: 'v', passphrase: 'p', [field]: `${ws}abc` })).errors[0]).toMatch(new RegExp(`^${field} has white space`));
        expect(checkSecrets('okx', s({ apiKey: 'k', apiSecret: 'v', passphrase: 'p', [field]: `abc${ws}` })).errors[0]).toMatch(new RegExp(`^${field} has white space`));
      }
    }
  });
  it('stores a chosen passphrase with white space at its start or end, warning by field name only', () => {
    for (const ex of ['okx', 'kucoin', 'coinbase-exchange', 'bitget'] as const) {
      for (const ws of [' ', '\u00a0', '\ufeff', '\u200b']) {
        const r = checkSecrets(ex, s({ apiKey: 'k', apiSecret: 'v', passphrase: `${ws}${CANARY.passphrase}${ws}` }));
        expect(r.errors.filter((e) => /white space/.test(e))).toEqual([]);
        expect(r.warnings).toContain('passphrase has white space at its start or end: stored as given (check the exchange has the same)');
        expect(r.warnings.join()).not.toContain(CANARY.passphrase);
      }
    }
    // A line break is still a pasting mistake, even in a passphrase.
    expect(checkSecrets('okx', s({ apiKey: 'k', apiSecret: 'v', passphrase: 'abc\n' })).errors[0]).toMatch(/passphrase has white space/);
  });
  it('refuses a value with a lone surrogate: it would be stored as U+FFFD, not what the exchange has', () => {
    const r = checkSecrets('okx', s({ apiKey: 'k', apiSecret: 'v', passphrase: JSON.parse('"\\ud800x"') }));
    expect(r.errors).toEqual(['passphrase is not valid Unicode (a lone surrogate)']);
    expect(checkSecrets('okx', s({ apiKey: 'k', apiSecret: 'a\udc00bcdef', passphrase: 'p' })).errors).toEqual(['apiSecret is not valid Unicode (a lone surrogate)']);
    expect(checkSecrets('okx', s({ apiKey: 'k', apiSecret: 'v', passphrase: 'p😀é' })).errors).toEqual([]);
  });
  it('warns, naming the field but not the value, when a key does not look like the exchange', () => {
    const r = checkSecrets('binance', s({ apiKey: CANARY.apiKey.slice(0, 20), apiSecret: B64 }));
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual(['apiKey does not match the usual Binance format (expected 64 letters and digits)']);
    expect(r.warnings.join()).not.toContain(CANARY.apiKey.slice(0, 20));
  });
  it('refuses bad field names', () => {
    expect(checkSecrets('other', s({ apiKey: 'a', 'a=b': 'c' })).errors[0]).toMatch(/invalid field name/);
  });
});

describe('permissions', () => {
  it('normalises exchange terms to scopes and flags money-moving keys', () => {
    const e = { exchange: 'binance' as const, permissions: parsePermissions('binance', ['Reading', 'spot', 'withdrawals']) };
    expect(e.permissions).toEqual(['reading', 'spot', 'withdrawals']);
    expect(scopesOfEntry(e)).toEqual(['read', 'trade', 'withdraw']);
    expect(canMoveFunds(e)).toBe(true);
    expect(canMoveFunds({ exchange: 'okx', permissions: ['read', 'trade'] })).toBe(false);
    expect(scopesOfEntry({ exchange: 'bybit', permissions: ['wallet'] })).toEqual(['withdraw', 'transfer']);
  });
  it('refuses unknown terms with the known ones as a hint', () => {
    expect(() => parsePermissions('okx', ['teleport'])).toThrow(/unknown permission "teleport" for OKX/);
  });
});

describe('IP allow-list', () => {
  it('accepts IPv4, CIDR and IPv6, and refuses the rest', () => {
    expect(parseIps(['203.0.113.7', '10.0.0.0/8', '2001:db8::1', ' '])).toEqual(['203.0.113.7', '10.0.0.0/8', '2001:db8::1']);
    for (const bad of ['256.1.1.1', '1.2.3', 'example.com', '1.2.3.4/33']) expect(() => parseIps([bad])).toThrow(UsageError);
  });
});

describe('environment names', () => {
  it('derives default names', () => {
    expect(defaultEnvName('binance-main', 'apiKey')).toBe('BINANCE_MAIN_API_KEY');
    expect(defaultEnvName('okx.grid', 'passphrase')).toBe('OKX_GRID_API_PASSPHRASE');
    expect(defaultEnvName('cb', 'privateKey')).toBe('CB_PRIVATE_KEY');
    expect(defaultEnvName('x', 'subAccountId')).toBe('X_SUB_ACCOUNT_ID');
  });
  it.each(['LD_PRELOAD', 'LD_LIBRARY_PATH', 'DYLD_INSERT_LIBRARIES', 'NODE_OPTIONS', 'PATH', 'BASH_ENV', 'ENV', 'lower', '1ABC', 'A-B', 'A=B', ''])('refuses %j', (n) => {
    expect(envNameProblem(n)).not.toBeNull();
  });
  it('accepts ordinary names', () => expect(envNameProblem('BINANCE_API_KEY')).toBeNull());
});

describe('dates', () => {
  const now = new Date('2026-11-22T12:00:00Z');
  it('parses dates and durations, refusing rolled-over dates', () => {
    expect(parseDateOrDuration('90d', now)?.toISOString().slice(0, 10)).toBe('2027-02-20');
    expect(parseDateOrDuration('2027-02-28', now)?.toISOString().slice(0, 10)).toBe('2027-02-28');
    expect(parseDateOrDuration('2027-02-30', now)).toBeNull();
    expect(parseDateOrDuration('soon', now)).toBeNull();
    expect(parseDateOrDuration('0d', now)).toBeNull();
  });
});

describe('Secret', () => {
  it('never prints its value by accident', () => {
    const v = new Secret(CANARY.apiSecret);
    expect(String(v)).toBe('[redacted]');
    expect(`${v}`).toBe('[redacted]');
    expect(JSON.stringify({ v })).toBe('{"v":"[redacted]"}');
    expect(inspect({ v })).not.toContain(CANARY.apiSecret);
    expect(v.reveal()).toBe(CANARY.apiSecret);
  });
});

describe('assertReleasable and the exchange\'s reported expiry', () => {
  const base = { name: 'by', exchange: 'bybit', permissions: ['spot'], ips: [], secrets: {}, created: '2026-01-01T00:00:00Z' } as unknown as Parameters<typeof assertReleasable>[0];
  const facts = (expiresAt: string | null) => ({ checkedAt: '2026-11-01T00:00:00.000Z', origin: 'https://api.bybit.com', permissions: ['spot'], scopes: ['read', 'trade'] as ('read' | 'trade')[], ipRestricted: true, ips: ['203.0.113.7'], expiresAt });
  it('a reported expiry that is past refuses the key like a declared one', () => {
    expect(() => assertReleasable({ ...base, verified: facts('2026-11-30T10:00:00.000Z') }, false, '2026-12-01')).toThrow('the key in by expired on 2026-11-30 (as its exchange reported)');
    expect(() => assertReleasable({ ...base, expires: '2026-11-30' }, false, '2026-12-01')).toThrow('the key in by expired on 2026-11-30');
  });
  it('today, later, or none reported: released', () => {
    for (const at of ['2026-12-01T23:00:00.000Z', '2027-01-01T00:00:00.000Z', null]) expect(() => assertReleasable({ ...base, verified: facts(at) }, false, '2026-12-01')).not.toThrow();
  });
});
