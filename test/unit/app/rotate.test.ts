// rotate --due as a use case: its status is check's after the run (0, 10, 11), and at least 1
// when a rotation or revocation failed. Hooks are real shell commands (platform/hook.ts).
import { addEntry, editEntry, getEntry } from '../../../src/app/entries';
import { rotateDue, rotateEntry, rotateWithHook } from '../../../src/app/rotate';
import { EXIT } from '../../../src/errors';
import { Secret } from '../../../src/domain/secret';
import { CANARY, findCanary } from '../../helpers/canary';
import { testVault, TestVault } from './fakes';

let v: TestVault;
const meta = { permissions: ['reading'], ips: ['203.0.113.7'], rotateEvery: '90d' };
const secrets = () => ({ apiKey: new Secret(CANARY.apiKey), apiSecret: new Secret(CANARY.apiSecret) });
// Reads the old credential from stdin, prints a new one (test values, not canaries).
const ROTATE_HOOK = `cat >/dev/null; printf '%s' '{"apiKey":"${'N'.repeat(64)}","apiSecret":"${'S'.repeat(64)}"}'`;

beforeEach(async () => {
  v = await testVault();
});
afterEach(() => {
  expect(findCanary(JSON.stringify(v.audit.events) + v.notices.warnings.join('\n'))).toBeNull();
  v.cleanup();
});

it('0 when nothing is due, and nothing is run', async () => {
  await addEntry(v.ctx, 'bot', 'binance', meta, secrets());
  v.clock.advanceDays(10);
  expect(await rotateDue(v.ctx)).toEqual({ report: { rotated: [], manual: [], failed: [], pending: [], status: EXIT.ok }, status: EXIT.ok });
  expect(v.audit.events).toEqual([]);
});

it('11 when an overdue key has no hook: a person must rotate it', async () => {
  await addEntry(v.ctx, 'bot', 'binance', meta, secrets());
  v.clock.advanceDays(100);
  const { report, status } = await rotateDue(v.ctx);
  expect(status).toBe(EXIT.overdue);
  expect(report.manual).toEqual([{ name: 'bot', state: 'overdue', reason: 'rotation every 90d' }]);
});

it('an overdue key with a hook is rotated, and the status is then 0', async () => {
  await addEntry(v.ctx, 'bot', 'binance', { ...meta, rotateHook: ROTATE_HOOK }, secrets());
  v.clock.advanceDays(100);
  const { report, status } = await rotateDue(v.ctx);
  expect(report.rotated).toEqual(['bot']);
  expect(status).toBe(EXIT.ok);
  expect((await getEntry(v.ctx, 'bot')).secrets.apiKey!.reveal()).toBe('N'.repeat(64));
});

it('a failed rotation keeps the key and the status is 11 (overdue wins over 1)', async () => {
  await addEntry(v.ctx, 'bot', 'binance', { ...meta, rotateHook: 'cat >/dev/null; exit 3' }, secrets());
  v.clock.advanceDays(100);
  const { report, status } = await rotateDue(v.ctx);
  expect(report.failed).toEqual([{ name: 'bot', message: 'bot: the rotate hook failed (exit 3); the current key stays active' }]);
  expect(status).toBe(EXIT.overdue);
  expect((await getEntry(v.ctx, 'bot')).secrets.apiKey!.reveal()).toBe(CANARY.apiKey);
});

it('a revocation that fails again makes the status 1 although nothing is due', async () => {
  await addEntry(v.ctx, 'bot', 'binance', { ...meta, rotateHook: ROTATE_HOOK, revokeHook: 'cat >/dev/null; exit 4' }, secrets());
  await expect(rotateWithHook(v.ctx, 'bot')).rejects.toMatchObject({ code: 'rotation' });
  expect((await getEntry(v.ctx, 'bot')).history?.[0]?.revokePending).toBe(true);
  const { report, status } = await rotateDue(v.ctx);
  expect(report.status).toBe(EXIT.ok);
  expect(report.failed.map((f) => f.name)).toEqual(['bot']);
  expect(status).toBe(EXIT.failure);
  // Once the revoke hook works, the retry clears it and the status is 0 again.
  await editEntry(v.ctx, 'bot', { revokeHook: 'cat >/dev/null' });
  expect((await rotateDue(v.ctx)).status).toBe(EXIT.ok);
  expect((await getEntry(v.ctx, 'bot')).history?.[0]?.revokePending).toBeFalsy();
});

it('rotate NAME: through the hook when there is one, by hand (steps shown, then the fields asked for) otherwise or when asked', async () => {
  await addEntry(v.ctx, 'hooked', 'binance', { ...meta, rotateHook: ROTATE_HOOK }, secrets());
  const asked: string[] = [];
  const readFields = async (e: { name: string }) => {
    asked.push(e.name);
    return { apiKey: new Secret('H'.repeat(64)), apiSecret: new Secret('J'.repeat(64)) };
  };
  expect(await rotateEntry(v.ctx, 'hooked', false, readFields)).toEqual({ via: 'source', version: 2, revoked: [], pending: [], revocable: false });
  expect(asked).toEqual([]);
  const byHand = await rotateEntry(v.ctx, 'hooked', true, readFields);
  expect(byHand).toMatchObject({ via: 'hand', retired: { n: 2 } });
  expect(asked).toEqual(['hooked']);
  expect(v.notices.infos).toEqual([expect.stringMatching(/^Binance: API Management/), 'IP allow-list to set: 203.0.113.7', 'permissions to copy: reading']);
  expect((await getEntry(v.ctx, 'hooked')).secrets.apiKey!.reveal()).toBe('H'.repeat(64));
  expect(v.audit.events.map((e) => e.event.cmd)).toEqual(['rotate', 'rotate']);
});
