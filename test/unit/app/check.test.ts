// vault check as a use case: status 0 nothing due, 10 due soon, 11 overdue, on a clock that
// moves only when the test says so.
import { checkDue } from '../../../src/app/check';
import { addEntry } from '../../../src/app/entries';
import { EXIT } from '../../../src/errors';
import { Secret } from '../../../src/domain/secret';
import { CANARY } from '../../helpers/canary';
import { testVault, TestVault } from './fakes';

let v: TestVault;
beforeAll(async () => {
  v = await testVault();
  const secrets = { apiKey: new Secret(CANARY.apiKey), apiSecret: new Secret(CANARY.apiSecret) };
  await addEntry(v.ctx, 'bot', 'binance', { permissions: ['reading'], ips: ['203.0.113.7'], rotateEvery: '90d', warnBefore: '14d' }, secrets);
  await addEntry(v.ctx, 'no-schedule', 'binance', { permissions: ['reading'], ips: ['203.0.113.7'] }, secrets);
});
afterAll(() => v.cleanup());

it('0 while nothing is due, 10 within the warning, 11 once overdue; only due entries are listed', async () => {
  v.clock.advanceDays(60);
  expect(await checkDue(v.ctx)).toEqual({ rows: [], pending: [], interrupted: [], status: EXIT.ok });
  v.clock.advanceDays(20);
  const soon = await checkDue(v.ctx);
  expect(soon.status).toBe(EXIT.dueSoon);
  expect(soon.rows.map((r) => [r.name, r.state])).toEqual([['bot', 'due-soon']]);
  v.clock.advanceDays(20);
  const late = await checkDue(v.ctx);
  expect(late.status).toBe(EXIT.overdue);
  expect(late.rows.map((r) => [r.name, r.state, r.rule?.reason])).toEqual([['bot', 'overdue', 'rotation every 90d']]);
});

it('a wider --within turns a later due date into "due soon"', async () => {
  const fresh = await testVault();
  try {
    await addEntry(fresh.ctx, 'bot', 'binance', { permissions: ['reading'], ips: ['203.0.113.7'], rotateEvery: '90d' }, { apiKey: new Secret(CANARY.apiKey), apiSecret: new Secret(CANARY.apiSecret) });
    fresh.clock.advanceDays(30);
    expect((await checkDue(fresh.ctx)).status).toBe(EXIT.ok);
    expect((await checkDue(fresh.ctx, 70)).status).toBe(EXIT.dueSoon);
  } finally {
    fresh.cleanup();
  }
});
