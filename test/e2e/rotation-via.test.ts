// Built-in sub-account rotation (`vault rotate NAME --via MASTER`) end to end: the built CLI
// against a local server per exchange that checks every signature as the exchange documents it
// (test/helpers/exchange-servers), with a bot running under `vault exec` that signs its own
// requests with the key it was given. The new key is made like the old one (server state), the
// old one stays valid while the bot runs and is deleted by `rotate --due` once it exits; the
// master key never reaches the bot. Failures on the way: the exchange refuses or fails the
// create (the old key stays active, exit 12/13, one line, no body), fails the delete (the new
// key is stored, the old one retried), and never answers (bounded by --timeout).
import { spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CLI, HANG_MS, Sandbox } from '../helpers/cli';
import { CANARY } from '../helpers/canary';
import { binanceServer, bybitServer, ExchangeServer, kucoinServer, okxServer } from '../helpers/exchange-servers';
import { FaultProxy, startFaultProxy } from '../helpers/fault-proxy';
import { exchangeVerifier } from '../../src/platform/exchanges/index';
import { Secret } from '../../src/domain/secret';
import type { ExchangeId } from '../../src/domain/exchanges';

const BOT = path.resolve(__dirname, '../fixtures/exchange-bot.js');
const node = process.execPath;
const IPS = ['203.0.113.7', '198.51.100.9'];
const hex = (n: number) => crypto.randomBytes(n).toString('hex');

interface Case {
  id: ExchangeId;
  master: string;
  entry: string;
  account: string;
  permissions: string;
  sub: Record<string, string>;
  info: Record<string, unknown>;
  start: (keys: Parameters<typeof bybitServer>[0]) => Promise<ExchangeServer>;
  createPath: [string, string];
  deletePath: [string, string];
  /** What the server holds for a key made like the sub key (same permissions and IP list). */
  madeLike: Record<string, unknown>;
}

const masterSecrets = { apiKey: CANARY.apiKey, apiSecret: CANARY.apiSecret, passphrase: CANARY.passphrase };

const CASES: Record<'bybit' | 'okx' | 'kucoin' | 'binance', Case> = {
  bybit: {
    id: 'bybit', master: 'bymaster', entry: 'bybot', account: '12345', permissions: 'spot,contract-trade',
    sub: { apiKey: `BybitSub${hex(6)}`, apiSecret: hex(18) },
    info: { readOnly: 0, permissions: { Spot: ['SpotTrade'], ContractTrade: ['Order', 'Position'] }, ips: IPS, expiredAt: '' },
    start: bybitServer, createPath: ['POST', '/v5/user/create-sub-api'], deletePath: ['POST', '/v5/user/delete-sub-api'],
    madeLike: { readOnly: 0, permissions: { Spot: ['SpotTrade'], ContractTrade: ['Order', 'Position'] }, ips: IPS },
  },
  okx: {
    id: 'okx', master: 'okxmaster', entry: 'okxbot', account: 'bot1', permissions: 'read,trade',
    sub: { apiKey: crypto.randomUUID(), apiSecret: hex(16).toUpperCase(), passphrase: `Sub${hex(4)}-Pw` },
    info: { perm: 'read_only,trade', ip: IPS.join(',') },
    start: okxServer, createPath: ['POST', '/api/v5/users/subaccount/apikey'], deletePath: ['POST', '/api/v5/users/subaccount/delete-apikey'],
    madeLike: { perm: 'read_only,trade', ip: IPS.join(',') },
  },
  kucoin: {
    id: 'kucoin', master: 'kcmaster', entry: 'kcbot', account: 'bot1', permissions: 'general,spot',
    sub: { apiKey: hex(12), apiSecret: crypto.randomUUID(), passphrase: `Sub${hex(4)}` },
    info: { permission: 'General,Spot', ipWhitelist: IPS.join(',') },
    start: kucoinServer, createPath: ['POST', '/api/v1/sub/api-key'], deletePath: ['DELETE', '/api/v1/sub/api-key'],
    madeLike: { permission: 'General,Spot', ipWhitelist: IPS.join(',') },
  },
  binance: {
    id: 'binance', master: 'bnmaster', entry: 'bnbot', account: 'bot1@example.com', permissions: 'spot,futures',
    sub: { apiKey: hex(32), apiSecret: hex(32) },
    info: { ipRestrict: true, createTime: 1, enableReading: true, enableSpotAndMarginTrading: true, enableWithdrawals: false, enableInternalTransfer: false, enableMargin: false, enableFutures: true, permitsUniversalTransfer: false, enableVanillaOptions: false, enablePortfolioMarginTrading: false, tradingAuthorityExpirationTime: 0 },
    start: binanceServer, createPath: ['POST', '/sapi/v2/sub-account/subAccountApi'], deletePath: ['DELETE', '/sapi/v1/sub-account/subAccountApi'],
    madeLike: { ipRestrict: true, enableSpotAndMarginTrading: true, enableFutures: true, enableWithdrawals: false, ips: IPS.join(',') },
  },
};

