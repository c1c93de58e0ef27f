// The rotation flow as a use case, with in-memory ports: a fake ExchangeAdmin (the port the
// built-in exchange adapters implement) and a fake run registry (which vault exec runs hold
// which version), so every branch of the overlap can be driven by the test: bots holding the
// old version, bots gone, the window over (the clock moved), nothing visible, a key source
// failing half way, a rotation killed between asking for a key and storing it.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { addEntry, editEntry, getEntry } from '../../../src/app/entries';
import { finishEntry, pendingRevokes, rotateDue, rotateEntry, rotateWithHook } from '../../../src/app/rotate';
import type { ExchangeAdmin, ExchangeCredential, OldKeyInfo } from '../../../src/app/ports';
import { mutate } from '../../../src/app/session';
import { setProfile } from '../../../src/app/profiles';
import { checkDue } from '../../../src/app/check';
import { rollbackEntry } from '../../../src/app/rollback';
import { findEntry } from '../../../src/app/entries';
import { RotationError } from '../../../src/errors';
import { Secret } from '../../../src/domain/secret';
import { CANARY, findCanary } from '../../helpers/canary';
import { testVault, TestVault } from './fakes';

let v: TestVault;
const secrets = () => ({ apiKey: new Secret(CANARY.apiKey), apiSecret: new Secret(CANARY.apiSecret) });
/** A new key each time, as an exchange makes: N...N, or P...P when N...N is the one it was given. */
const ROTATE_HOOK = `if grep -q ${'N'.repeat(64)}; then k=${'P'.repeat(64)}; else k=${'N'.repeat(64)}; fi; printf '{"apiKey":"%s","apiSecret":"${'S'.repeat(64)}"}' $k`;
const REVOKE_OK = 'cat >/dev/null';
const key = async (name: string) => (await getEntry(v.ctx, name)).secrets.apiKey!.reveal();
const versions = async (name: string) => (await getEntry(v.ctx, name)).history!.map((x) => [x.n, x.state, Boolean(x.revokePending)]);

/** An exchange in memory: live keys by id; `failCreate`/`failDelete` make the next call fail. */
class FakeAdmin implements ExchangeAdmin {
  readonly live = new Set<string>([CANARY.apiKey]);
  readonly seen: { master: string; like?: OldKeyInfo; deleted?: string; account?: string }[] = [];
  failCreate = false;
  failDelete = false;
  private n = 0;
  unsupported(): string | null {
    return null;
  }
  async createKeyLike(master: ExchangeCredential, old: OldKeyInfo): Promise<{ secrets: Record<string, Secret>; permissions: string[]; ips: string[] }> {
    this.seen.push({ master: master.secrets.apiKey!.reveal(), like: old });
    if (this.failCreate) throw new RotationError('the exchange answered 503');
    const apiKey = `K${String(++this.n).padStart(63, '0')}`;
    this.live.add(apiKey);
    return { secrets: { apiKey: new Secret(apiKey), apiSecret: new Secret('Z'.repeat(64)) }, permissions: old.permissions, ips: old.ips };
  }
  async deleteKey(master: ExchangeCredential, old: { account: string; apiKey: string }): Promise<void> {
    const apiKey = old.apiKey;
    this.seen.push({ master: master.secrets.apiKey!.reveal(), deleted: apiKey, account: old.account });
    if (this.failDelete) throw new RotationError('the exchange answered 503');
    this.live.delete(apiKey);
  }
}

beforeEach(async () => {
  v = await testVault();
});
afterEach(() => {
  expect(findCanary(JSON.stringify(v.audit.events) + v.notices.warnings.join('\n'))).toBeNull();
  v.cleanup();
});

/** A run of vault exec holding the entry's current version. */
async function bot(name: string) {
  const e = await getEntry(v.ctx, name);
  return v.runs.begin({ program: 'bot.py', entries: [{ entry: name, version: e.version ?? 1 }] });
}

