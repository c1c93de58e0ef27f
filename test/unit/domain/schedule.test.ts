// Due dates at fixed clocks (no sleeping): each rule, the earliest winning, and the states.
import { Entry } from '../../../src/domain/entry';
import { checkStatus, dueInfo, dueText, rotateNow } from '../../../src/domain/schedule';
import { Secret } from '../../../src/domain/secret';
import { activate, markRevoked, rollback, versionExposure } from '../../../src/domain/versions';

const at = (d: string) => new Date(`${d}T12:00:00Z`);
function entry(over: Partial<Entry> = {}): Entry {
  return { name: 'k', exchange: 'okx', permissions: ['read', 'trade'], ips: ['203.0.113.7'], created: '2026-01-01T00:00:00.000Z', updated: 'u', env: {}, secrets: { apiKey: new Secret('v1') }, ...over };
}
const day = (d: Date | undefined) => d?.toISOString().slice(0, 10);

describe('due dates', () => {
  it('user period: ok, due soon within the warning, overdue after', () => {
    const e = entry({ rotation: { everyDays: 90 } });
    // Calendar days: from March 10 to April 1 is 22, whatever the hour.
    expect(dueInfo(e, {}, at('2026-03-10'))).toMatchObject({ state: 'ok', days: 22 });
    expect(day(dueInfo(e, {}, at('2026-03-10')).rule?.due)).toBe('2026-04-01');
    expect(dueInfo(e, {}, at('2026-03-20')).state).toBe('due-soon');
    expect(dueInfo(e, {}, at('2026-04-02'))).toMatchObject({ state: 'overdue', rule: { reason: 'rotation every 90d' } });
    expect(dueText(dueInfo(e, {}, at('2026-04-05')))).toBe('overdue 4d');
  });

  it('counts from the last rotation, not creation', () => {
    const e = entry({ rotation: { everyDays: 30 }, rotated: '2026-03-01T00:00:00.000Z' });
    expect(day(dueInfo(e, {}, at('2026-03-02')).rule?.due)).toBe('2026-03-31');
  });

  it("the user's expiry date is a hard expiry and wins when earlier", () => {
    const e = entry({ rotation: { everyDays: 90 }, expires: '2026-02-15' });
    expect(dueInfo(e, {}, at('2026-02-10'))).toMatchObject({ state: 'due-soon', rule: { reason: 'expires on 2026-02-15', expiry: true } });
    expect(dueInfo(e, {}, at('2026-02-16')).state).toBe('expired');
  });

  it('Binance: a trading key without an IP allow-list expires after 30 days; with one it does not', () => {
    const noIp = entry({ exchange: 'binance', permissions: ['reading', 'spot'], ips: [] });
    expect(dueInfo(noIp, {}, at('2026-02-01'))).toMatchObject({ state: 'expired', rule: { reason: expect.stringMatching(/^Binance disables trading/) } });
    expect(day(dueInfo(noIp, {}, at('2026-01-05')).rule?.due)).toBe('2026-01-31');
    expect(dueInfo({ ...noIp, ips: ['203.0.113.7'] }, {}, at('2026-02-01')).rule).toBeNull();
    expect(dueInfo({ ...noIp, permissions: ['reading'] }, {}, at('2026-02-01')).rule).toBeNull();
  });

  it('Bybit: any key without an IP allow-list expires after 90 days', () => {
    const e = entry({ exchange: 'bybit', permissions: ['read-only'], ips: [] });
    expect(day(dueInfo(e, {}, at('2026-01-02')).rule?.due)).toBe('2026-04-01');
  });

  it('the earliest rule wins among period, expiry and exchange rule', () => {
    const e = entry({ exchange: 'binance', permissions: ['spot'], ips: [], rotation: { everyDays: 60 }, expires: '2026-12-31' });
    expect(dueInfo(e, {}, at('2026-01-02')).rule?.reason).toMatch(/^Binance/);
    expect(dueInfo({ ...e, rotation: { everyDays: 10 } }, {}, at('2026-01-02')).rule?.reason).toBe('rotation every 10d');
  });

  it('vault-wide defaults apply to entries without their own; --within overrides the warning', () => {
    const e = entry();
    expect(dueInfo(e, {}, at('2026-01-02')).rule).toBeNull();
    expect(dueInfo(e, { rotateEveryDays: 30, warnBeforeDays: 3 }, at('2026-01-25'))).toMatchObject({ state: 'ok' });
    expect(dueInfo(e, { rotateEveryDays: 30, warnBeforeDays: 3 }, at('2026-01-25'), 7)).toMatchObject({ state: 'due-soon' });
  });

  it('check status: 0 nothing due, 10 due soon, 11 overdue or expired', () => {
    expect(checkStatus(['ok'])).toBe(0);
    expect(checkStatus(['ok', 'due-soon'])).toBe(10);
    expect(checkStatus(['due-soon', 'overdue'])).toBe(11);
    expect(checkStatus(['expired'])).toBe(11);
  });
});

