// kill -9 at each step of a built-in sub-account rotation (`vault rotate NAME --via MASTER`)
// against the local exchange servers, which check every signature as documented:
//   - after the exchange made the new key, before the vault stored it (its answer held back);
//   - after the new key is stored, before the restart ran (blocked in the restart command),
//     with a bot under `vault exec` holding the old key;
//   - before the delete reached the exchange (the request held back);
//   - after the exchange deleted the old key, before the vault recorded it (its answer held back).
// After every kill: the vault opens, its audit chain verifies, the active key works on the
// exchange, and the next `rotate --due` finishes what was started (a key made but never stored
// is reported, as the vault cannot know it).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { HANG_MS, Sandbox } from '../helpers/cli';
import { CANARY } from '../helpers/canary';
import { bybitServer, ExchangeServer, kucoinServer, okxServer } from '../helpers/exchange-servers';
import { FaultProxy, FaultRule, startFaultProxy } from '../helpers/fault-proxy';
import { exchangeVerifier } from '../../src/platform/exchanges/index';
import { Secret } from '../../src/domain/secret';
import type { ExchangeId } from '../../src/domain/exchanges';

const BOT = path.resolve(__dirname, '../fixtures/exchange-bot.js');
const node = process.execPath;
const IPS = ['203.0.113.7'];

interface Ex {
  id: ExchangeId;
  entry: string;
  master: string;
  account: string;
  permissions: string;
  sub: Record<string, string>;
  info: Record<string, unknown>;
  create: [string, string];
  del: [string, string];
}

const EX: Record<'bybit' | 'okx' | 'kucoin', Ex> = {
  bybit: {
    id: 'bybit', entry: 'bybot', master: 'bymaster', account: '777', permissions: 'spot',
    sub: { apiKey: 'BybitSubCrash00001', apiSecret: 'f00dfeedf00dfeedf00dfeedf00dfeedf00d' },
    info: { readOnly: 0, permissions: { Spot: ['SpotTrade'] }, ips: IPS, expiredAt: '' },
    create: ['POST', '/v5/user/create-sub-api'], del: ['POST', '/v5/user/delete-sub-api'],
  },
  okx: {
    id: 'okx', entry: 'okxbot', master: 'okxmaster', account: 'crash1', permissions: 'read,trade',
    sub: { apiKey: '0b7d9a3e-0000-4000-8000-00000000c4a5', apiSecret: 'C0FFEE00C0FFEE00C0FFEE00C0FFEE00', passphrase: 'SubCrash-Pw1' },
    info: { perm: 'read_only,trade', ip: IPS.join(',') },
    create: ['POST', '/api/v5/users/subaccount/apikey'], del: ['POST', '/api/v5/users/subaccount/delete-apikey'],
  },
  kucoin: {
    id: 'kucoin', entry: 'kcbot', master: 'kcmaster', account: 'crash1', permissions: 'general,spot',
    sub: { apiKey: '0123456789abcdef01234567', apiSecret: '6f1c2a7e-0000-4000-8000-0000000000aa', passphrase: 'SubCrashPw1' },
    info: { permission: 'General,Spot', ipWhitelist: IPS.join(',') },
    create: ['POST', '/api/v1/sub/api-key'], del: ['DELETE', '/api/v1/sub/api-key'],
  },
};

let sb: Sandbox;
let env: Record<string, string>;
const servers: Record<string, ExchangeServer> = {};
const proxies: Record<string, FaultProxy> = {};
let step = 0;
/** Bots started here, ended in afterAll should a case fail before it ends them. */
const bots: import('node:child_process').ChildProcess[] = [];

beforeAll(async () => {
  sb = new Sandbox();
  await sb.init();
  env = { EXVAULT_PASSPHRASE_FILE: sb.passFile };
  const starts = { bybit: bybitServer, okx: okxServer, kucoin: kucoinServer };
  for (const x of Object.values(EX)) {
    servers[x.id] = await starts[x.id as keyof typeof starts]([
      { apiKey: CANARY.apiKey, secret: CANARY.apiSecret, passphrase: CANARY.passphrase, info: { ...x.info } },
      { apiKey: x.sub.apiKey!, secret: x.sub.apiSecret, passphrase: x.sub.passphrase, account: x.account, info: { ...x.info } },
    ]);
    proxies[x.id] = await startFaultProxy(servers[x.id]!.url);
    env[`EXVAULT_${x.id.toUpperCase()}_URL`] = proxies[x.id]!.url;
    const master = x.id === 'bybit' ? { apiKey: CANARY.apiKey, apiSecret: CANARY.apiSecret } : { apiKey: CANARY.apiKey, apiSecret: CANARY.apiSecret, passphrase: CANARY.passphrase };
    expect((await run(['add', x.master, '--exchange', x.id], { input: JSON.stringify(master) })).code).toBe(0);
    expect((await run(['add', x.entry, '--exchange', x.id, '--account', x.account, '--permissions', x.permissions, '--ip', IPS.join(',')], { input: JSON.stringify(x.sub) })).code).toBe(0);
  }
}, 120_000);