describe('through the hook', () => {
  beforeEach(async () => {
    await addEntry(v.ctx, 'bn', 'binance', { rotateHook: ROTATE_HOOK, revokeHook: REVOKE_OK }, secrets());
  });

  it('no bot: the old version is revoked in the same run', async () => {
    const r = await rotateWithHook(v.ctx, 'bn');
    expect(r).toMatchObject({ version: 2, revoked: [1], pending: [] });
    expect(await versions('bn')).toEqual([[1, 'revoked', false]]);
  });

  it('a bot holds the old version: kept; pending names it; revoked once it exits', async () => {
    const b = await bot('bn');
    const r = await rotateWithHook(v.ctx, 'bn');
    expect(r.revoked).toEqual([]);
    expect(r.pending).toEqual([expect.objectContaining({ entry: 'bn', version: 1, due: false, revokeAfter: '2026-01-02T12:00:00.000Z', heldBy: [{ pid: b.pid, program: 'bot.py', since: '2026-01-01T12:00:00.000Z' }] })]);
    expect(await key('bn')).toBe('N'.repeat(64));
    expect(await versions('bn')).toEqual([[1, 'previous', true]]);
    // A bot on the new version does not hold the old one back.
    await bot('bn');
    expect((await rotateDue(v.ctx)).report.pending).toHaveLength(1);
    b.end();
    const { report, status } = await rotateDue(v.ctx);
    expect(report.pending).toEqual([]);
    expect(status).toBe(0);
    expect(await versions('bn')).toEqual([[1, 'revoked', false]]);
  });

  it('the window ends (clock moved past it): revoked although the bot still runs; not before', async () => {
    await bot('bn');
    await rotateWithHook(v.ctx, 'bn', undefined, { revokeAfterMs: 3_600_000 });
    v.clock.time = new Date(v.clock.time.getTime() + 3_599_000);
    expect((await finishEntry(v.ctx, 'bn')).revoked).toEqual([]);
    v.clock.time = new Date(v.clock.time.getTime() + 1000);
    expect((await finishEntry(v.ctx, 'bn')).revoked).toEqual([1]);
  });

  it("window mode waits for the window although no bot runs; both waits for the window and the bots; the entry's and the vault's settings apply", async () => {
    await editEntry(v.ctx, 'bn', { revokeWhen: 'window', revokeAfter: '2h' });
    const r = await rotateWithHook(v.ctx, 'bn');
    expect(r.pending).toEqual([expect.objectContaining({ revokeWhen: 'window', revokeAfter: '2026-01-01T14:00:00.000Z', heldBy: [] })]);
    v.clock.advanceDays(1);
    expect((await finishEntry(v.ctx, 'bn')).revoked).toEqual([1]);

    await editEntry(v.ctx, 'bn', { revokeWhen: 'default', revokeAfter: 'default' });
    await mutate(v.ctx, (s) => void (s.doc.config.revokeWhen = 'both'));
    const b = await bot('bn');
    await rotateWithHook(v.ctx, 'bn');
    v.clock.advanceDays(2);
    expect((await finishEntry(v.ctx, 'bn')).pending).toEqual([expect.objectContaining({ version: 2, revokeWhen: 'both', due: false })]);
    b.end();
    expect((await finishEntry(v.ctx, 'bn')).revoked).toEqual([2]);
  });

  it('runs cannot be seen: only the window decides', async () => {
    v.runs.blind = true;
    const r = await rotateWithHook(v.ctx, 'bn');
    expect(r.pending).toEqual([expect.objectContaining({ heldBy: null, due: false })]);
    v.clock.advanceDays(1);
    expect((await finishEntry(v.ctx, 'bn')).revoked).toEqual([1]);
  });

  it('a restart that fails keeps the old version (even with no bot), a fixed one lets the revoke go ahead, with a record each', async () => {
    await editEntry(v.ctx, 'bn', { restart: 'false' });
    await expect(rotateWithHook(v.ctx, 'bn')).rejects.toThrow('bn: the new key is stored, but the restart command failed (exit 1); the old key stays valid');
    expect(await key('bn')).toBe('N'.repeat(64));
    expect(await versions('bn')).toEqual([[1, 'previous', true]]);
    expect(pendingRevokes(v.ctx, [await getEntry(v.ctx, 'bn')])).toEqual([expect.objectContaining({ restart: 'failed', due: false })]);
    await editEntry(v.ctx, 'bn', { restart: '["true"]' });
    const { report, status } = await rotateDue(v.ctx);
    expect(status).toBe(0);
    expect(report.pending).toEqual([]);
    expect(await versions('bn')).toEqual([[1, 'revoked', false]]);
    expect(v.audit.events.filter((e) => e.event.cmd === 'restart').map((e) => [e.event.program, e.event.result])).toEqual([['false', 'exit 1'], ['true', 0]]);
  });

  it('a restart left pending by a killed rotate: "has not run" while it could still be running, "interrupted" (check 10) after its timeout; rotate --due runs it', async () => {
    await editEntry(v.ctx, 'bn', { restart: '["true"]' });
    await rotateWithHook(v.ctx, 'bn', undefined, { restart: false });
    // What a kill during the restart leaves: the step noted as pending, never finished.
    await mutate(v.ctx, (s) => {
      findEntry(s.doc, 'bn').history![0]!.restart = 'pending';
    });
    const bn = async () => getEntry(v.ctx, 'bn');
    expect(pendingRevokes(v.ctx, [await bn()])).toEqual([expect.objectContaining({ restart: 'pending', why: 'the restart has not run yet' })]);
    expect((await checkDue(v.ctx)).status).toBe(0);
    v.clock.advanceDays(7 / (24 * 60)); // 7 minutes: past the 5-minute restart timeout and its minute
    expect(pendingRevokes(v.ctx, [await bn()])).toEqual([expect.objectContaining({ restart: 'interrupted', due: false, why: 'the restart was interrupted (vault rotate --due runs it again)' })]);
    expect((await checkDue(v.ctx)).status).toBe(10);
    expect((await rotateDue(v.ctx)).status).toBe(0);
    expect(await versions('bn')).toEqual([[1, 'revoked', false]]);
  });

  it('a rollback to the version waiting for its revoke cancels that revoke and says so; the version left stays valid, none pending', async () => {
    await bot('bn');
    await rotateWithHook(v.ctx, 'bn');
    expect(await versions('bn')).toEqual([[1, 'previous', true]]);
    const r = await rollbackEntry(v.ctx, 'bn', undefined);
    expect(r).toMatchObject({ version: { n: 1 }, revokeCancelled: true, from: 2 });
    expect(await key('bn')).toBe(CANARY.apiKey);
    expect(await versions('bn')).toEqual([[2, 'previous', false]]);
    expect(pendingRevokes(v.ctx, [await getEntry(v.ctx, 'bn')])).toEqual([]);
    // Back again to 2, which nothing was going to revoke: nothing cancelled.
    expect(await rollbackEntry(v.ctx, 'bn', 2)).toMatchObject({ version: { n: 2 }, revokeCancelled: false, from: 1 });
  });

  it('a hook that returns the active key (or one still kept valid) is refused: nothing stored, nothing revoked', async () => {
    // Prints back the credential it was given (from stdin: no key on a command line).
    const echoBack = `sed 's/.*"secrets"://; s/}$//'`;
    await editEntry(v.ctx, 'bn', { rotateHook: echoBack });
    await expect(rotateWithHook(v.ctx, 'bn')).rejects.toThrow('bn: the rotate hook returned the key of version 1 (same API key), not a new one: nothing was stored or revoked; the current key stays active');
    expect(await key('bn')).toBe(CANARY.apiKey);
    expect((await getEntry(v.ctx, 'bn')).history ?? []).toEqual([]);
    expect((await getEntry(v.ctx, 'bn')).rotating).toBeUndefined();
    // A real rotation, then a hook handing back the old key, still waiting for its revoke.
    await bot('bn');
    await editEntry(v.ctx, 'bn', { rotateHook: ROTATE_HOOK });
    await rotateWithHook(v.ctx, 'bn');
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'exv-oldkey-')), 'old.json');
    fs.writeFileSync(file, JSON.stringify({ apiKey: CANARY.apiKey, apiSecret: CANARY.apiSecret }), { mode: 0o600 });
    try {
      await editEntry(v.ctx, 'bn', { rotateHook: `cat >/dev/null; cat ${file}` });
      await expect(rotateWithHook(v.ctx, 'bn')).rejects.toThrow('bn: the rotate hook returned the key of version 1 (same API key)');
    } finally {
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
    }
    expect(await key('bn')).toBe('N'.repeat(64));
    expect(await versions('bn')).toEqual([[1, 'previous', true]]);
  });

  it("the restart commands of the profiles that hand the entry out run too, each with its record; a failing one names its profile", async () => {
    await addEntry(v.ctx, 'other', 'binance', {}, secrets());
    await setProfile(v.ctx, { name: 'grid', entries: ['bn'], map: {}, pristine: false, allowWithdraw: false, keep: [], restart: ['true'] });
    await setProfile(v.ctx, { name: 'unrelated', entries: ['other'], map: {}, pristine: false, allowWithdraw: false, keep: [], restart: ['false'] });
    await editEntry(v.ctx, 'bn', { restart: 'true' });
    expect((await rotateWithHook(v.ctx, 'bn')).revoked).toEqual([1]);
    expect(v.audit.events.filter((e) => e.event.cmd === 'restart').map((e) => e.event.program)).toEqual(['true', 'true (profile grid)']);
    await setProfile(v.ctx, { name: 'grid', entries: [], map: { K: { entry: 'bn', field: 'apiKey' } }, pristine: false, allowWithdraw: false, keep: [], restart: ['sh', '-c', 'exit 7'] });
    await expect(rotateWithHook(v.ctx, 'bn')).rejects.toThrow('the restart command failed (exit 7 (profile grid)); the old key stays valid');
    expect(await versions('bn')).toEqual([[2, 'previous', true], [1, 'revoked', false]]);
  });

  it('a rotation killed between asking for a key and storing it is started again by rotate --due', async () => {
    await mutate(v.ctx, (s) => void (findEntry(s.doc, 'bn').rotating = { since: v.clock.now().toISOString(), source: 'rotate-hook' }));
    expect(await key('bn')).toBe(CANARY.apiKey);
    const { report } = await rotateDue(v.ctx);
    expect(report.rotated).toEqual(['bn']);
    expect(v.notices.warnings.filter((w) => w.startsWith('bn:'))).toEqual([expect.stringContaining('bn: a rotation started at 2026-01-01T12:00:00.000Z did not finish; the current key is still active, rotating again')]);
    expect(await key('bn')).toBe('N'.repeat(64));
    expect((await getEntry(v.ctx, 'bn')).rotating).toBeUndefined();
  });

  it('a hook that fails leaves no journal behind', async () => {
    await editEntry(v.ctx, 'bn', { rotateHook: 'cat >/dev/null; exit 3' });
    await expect(rotateWithHook(v.ctx, 'bn')).rejects.toThrow('the rotate hook failed (exit 3)');
    expect((await getEntry(v.ctx, 'bn')).rotating).toBeUndefined();
  });
});