let sb: Sandbox;
const servers: Record<string, ExchangeServer> = {};
const proxies: Record<string, FaultProxy> = {};
let env: Record<string, string>;
let bots = 0;

const run = (args: string[], opts: Parameters<Sandbox['run']>[1] = {}) => sb.run(args, { ...opts, env: { ...env, ...opts.env } });
const field = async (entry: string, f: string) => (await run(['get', entry, f, '--raw'], { reveals: true })).stdout;
const secretsOf = async (c: Case) => {
  const out: Record<string, string> = {};
  for (const f of Object.keys(c.sub)) out[f] = await field(c.entry, f);
  return out;
};
const history = async (entry: string) => JSON.parse((await run(['history', entry, '--json'])).stdout) as { version: number; state: string; revokePending?: boolean }[];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Does the exchange accept this key? One signed read request, straight to the server. */
async function works(c: Case, secrets: Record<string, string>): Promise<boolean> {
  const s = Object.fromEntries(Object.entries(secrets).map(([k, v]) => [k, new Secret(v)]));
  try {
    await exchangeVerifier({ env: { [`EXVAULT_${c.id.toUpperCase()}_URL`]: servers[c.id]!.url }, timeoutMs: 10_000 }).verify({ exchange: c.id, secrets: s });
    return true;
  } catch {
    return false;
  }
}

async function waitFor(file: string, what: string): Promise<void> {
  const deadline = Date.now() + HANG_MS;
  while (!fs.existsSync(file)) {
    if (Date.now() > deadline) throw new Error(`${what} never happened`);
    await sleep(20);
  }
}

/** A bot under `vault exec ENTRY`: it signs a read request with its key at start and on SIGUSR1. */
async function startBot(c: Case) {
  const file = path.join(sb.root, 'tmp', `bot${++bots}`);
  const prefix = c.entry.toUpperCase();
  const { child, done } = sb.start(['exec', c.entry, '--', node, BOT, c.id, prefix, servers[c.id]!.url, file], { env });
  await waitFor(`${file}.ready`, 'the bot start');
  const programPid = Number(fs.readFileSync(`${file}.ready`, 'utf8'));
  return {
    pid: child.pid!,
    env: JSON.parse(fs.readFileSync(`${file}.env`, 'utf8')) as Record<string, string>,
    answers: () => fs.readFileSync(file, 'utf8').trim().split('\n'),
    /** Signs one more request with the key it holds; returns that answer. */
    ask: async () => {
      const n = fs.existsSync(`${file}.asked`) ? fs.readFileSync(`${file}.asked`, 'utf8').length : 0;
      process.kill(programPid, 'SIGUSR1');
      const deadline = Date.now() + HANG_MS;
      while (!fs.existsSync(`${file}.asked`) || fs.readFileSync(`${file}.asked`, 'utf8').length <= n) {
        if (Date.now() > deadline) throw new Error('the bot did not answer');
        await sleep(20);
      }
      return fs.readFileSync(file, 'utf8').trim().split('\n').at(-1);
    },
    stop: async () => {
      child.kill('SIGTERM');
      return done;
    },
  };
}

