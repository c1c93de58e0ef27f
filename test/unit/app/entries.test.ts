// get, add and rm as use cases, in-process against a vault in a temp folder.
import { addEntry, getEntry, listEntries, removeEntry, renameEntry, revealField } from '../../../src/app/entries';
import { listProfiles, setProfile } from '../../../src/app/profiles';
import { EXIT } from '../../../src/errors';
import { Secret } from '../../../src/domain/secret';
import { CANARY, findCanary } from '../../helpers/canary';
import { testVault, TestVault } from './fakes';

let v: TestVault;
const meta = { permissions: ['reading', 'spot'], ips: ['203.0.113.7'] };
const secrets = () => ({ apiKey: new Secret(CANARY.apiKey), apiSecret: new Secret(CANARY.apiSecret) });

beforeEach(async () => {
  v = await testVault();
});
afterEach(() => {
  expect(findCanary(JSON.stringify(v.audit.events) + v.notices.warnings.join('\n'))).toBeNull();
  v.cleanup();
});

it('add stores an entry that list and show then find; a second add of the name is refused (2) and changes nothing', async () => {
  const e = await addEntry(v.ctx, 'bot', 'binance', meta, secrets());
  expect(e).toMatchObject({ name: 'bot', exchange: 'binance', permissions: ['reading', 'spot'], ips: ['203.0.113.7'], created: v.clock.now().toISOString() });
  expect((await listEntries(v.ctx)).entries.map((x) => x.name)).toEqual(['bot']);
  await expect(addEntry(v.ctx, 'bot', 'binance', meta, { apiKey: new Secret('x'.repeat(64)), apiSecret: new Secret('y'.repeat(64)) })).rejects.toMatchObject({ exitCode: EXIT.usage });
  expect((await getEntry(v.ctx, 'bot')).secrets.apiKey!.reveal()).toBe(CANARY.apiKey);
});

it('rm removes the entry; after it get and rm are "no such entry" (4)', async () => {
  await addEntry(v.ctx, 'bot', 'binance', meta, secrets());
  await addEntry(v.ctx, 'keep', 'binance', meta, secrets());
  await removeEntry(v.ctx, 'bot');
  expect((await listEntries(v.ctx)).entries.map((x) => x.name)).toEqual(['keep']);
  await expect(getEntry(v.ctx, 'bot')).rejects.toMatchObject({ exitCode: EXIT.notFound });
  await expect(removeEntry(v.ctx, 'bot')).rejects.toMatchObject({ exitCode: EXIT.notFound });
});

it('get returns the one value asked for, recorded (names only) before it is returned', async () => {
  await addEntry(v.ctx, 'bot', 'binance', meta, secrets());
  expect(await revealField(v.ctx, 'bot', 'apiSecret')).toBe(CANARY.apiSecret);
  expect(v.audit.events).toEqual([{ seq: 1, event: { cmd: 'get', entries: [{ entry: 'bot', fields: ['apiSecret'] }] } }]);
});

it('get of a missing entry or field is 4 and records nothing; get fails (and releases nothing) when the record cannot be written', async () => {
  await addEntry(v.ctx, 'bot', 'binance', meta, secrets());
  await expect(revealField(v.ctx, 'nope', 'apiKey')).rejects.toMatchObject({ exitCode: EXIT.notFound });
  await expect(revealField(v.ctx, 'bot', 'passphrase')).rejects.toMatchObject({ exitCode: EXIT.notFound, message: 'entry "bot" has no field "passphrase"' });
  expect(v.audit.events).toEqual([]);
  v.audit.failFrom = 1;
  await expect(revealField(v.ctx, 'bot', 'apiKey')).rejects.toMatchObject({ code: 'audit' });
});

it('rename carries profiles over to the new name (entries, mapped and file fields); rm warns which profiles still name the entry', async () => {
  await addEntry(v.ctx, 'bot', 'binance', meta, secrets());
  await addEntry(v.ctx, 'other', 'binance', meta, secrets());
  await setProfile(v.ctx, { name: 'grid', entries: ['bot', 'other'], map: { KEY: { entry: 'bot', field: 'apiKey' } }, files: { SEC: { entry: 'bot', field: 'apiSecret' } }, pristine: false, allowWithdraw: false, keep: [] });
  await renameEntry(v.ctx, 'bot', 'bot2');
  const [p] = await listProfiles(v.ctx);
  expect(p).toMatchObject({ entries: ['bot2', 'other'], map: { KEY: { entry: 'bot2', field: 'apiKey' } }, files: { SEC: { entry: 'bot2', field: 'apiSecret' } } });
  v.notices.warnings.length = 0;
  await removeEntry(v.ctx, 'other');
  expect(v.notices.warnings).toEqual(['profile grid still names "other": fix with vault profile set, or remove with vault profile rm']);
  v.notices.warnings.length = 0;
  await removeEntry(v.ctx, 'bot2');
  expect(v.notices.warnings).toEqual(['profile grid still names "bot2": fix with vault profile set, or remove with vault profile rm']);
});

it('a profile mapping a field the entry lacks is refused when saved (4), not at the bot\'s next start', async () => {
  await addEntry(v.ctx, 'bot', 'binance', meta, secrets());
  await expect(setProfile(v.ctx, { name: 'grid', entries: [], map: { PASS: { entry: 'bot', field: 'passphrase' } }, pristine: false, allowWithdraw: false, keep: [] })).rejects.toMatchObject({ exitCode: EXIT.notFound, message: 'entry "bot" has no field "passphrase"' });
  expect(await listProfiles(v.ctx)).toEqual([]);
});