describe('versions', () => {
  const s = (v: string) => ({ apiKey: new Secret(v) });

  it('activate keeps the old version as previous, numbers versions, prunes to keep', () => {
    const e = entry();
    for (let i = 2; i <= 5; i++) activate(e, s(`v${i}`), at(`2026-02-0${i}`), 3, false);
    expect(e.version).toBe(5);
    expect(e.secrets.apiKey!.reveal()).toBe('v5');
    expect(e.history!.map((v) => [v.n, v.state, v.secrets.apiKey!.reveal()])).toEqual([[4, 'previous', 'v4'], [3, 'previous', 'v3'], [2, 'previous', 'v2']]);
    expect(e.rotated).toBe(at('2026-02-05').toISOString());
  });

  it('rollback brings back the newest non-revoked version; a revoked one is refused', () => {
    const e = entry();
    activate(e, s('v2'), at('2026-02-01'), 10, true);
    expect(e.history![0]!.revokePending).toBe(true);
    activate(e, s('v3'), at('2026-03-01'), 10, false);
    markRevoked(e, 2, at('2026-03-02'));
    expect(() => rollback(e, 2, at('2026-03-03'))).toThrow(/was revoked/);
    const back = rollback(e, undefined, at('2026-03-03'));
    expect(back.n).toBe(1);
    expect(e.secrets.apiKey!.reveal()).toBe('v1');
    expect(e.rotated).toBe('2026-01-01T00:00:00.000Z');
    expect(e.history!.map((v) => [v.n, v.state])).toEqual([[3, 'previous'], [2, 'revoked']]);
    // A new version after a rollback gets a number never used before.
    activate(e, s('v4'), at('2026-03-04'), 10, false);
    expect(e.version).toBe(4);
  });
});

describe('what rotate --due acts on', () => {
  it('a period once passed; an expiry within its warning time; never a freshly rotated key', () => {
    const periodic = entry({ rotation: { everyDays: 7, warnDays: 30 } });
    expect(rotateNow(dueInfo(periodic, {}, at('2026-01-03')))).toBe(false);
    expect(dueInfo(periodic, {}, at('2026-01-03')).state).toBe('due-soon');
    expect(rotateNow(dueInfo(periodic, {}, at('2026-01-09')))).toBe(true);
    const expiring = entry({ expires: '2026-01-10' });
    expect(rotateNow(dueInfo(expiring, {}, at('2026-01-03')))).toBe(true);
    activate(expiring, { apiKey: new Secret('v2') }, at('2026-01-03'), 10, false);
    expect(expiring.expires).toBeUndefined();
    expect(rotateNow(dueInfo(expiring, {}, at('2026-01-03')))).toBe(false);
  });
});

describe('exposed keys (a removed recipient could read them)', () => {
  const exposed = { at: '2026-03-01T10:00:00.000Z', by: ['vps-grid'] };

  it('are overdue from the moment of exposure, whatever else is scheduled, and rotate --due acts', () => {
    const e = entry({ rotation: { everyDays: 365 }, exposed });
    const d = dueInfo(e, {}, at('2026-03-03'));
    expect(d).toMatchObject({ state: 'overdue', days: -2 });
    expect(d.rule!.reason).toBe('exposed: readable by removed recipient vps-grid; rotate it on the exchange');
    expect(rotateNow(d)).toBe(true);
    expect(checkStatus([d.state])).toBe(11);
  });

  it('an expiry already past still says expired', () => {
    const e = entry({ expires: '2026-02-01', exposed });
    expect(dueInfo(e, {}, at('2026-03-03')).state).toBe('expired');
  });

  it('a rotation clears the mark on the new key; the mark goes into the history with the old one', () => {
    const e = entry({ exposed });
    activate(e, { apiKey: new Secret('v2') }, at('2026-03-04'), 10, false);
    expect(e.exposed).toBeUndefined();
    expect(dueInfo(e, {}, at('2026-03-05')).state).toBe('ok');
    expect(e.history![0]!.exposed).toEqual(exposed);
  });

  it('a rollback to an exposed version brings the mark back (rt22 #2): check exits 11 again', () => {
    const e = entry({ exposed });
    activate(e, { apiKey: new Secret('v2') }, at('2026-03-04'), 10, false);
    const back = rollback(e, undefined, at('2026-03-05'));
    expect(back.exposed).toEqual(exposed);
    expect(e.exposed).toEqual(exposed);
    expect(e.secrets.apiKey).toBeDefined();
    expect(checkStatus([dueInfo(e, {}, at('2026-03-05')).state])).toBe(11);
    // The clean key retired by the rollback keeps no mark: rolling forward to it clears it.
    expect(e.history![0]!.exposed).toBeUndefined();
    rollback(e, e.history![0]!.n, at('2026-03-06'));
    expect(e.exposed).toBeUndefined();
  });

  it('a vault marked before versions carried the mark: a version older than the exposure counts as exposed', () => {
    const old = { n: 0, activated: '2026-01-01T00:00:00.000Z', retired: '2026-02-01T00:00:00.000Z', state: 'previous' as const, secrets: { apiKey: new Secret('v0') } };
    const f = entry({ exposed, history: [old] });
    expect(versionExposure(f, old)).toEqual(exposed);
    rollback(f, undefined, at('2026-03-04'));
    expect(f.exposed).toEqual(exposed);
    const later = { ...old, activated: '2026-03-02T00:00:00.000Z' };
    expect(versionExposure(entry({ exposed, history: [later] }), later)).toBeUndefined();
  });
});