beforeAll(async () => {
  sb = new Sandbox();
  await sb.init();
  env = { EXVAULT_PASSPHRASE_FILE: sb.passFile };
  for (const c of Object.values(CASES)) {
    servers[c.id] = await c.start([
      { apiKey: masterSecrets.apiKey, secret: masterSecrets.apiSecret, passphrase: masterSecrets.passphrase, info: { ...c.info } },
      { apiKey: c.sub.apiKey!, secret: c.sub.apiSecret, passphrase: c.sub.passphrase, account: c.account, info: { ...c.info } },
    ]);
    // The CLI reaches the exchange through a proxy that can fail one path on demand.
    proxies[c.id] = await startFaultProxy(servers[c.id]!.url);
    env[`EXVAULT_${c.id.toUpperCase()}_URL`] = proxies[c.id]!.url;
    const master = c.id === 'okx' || c.id === 'kucoin' ? masterSecrets : { apiKey: masterSecrets.apiKey, apiSecret: masterSecrets.apiSecret };
    expect((await run(['add', c.master, '--exchange', c.id], { input: JSON.stringify(master) })).code).toBe(0);
    const add = await run(['add', c.entry, '--exchange', c.id, '--account', c.account, '--permissions', c.permissions, '--ip', IPS.join(',')], { input: JSON.stringify(c.sub) });
    expect(add).toMatchObject({ code: 0 });
  }
}, 120_000);

afterAll(async () => {
  for (const p of Object.values(proxies)) await p.close();
  for (const s of Object.values(servers)) await s.close();
  sb.cleanup();
});

describe.each([CASES.bybit, CASES.okx])('$id: rotate --via with a bot running', (c) => {
  it('makes a key like the old one, keeps the old one while the bot runs, deletes it once the bot exits; the bot never sees the master key', async () => {
    const server = servers[c.id]!;
    const old = await secretsOf(c);
    expect(await works(c, old)).toBe(true);
    const bot = await startBot(c);
    expect(bot.answers()).toEqual(['ok']);

    const r = await run(['rotate', c.entry, '--via', c.master]);
    expect(r).toMatchObject({ code: 0 });
    expect(r.stderr).toContain(`${c.entry}: version 2 is active`);
    expect(r.stderr).toContain(`held by pid ${bot.pid}`);
    const fresh = await secretsOf(c);
    expect(fresh.apiKey).not.toBe(old.apiKey);
    // The exchange made exactly that key, with the old one's permissions and IP list.
    expect(server.created).toEqual([fresh.apiKey]);
    expect(server.keys.get(fresh.apiKey!)!.info).toMatchObject(c.madeLike);
    expect(server.keys.get(fresh.apiKey!)!.account).toBe(c.account);
    // The vault's active key works; so does the old one, still held by the bot.
    expect(await works(c, fresh)).toBe(true);
    expect((await run(['verify', c.entry])).code).toBe(0);
    expect(server.keys.has(old.apiKey!)).toBe(true);
    expect(await bot.ask()).toBe('ok');
    expect((await history(c.entry)).map((v) => v.state)).toEqual(['active', 'previous']);

    const check = await run(['check']);
    expect(check.code).toBe(0);
    expect(check.stdout).toContain(`${c.entry}: old version 1 still valid`);
    expect(check.stdout).toContain(`held by pid ${bot.pid}`);
    expect((await run(['show', c.entry])).stdout).toMatch(new RegExp(`pending revoke +old version 1 still valid: .*held by pid ${bot.pid}`));

    // Cron while the bot runs: nothing deleted.
    const busy = await run(['rotate', '--due', '--yes', '--json']);
    expect(busy.code).toBe(0);
    expect(server.keys.has(old.apiKey!)).toBe(true);

    // The bot got its own key only: no master key value, no master variable.
    const values = Object.values(bot.env);
    for (const v of [masterSecrets.apiKey, masterSecrets.apiSecret, masterSecrets.passphrase]) expect(values.some((x) => x.includes(v))).toBe(false);
    expect(Object.keys(bot.env).filter((k) => k.startsWith(c.master.toUpperCase()))).toEqual([]);
    expect(bot.env[`${c.entry.toUpperCase()}_API_KEY`]).toBe(old.apiKey);

    expect((await bot.stop()).code).toBe(0);
    const due = await run(['rotate', '--due', '--yes', '--json']);
    expect(due.code).toBe(0);
    expect(JSON.parse(due.stdout)).toMatchObject({ rotated: [], pending: [], failed: [] });
    expect(server.keys.has(old.apiKey!)).toBe(false);
    expect(server.deleted).toEqual([old.apiKey]);
    expect(await works(c, old)).toBe(false);
    expect(await works(c, fresh)).toBe(true);
    expect((await history(c.entry)).map((v) => v.state)).toEqual(['active', 'revoked']);
    expect(server.log.every((l) => l.signed === 'ok' || l.signed === 'unknown-key')).toBe(true);
    // --via is remembered: the audit log names the master's use, never a value.
    const audit = JSON.parse((await run(['audit', '--entry', c.master, '--json'])).stdout) as { cmd: string; program?: string }[];
    expect(audit.some((a) => a.cmd === 'rotate' && a.program === `via ${c.master}`)).toBe(true);
    expect(audit.some((a) => a.cmd === 'exec')).toBe(false);
  }, 240_000);
});

