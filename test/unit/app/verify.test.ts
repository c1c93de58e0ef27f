// vault verify as a use case, with an in-memory exchange verifier: what it records, its status
// (12 refused beats 13 unreachable), the audit record made before any key is used, and an
// answer about a key that was rotated while the exchange was asked is not recorded.
import { verifyKeys } from '../../../src/app/verify';
import { addEntry, getEntry } from '../../../src/app/entries';
import { rotateManual } from '../../../src/app/rotate';
import type { ExchangeCredential, ExchangeVerifier } from '../../../src/app/ports';
import { EXIT, ExchangeRefusedError, ExchangeUnreachableError, NotFoundError, StorageError, UsageError } from '../../../src/errors';
import type { KeyFacts } from '../../../src/domain/key-facts';
import { Secret } from '../../../src/domain/secret';
import { CANARY } from '../../helpers/canary';
import { testVault, TestVault } from './fakes';

let v: TestVault;
const secrets = (k = CANARY.apiKey) => ({ apiKey: new Secret(k), apiSecret: new Secret(CANARY.apiSecret), passphrase: new Secret(CANARY.passphrase) });
const facts = (over: Partial<KeyFacts> = {}): KeyFacts => ({ checkedAt: '2026-01-01T12:00:00.000Z', origin: 'http://127.0.0.1:1', permissions: ['read_only', 'trade'], scopes: ['read', 'trade'], ipRestricted: true, ips: ['203.0.113.7'], expiresAt: null, ...over });

function verifier(answer: (k: ExchangeCredential) => Promise<KeyFacts>, prepare: ExchangeVerifier['prepare'] = () => undefined): ExchangeVerifier & { asked: string[] } {
  const asked: string[] = [];
  return { asked, prepare, unavailable: (x) => (x === 'kraken' ? 'not available from the exchange' : null), verify: async (k) => (asked.push(k.secrets.apiKey!.reveal()), answer(k)) };
}

beforeAll(async () => {
  v = await testVault();
  await addEntry(v.ctx, 'okx', 'okx', { permissions: ['read', 'trade'], ips: ['203.0.113.7'] }, secrets());
  await addEntry(v.ctx, 'okx2', 'okx', { permissions: ['read'], ips: [] }, secrets('second-key'));
  await addEntry(v.ctx, 'kr', 'kraken', { permissions: ['query-funds'] }, { apiKey: new Secret('k'), apiSecret: new Secret('c2VjcmV0') });
});
afterAll(() => v.cleanup());

it('records each answer, lists differences, and skips what cannot be asked', async () => {
  const ver = verifier(async (k) => (k.secrets.apiKey!.reveal() === CANARY.apiKey ? facts() : facts({ ipRestricted: false, ips: null, scopes: ['read', 'trade'] })));
  const before = v.audit.events.length;
  const r = await verifyKeys(v.ctx, ver, []);
  expect(r.status).toBe(EXIT.ok);
  expect(r.rows.map((x) => [x.name, x.state])).toEqual([['kr', 'unavailable'], ['okx', 'verified'], ['okx2', 'verified']]);
  expect(r.rows[2]!.differences).toEqual(['the exchange grants trade, which is not declared']);
  expect((await getEntry(v.ctx, 'okx')).verified).toEqual(facts());
  expect((await getEntry(v.ctx, 'kr')).verified).toBeUndefined();
  // One audit record, before the keys were used, naming them.
  expect(v.audit.events.slice(before).map((e) => e.event)).toEqual([{ cmd: 'verify', entries: [{ entry: 'okx', fields: ['apiKey', 'apiSecret', 'passphrase'] }, { entry: 'okx2', fields: ['apiKey', 'apiSecret', 'passphrase'] }] }]);
});

it('12 when an exchange refused a key, even if another was unreachable; the others are still asked and recorded', async () => {
  const ver = verifier(async (k) => {
    if (k.secrets.apiKey!.reveal() === CANARY.apiKey) throw new ExchangeRefusedError('OKX refused the request (code 50113: the signature is not valid); nothing was changed');
    throw new ExchangeUnreachableError('OKX: no answer within 15 s; nothing was changed');
  });
  const r = await verifyKeys(v.ctx, ver, ['okx2', 'okx']);
  expect(r.status).toBe(EXIT.exchangeRefused);
  expect(ver.asked).toEqual(['second-key', CANARY.apiKey]);
  expect(r.rows.map((x) => [x.name, x.state, x.status])).toEqual([['okx2', 'failed', 13], ['okx', 'failed', 12]]);
  const only13 = await verifyKeys(v.ctx, verifier(async () => { throw new ExchangeUnreachableError('x'); }), ['okx']);
  expect(only13.status).toBe(EXIT.exchangeUnreachable);
});

it('an unknown name is refused before any exchange is asked', async () => {
  const ver = verifier(async () => facts());
  await expect(verifyKeys(v.ctx, ver, ['okx', 'nope'])).rejects.toThrow(NotFoundError);
  expect(ver.asked).toEqual([]);
});

it('an answer about a key rotated meanwhile is shown, not recorded', async () => {
  const ver = verifier(async () => {
    await rotateManual(v.ctx, 'okx2', secrets('third-key'));
    return facts({ permissions: ['read_only'], scopes: ['read'] });
  });
  const r = await verifyKeys(v.ctx, ver, ['okx2']);
  expect(r.rows[0]!.state).toBe('verified');
  expect((await getEntry(v.ctx, 'okx2')).verified).toBeUndefined();
  expect(v.notices.warnings.at(-1)).toMatch(/okx2 changed while its exchange was asked/);
});

it('a run the verifier cannot make is refused before any key is used or recorded', async () => {
  const before = v.audit.events.length;
  const seen: string[][] = [];
  const ver = verifier(async () => facts(), (ids) => {
    seen.push(ids);
    throw new UsageError('--api-url is for one exchange');
  });
  await expect(verifyKeys(v.ctx, ver, ['okx', 'okx2', 'kr'])).rejects.toThrow(UsageError);
  expect(seen).toEqual([['okx', 'okx']]);
  expect(ver.asked).toEqual([]);
  expect(v.audit.events.length).toBe(before);
});

it('a vault file the write cannot replace is refused before any request', async () => {
  const before = v.audit.events.length;
  const store = v.ctx.vault as { checkWritable?: () => void };
  store.checkWritable = () => {
    throw new StorageError('could not write the vault (operation not permitted)', 'nothing was asked or changed');
  };
  try {
    const ver = verifier(async () => facts());
    await expect(verifyKeys(v.ctx, ver, ['okx'])).rejects.toThrow(StorageError);
    expect(ver.asked).toEqual([]);
    expect(v.audit.events.length).toBe(before);
  } finally {
    delete store.checkWritable;
  }
});

it('an unexpected error from one exchange fails that entry (13); the others are still asked and recorded', async () => {
  const ver = verifier(async (k) => {
    if (k.secrets.apiKey!.reveal() === CANARY.apiKey) throw new RangeError('Invalid time value');
    return facts({ permissions: ['read_only'], scopes: ['read'], ips: null, ipRestricted: false });
  });
  const r = await verifyKeys(v.ctx, ver, ['okx', 'okx2']);
  expect(r.status).toBe(EXIT.exchangeUnreachable);
  expect(r.rows.map((x) => [x.name, x.state, x.status])).toEqual([['okx', 'failed', 13], ['okx2', 'verified', 0]]);
  expect(r.rows[0]!.reason).toBe('okx: answered in a shape it does not document; nothing was changed');
  expect((await getEntry(v.ctx, 'okx2')).verified).toMatchObject({ permissions: ['read_only'] });
});