afterAll(async () => {
  for (const b of bots) b.kill('SIGKILL');
  for (const p of Object.values(proxies)) await p.close();
  for (const s of Object.values(servers)) await s.close();
  sb.assertNoCanary();
  sb.cleanup();
});

afterEach(() => {
  for (const p of Object.values(proxies)) p.rule = null;
});

const run = (args: string[], opts: Parameters<Sandbox['run']>[1] = {}) => sb.run(args, { ...opts, env: { ...env, ...opts.env } });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const history = async (entry: string) => JSON.parse((await run(['history', entry, '--json'])).stdout) as { version: number; state: string; revokePending?: boolean }[];

async function secretsOf(x: Ex): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const f of Object.keys(x.sub)) out[f] = (await run(['get', x.entry, f, '--raw'], { reveals: true })).stdout;
  return out;
}

/** Does the exchange accept this key? One signed read request, straight to the server. */
async function works(x: Ex, secrets: Record<string, string>): Promise<boolean> {
  try {
    await exchangeVerifier({ env: { [`EXVAULT_${x.id.toUpperCase()}_URL`]: servers[x.id]!.url }, timeoutMs: 10_000 }).verify({ exchange: x.id, secrets: Object.fromEntries(Object.entries(secrets).map(([k, v]) => [k, new Secret(v)])) });
    return true;
  } catch {
    return false;
  }
}

/** What must hold after any kill: it opens, the chain verifies, the active key works on the exchange. */
async function assertWorks(x: Ex): Promise<Record<string, string>> {
  const now = await secretsOf(x);
  expect(await works(x, now)).toBe(true);
  expect((await run(['audit', 'verify'])).code).toBe(0);
  return now;
}

/** Starts `vault rotate ENTRY --via MASTER`, waits until `reached` resolves, then kills it with -9. */
async function killRotation(x: Ex, reached: () => Promise<void>): Promise<void> {
  const { child, done } = sb.start(['rotate', x.entry, '--via', x.master], { env });
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([reached(), done.then((r) => Promise.reject(new Error(`rotate ended before the kill: ${r.code} ${r.stderr}`))), new Promise((_, no) => (timer = setTimeout(() => no(new Error('the step was never reached')), HANG_MS)))]);
  clearTimeout(timer);
  child.kill('SIGKILL');
  expect((await done).signal).toBe('SIGKILL');
}

const proxyAt = (x: Ex, rule: FaultRule) => {
  proxies[x.id]!.rule = rule;
  return () => proxies[x.id]!.hit;
};

async function waitFile(file: string): Promise<string> {
  const deadline = Date.now() + HANG_MS;
  while (!fs.existsSync(file) || !fs.readFileSync(file, 'utf8').trim()) {
    if (Date.now() > deadline) throw new Error(`${file} never appeared`);
    await sleep(20);
  }
  return fs.readFileSync(file, 'utf8').trim();
}