describe.each([CASES.kucoin, CASES.binance])('$id: rotate --via', (c) => {
  it('makes a key like the old one, stores it, deletes the old one (no bot holds it)', async () => {
    const server = servers[c.id]!;
    const old = await secretsOf(c);
    const r = await run(['rotate', c.entry, '--via', c.master]);
    expect(r).toMatchObject({ code: 0 });
    expect(r.stderr).toContain('the old key was revoked');
    const fresh = await secretsOf(c);
    expect(server.created).toEqual([fresh.apiKey]);
    expect(server.keys.get(fresh.apiKey!)!.info).toMatchObject(c.madeLike);
    expect(server.deleted).toEqual([old.apiKey]);
    expect(await works(c, fresh)).toBe(true);
    expect(await works(c, old)).toBe(false);
    expect((await run(['verify', c.entry])).code).toBe(0);
  }, 120_000);
});

/** One error line, no exchange message, no canary. */
function oneLine(stderr: string, not: string[]): void {
  expect(stderr.split('\n').filter((l) => l.startsWith('vault: error:'))).toHaveLength(1);
  for (const n of not) expect(stderr).not.toContain(n);
}

describe('the exchange fails halfway', () => {
  afterEach(() => {
    for (const p of Object.values(proxies)) p.rule = null;
  });

  it.each([
    { id: 'bybit', what: 'refuses the create (documented retCode)', status: 200, body: { retCode: 10005, retMsg: 'Permission denied, please check your API key permissions. origin_string[SIGNED-TEXT-ECHO]', result: {}, retExtInfo: {}, time: 1 }, code: 12 },
    { id: 'okx', what: 'fails the create (HTTP 503)', status: 503, body: '<html>upstream SIGNED-TEXT-ECHO</html>', code: 13 },
    { id: 'okx', what: 'refuses the create (documented code)', status: 200, body: { code: '59000', msg: 'SIGNED-TEXT-ECHO', data: [] }, code: 12 },
  ] as const)('$id $what: exit $code, the current key stays active and works, nothing lost', async ({ id, status, body, code }) => {
    const c = CASES[id];
    const before = await secretsOf(c);
    const hist = await history(c.entry);
    const made = servers[id]!.created.length;
    proxies[id]!.rule = { method: c.createPath[0], path: c.createPath[1], action: 'fail', status, body };
    const r = await run(['rotate', c.entry, '--via', c.master]);
    expect(r.code).toBe(code);
    expect(r.stderr).toContain(`${c.entry}: the exchange did not make a new key; the current key stays active`);
    oneLine(r.stderr, ['SIGNED-TEXT-ECHO', 'upstream', 'Permission denied']);
    expect(servers[id]!.created.length).toBe(made);
    expect(await secretsOf(c)).toEqual(before);
    expect(await history(c.entry)).toEqual(hist);
    expect(await works(c, before)).toBe(true);
    // Nothing left half done: check sees no interrupted rotation.
    expect((await run(['check'])).code).toBe(0);
  }, 120_000);

  it('bybit fails the delete (HTTP 500): the new key is stored and works, the old one stays valid; rotate --due deletes it', async () => {
    const c = CASES.bybit;
    const before = await secretsOf(c);
    proxies.bybit!.rule = { method: c.deletePath[0], path: c.deletePath[1], action: 'fail', status: 500, body: 'boom SIGNED-TEXT-ECHO' };
    const r = await run(['rotate', c.entry, '--via', c.master]);
    expect(r.code).toBe(13);
    expect(r.stderr).toContain(`${c.entry}: the new key is stored, but the exchange did not delete the old one; it is still valid and retried by vault rotate --due`);
    oneLine(r.stderr, ['SIGNED-TEXT-ECHO', 'boom']);
    const now = await secretsOf(c);
    expect(now.apiKey).not.toBe(before.apiKey);
    expect(await works(c, now)).toBe(true);
    expect(await works(c, before)).toBe(true);
    expect((await history(c.entry)).slice(0, 2)).toMatchObject([{ state: 'active' }, { state: 'previous', revokePending: true }]);
    expect((await run(['check'])).code).toBe(10);

    proxies.bybit!.rule = null;
    const due = await run(['rotate', '--due', '--yes', '--json']);
    expect(due.code).toBe(0);
    expect(JSON.parse(due.stdout)).toMatchObject({ rotated: [], pending: [], failed: [] });
    expect(await works(c, before)).toBe(false);
    expect(await works(c, now)).toBe(true);
    expect((await history(c.entry)).slice(0, 2).map((v) => v.state)).toEqual(['active', 'revoked']);
  }, 120_000);

  it('bybit refuses the delete (documented retCode) while the old key still exists: exit 12, the old key is kept pending, not taken as gone', async () => {
    const c = CASES.bybit;
    const before = await secretsOf(c);
    proxies.bybit!.rule = { method: c.deletePath[0], path: c.deletePath[1], action: 'fail', status: 200, body: { retCode: 10005, retMsg: 'Permission denied SIGNED-TEXT-ECHO', result: {}, retExtInfo: {}, time: 1 } };
    const r = await run(['rotate', c.entry, '--via', c.master]);
    expect(r.code).toBe(12);
    expect(r.stderr).toContain(`${c.entry}: the new key is stored, but the exchange did not delete the old one`);
    oneLine(r.stderr, ['SIGNED-TEXT-ECHO']);
    expect(await works(c, before)).toBe(true);
    expect((await history(c.entry))[1]).toMatchObject({ state: 'previous', revokePending: true });
    proxies.bybit!.rule = null;
    expect((await run(['rotate', '--due', '--yes'])).code).toBe(0);
    expect(await works(c, before)).toBe(false);
    expect((await history(c.entry))[1]).toMatchObject({ state: 'revoked' });
  }, 120_000);

  it('okx never answers the create: rotate gives up after --timeout (exit 13), the vault is unchanged', async () => {
    const c = CASES.okx;
    const before = await secretsOf(c);
    const hist = await history(c.entry);
    proxies.okx!.rule = { method: c.createPath[0], path: c.createPath[1], action: 'hang' };
    const r = await run(['rotate', c.entry, '--via', c.master, '--timeout', '2s'], { timeoutMs: HANG_MS });
    expect(r.signal).toBeNull();
    expect(r.code).toBe(13);
    oneLine(r.stderr, []);
    expect(r.stderr).toContain(`${c.entry}: the exchange did not make a new key; the current key stays active`);
    expect(await secretsOf(c)).toEqual(before);
    expect(await history(c.entry)).toEqual(hist);
    expect(await works(c, before)).toBe(true);
    expect((await run(['check'])).code).toBe(0);
    expect((await run(['rotate', c.entry, '--via', c.master, '--timeout', '0'])).code).toBe(2);
  }, 120_000);
});