describe('through an exchange adapter (--via MASTER)', () => {
  let admin: FakeAdmin;
  const deps = () => ({ admins: (x: string) => (x === 'bybit' ? admin : undefined), settleMs: 0 });
  const MASTER_KEY = 'M'.repeat(18);
  beforeEach(async () => {
    admin = new FakeAdmin();
    await addEntry(v.ctx, 'master', 'bybit', {}, { apiKey: new Secret(MASTER_KEY), apiSecret: new Secret('m'.repeat(36)) });
    await addEntry(v.ctx, 'sub', 'bybit', { permissions: ['read-only'], ips: ['203.0.113.7'], account: 'sub1' }, secrets());
  });

  it('makes a key like the old one with the master key, stores it, and deletes the old one; --via is remembered for rotate --due', async () => {
    const b = await bot('sub');
    const r = await rotateEntry(v.ctx, 'sub', false, async () => ({}), { via: 'master' }, deps());
    expect(r).toMatchObject({ via: 'source', version: 2, revoked: [] });
    expect(admin.seen[0]).toEqual({ master: MASTER_KEY, like: { permissions: ['read-only'], ips: ['203.0.113.7'], account: 'sub1' } });
    expect(admin.live.has(CANARY.apiKey)).toBe(true);
    expect((await getEntry(v.ctx, 'sub')).rotation?.via).toBe('master');
    b.end();
    expect((await rotateDue(v.ctx, deps())).report.pending).toEqual([]);
    expect(admin.live.has(CANARY.apiKey)).toBe(false);
    expect(admin.seen.at(-1)).toEqual({ master: MASTER_KEY, deleted: CANARY.apiKey, account: 'sub1' });
    // The release of the master key and of the old key's id is recorded before they are used.
    expect(v.audit.events.find((e) => e.event.cmd === 'rotate')!.event).toMatchObject({ program: 'via master', entries: [{ entry: 'master' }, { entry: 'sub', fields: ['apiKey'] }] });
  });

  it('an exchange error half way: creating fails -> the old key stays active; deleting fails -> pending, retried', async () => {
    admin.failCreate = true;
    await expect(rotateEntry(v.ctx, 'sub', false, async () => ({}), { via: 'master' }, deps())).rejects.toThrow('sub: the exchange did not make a new key; the current key stays active (the exchange answered 503)');
    expect(await key('sub')).toBe(CANARY.apiKey);
    admin.failCreate = false;
    admin.failDelete = true;
    await expect(rotateEntry(v.ctx, 'sub', false, async () => ({}), {}, deps())).rejects.toThrow(/the exchange did not delete the old one/);
    expect(await versions('sub')).toEqual([[1, 'previous', true]]);
    admin.failDelete = false;
    expect((await rotateDue(v.ctx, deps())).status).toBe(0);
    expect(await versions('sub')).toEqual([[1, 'revoked', false]]);
  });

  it('refuses a master of another exchange, itself, or an exchange without an adapter', async () => {
    await addEntry(v.ctx, 'okx-master', 'okx', {}, { apiKey: new Secret('a'), apiSecret: new Secret('b'), passphrase: new Secret('c') });
    await expect(rotateEntry(v.ctx, 'sub', false, async () => ({}), { via: 'okx-master' }, deps())).rejects.toThrow('okx-master is a OKX key; sub is Bybit');
    await expect(rotateEntry(v.ctx, 'sub', false, async () => ({}), { via: 'sub' }, deps())).rejects.toThrow('--via names the master key entry');
    await expect(rotateEntry(v.ctx, 'sub', false, async () => ({}), { via: 'master' }, {})).rejects.toThrow('built-in rotation is not available for Bybit keys');
    expect(await key('sub')).toBe(CANARY.apiKey);
  });
});