describe.each([EX.bybit, EX.okx])('$id', (x) => {
  it('killed after the exchange made the new key, before it was stored: the old key stays active and works; check says so; rotate --due rotates again and reports the stray key', async () => {
    const server = servers[x.id]!;
    const before = await secretsOf(x);
    const made = server.created.length;
    await killRotation(x, proxyAt(x, { method: x.create[0], path: x.create[1], action: 'hang-after' }));
    proxies[x.id]!.rule = null;
    expect(await assertWorks(x)).toEqual(before);
    // The exchange made a key the vault never got.
    expect(server.created.length).toBe(made + 1);
    const stray = server.created.at(-1)!;
    const check = await run(['check']);
    expect(check.code).toBe(10);
    expect(check.stdout).toMatch(new RegExp(`^${x.entry}: a rotation started at \\S+ did not finish; the current key is still active`, 'm'));

    const r = await run(['rotate', '--due', '--yes', '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`${x.entry}: a rotation started at \\S+ did not finish; the current key is still active, rotating again \\(a key it may have made on the exchange then is unknown to the vault: delete it there if you find one\\)`));
    expect(JSON.parse(r.stdout).rotated).toEqual([x.entry]);
    const after = await assertWorks(x);
    expect(after.apiKey).not.toBe(before.apiKey);
    expect(after.apiKey).not.toBe(stray);
    expect(await works(x, before)).toBe(false);
    // The stray key is still on the exchange (reported above, not deleted blindly).
    expect(server.keys.has(stray)).toBe(true);
    expect((await history(x.entry)).slice(0, 2).map((v) => v.state)).toEqual(['active', 'revoked']);
    expect((await run(['check'])).code).toBe(0);
  }, 240_000);

  it('killed before the delete reached the exchange: the new key works, the old one is still valid; rotate --due deletes it', async () => {
    const before = await secretsOf(x);
    await killRotation(x, proxyAt(x, { method: x.del[0], path: x.del[1], action: 'hang' }));
    proxies[x.id]!.rule = null;
    const now = await assertWorks(x);
    expect(now.apiKey).not.toBe(before.apiKey);
    expect(await works(x, before)).toBe(true);
    expect((await history(x.entry))[1]).toMatchObject({ state: 'previous', revokePending: true });
    const r = await run(['rotate', '--due', '--yes', '--json']);
    expect(r.code).toBe(0);
    expect(await works(x, before)).toBe(false);
    expect(await assertWorks(x)).toEqual(now);
    expect((await history(x.entry))[1]).toMatchObject({ state: 'revoked' });
  }, 240_000);
});

describe.each([EX.bybit, EX.okx, EX.kucoin])('$id', (x) => {
  it('killed after the exchange deleted the old key, before the vault recorded it: rotate --due finds it gone and records it', async () => {
    const server = servers[x.id]!;
    const before = await secretsOf(x);
    await killRotation(x, proxyAt(x, { method: x.del[0], path: x.del[1], action: 'hang-after' }));
    proxies[x.id]!.rule = null;
    const now = await assertWorks(x);
    expect(now.apiKey).not.toBe(before.apiKey);
    // Deleted on the exchange; the vault still has it as pending.
    expect(server.keys.has(before.apiKey!)).toBe(false);
    expect((await history(x.entry))[1]).toMatchObject({ state: 'previous', revokePending: true });
    const r = await run(['rotate', '--due', '--yes', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ rotated: [], pending: [], failed: [] });
    expect((await history(x.entry))[1]).toMatchObject({ state: 'revoked' });
    expect(await assertWorks(x)).toEqual(now);
    expect((await run(['check'])).code).toBe(0);
  }, 240_000);
});

it('bybit: killed after the new key was stored, before the restart ran, with a bot holding the old key: nothing lost; rotate --due restarts, keeps the old key for the bot, deletes it once the bot exits', async () => {
  const x = EX.bybit;
  const file = path.join(sb.root, 'tmp', 'crash-bot');
  const bot = sb.start(['exec', x.entry, '--', node, BOT, x.id, x.entry.toUpperCase(), servers[x.id]!.url, file], { env });
  bots.push(bot.child);
  const programPid = Number(await waitFile(`${file}.ready`));
  expect(fs.readFileSync(file, 'utf8')).toBe('ok\n');
  const before = await secretsOf(x);
  const blocker = path.join(sb.root, 'tmp', `restart${++step}`);
  expect((await run(['edit', x.entry, '--restart', JSON.stringify(['sh', '-c', `echo $$ > ${blocker}; exec sleep 120`])])).code).toBe(0);
  await killRotation(x, async () => void (await waitFile(blocker)));
  process.kill(Number(fs.readFileSync(blocker, 'utf8').trim()), 'SIGKILL');
  const now = await assertWorks(x);
  expect(now.apiKey).not.toBe(before.apiKey);
  expect(await works(x, before)).toBe(true);
  expect((await history(x.entry))[1]).toMatchObject({ state: 'previous', revokePending: true });
  expect((await run(['check'])).stdout).toContain('its restart has not run');

  expect((await run(['edit', x.entry, '--restart', 'true'])).code).toBe(0);
  const r = await run(['rotate', '--due', '--yes', '--json']);
  expect(r.code).toBe(0);
  expect(JSON.parse(r.stdout).pending).toEqual([expect.objectContaining({ entry: x.entry, heldBy: [expect.objectContaining({ pid: bot.child.pid })] })]);
  expect(await works(x, before)).toBe(true);
  // The bot still signs with the old key, and the exchange still takes it.
  process.kill(programPid, 'SIGUSR1');
  await waitFile(`${file}.asked`);
  expect(fs.readFileSync(file, 'utf8')).toBe('ok\nok\n');

  bot.child.kill('SIGTERM');
  expect((await bot.done).code).toBe(0);
  expect((await run(['rotate', '--due', '--yes'])).code).toBe(0);
  expect(await works(x, before)).toBe(false);
  expect(await assertWorks(x)).toEqual(now);
  expect((await run(['edit', x.entry, '--restart', 'none'])).code).toBe(0);
}, 240_000);