describe('the master key stays out of exec', () => {
  it('exec of the sub entry makes no IP connection (strace), with every exchange URL set; the audit names only the sub entry', async () => {
    const log = path.join(sb.root, 'tmp', 'strace.log');
    const traced = await new Promise<{ status: number | null }>((resolve) => {
      const child = spawn('strace', ['-f', '-qq', '-e', 'trace=connect', '-o', log, node, CLI, 'exec', CASES.bybit.entry, '--', node, '-e', '0'], { env: { ...sb.env, ...env }, stdio: 'ignore' });
      const timer = setTimeout(() => child.kill('SIGKILL'), HANG_MS);
      child.on('close', (status) => {
        clearTimeout(timer);
        resolve({ status });
      });
    });
    expect(traced.status).toBe(0);
    const calls = fs.readFileSync(log, 'utf8');
    fs.rmSync(log);
    expect(calls).not.toMatch(/AF_INET/);
    const audit = JSON.parse((await run(['audit', '--json'])).stdout) as { cmd: string; entries?: { entry: string }[] }[];
    const execs = audit.filter((a) => a.cmd === 'exec');
    expect(execs.length).toBeGreaterThan(0);
    for (const a of execs) expect((a.entries ?? []).map((e) => e.entry)).not.toContain(CASES.bybit.master);
  }, 120_000);
});

test('canary: no secret in any output or file of the sandbox', () => {
  expect(() => sb.assertNoCanary()).not.toThrow();
});
