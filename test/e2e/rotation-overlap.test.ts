// Rotation that never strands a running bot, end to end: bots run under `vault exec` (a
// child that stays alive), the example hook talks to a fake exchange on 127.0.0.1, and the
// old key stays valid on the exchange while a bot holds it; check and show name the bots;
// `rotate --due` revokes once they exit or the grace window ends; the restart step runs
// between storing and revoking, and its failure keeps the old key valid.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Sandbox } from '../helpers/cli';
import { CANARY } from '../helpers/canary';
import { FakeExchange, startFakeExchange } from '../helpers/fake-exchange';

const HOOK = path.resolve(__dirname, '../../examples/rotate-hook.mjs');
const CHILD = path.resolve(__dirname, '../fixtures/child.js');
const node = process.execPath;

let sb: Sandbox;
let ex: FakeExchange;
let env: Record<string, string>;
let bots = 0;

beforeAll(async () => {
  sb = new Sandbox();
  await sb.init();
  ex = await startFakeExchange({ apiKey: CANARY.apiKey, apiSecret: CANARY.apiSecret });
  env = { EXVAULT_PASSPHRASE_FILE: sb.passFile, EXCHANGE_API_URL: ex.url };
  const add = await run(['add', 'bn-bot', '--exchange', 'other', '--rotate-hook', `${node} ${HOOK} rotate`, '--revoke-hook', `${node} ${HOOK} revoke`], {
    input: JSON.stringify({ apiKey: CANARY.apiKey, apiSecret: CANARY.apiSecret }),
  });
  expect(add.code).toBe(0);
});
afterAll(async () => {
  await ex.close();
  sb.assertNoCanary();
  sb.cleanup();
});

const run = (args: string[], opts: Parameters<Sandbox['run']>[1] = {}) => sb.run(args, { ...opts, env: { ...env, ...opts.env } });
const getKey = async () => (await run(['get', 'bn-bot', 'apiKey', '--raw'], { reveals: true })).stdout;
const history = async () => JSON.parse((await run(['history', 'bn-bot', '--json'])).stdout) as { version: number; state: string; revokePending: boolean }[];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A bot under vault exec that stays alive until told; resolves once the program runs. */
async function startBot(): Promise<{ pid: number; programPid: number; stop(sig?: NodeJS.Signals): Promise<void> }> {
  const file = path.join(sb.root, 'tmp', `bot${++bots}`);
  const { child, done } = sb.start(['exec', 'bn-bot', '--', node, CHILD, 'signals', file], { env });
  const deadline = Date.now() + 30_000;
  while (!fs.existsSync(`${file}.ready`)) {
    if (Date.now() > deadline) throw new Error('the bot never started');
    await sleep(20);
  }
  return {
    pid: child.pid!,
    programPid: Number(fs.readFileSync(`${file}.ready`, 'utf8')),
    stop: async (sig = 'SIGTERM') => {
      child.kill(sig);
      await done;
    },
  };
}

describe('a bot running the old key is not stranded', () => {
  it('rotate while a bot runs: the new key is stored, the old one stays valid; check and show name the bot; rotate --due revokes once it exits', async () => {
    const oldKey = await getKey();
    const bot = await startBot();
    const r = await run(['rotate', 'bn-bot']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('bn-bot: version 2 is active');
    expect(r.stderr).not.toContain('the old key was revoked');
    expect(r.stderr).toMatch(new RegExp(`old version 1 still valid: revoke when its bots exit, at the latest \\S+; held by pid ${bot.pid} \\(node, since \\S+\\)`));
    const newKey = await getKey();
    expect(newKey).not.toBe(oldKey);
    expect(ex.keys.has(oldKey)).toBe(true);
    expect(ex.keys.has(newKey)).toBe(true);
    expect((await history())[1]).toMatchObject({ version: 1, state: 'previous', revokePending: true });

    // check: nothing is due (the window is open and the bot holds it), the bot is named.
    const check = await run(['check']);
    expect(check.code).toBe(0);
    expect(check.stdout).toContain(`bn-bot: old version 1 still valid`);
    expect(check.stdout).toContain(`held by pid ${bot.pid} (node, since`);
    const cj = JSON.parse((await run(['check', '--json'])).stdout);
    expect(cj).toEqual([expect.objectContaining({ name: 'bn-bot', state: 'revoke-pending', version: 1, revokeWhen: 'idle', revokeDue: false, heldBy: [expect.objectContaining({ pid: bot.pid, program: 'node' })] })]);
    const show = await run(['show', 'bn-bot']);
    expect(show.stdout).toMatch(new RegExp(`pending revoke +old version 1 still valid: .*held by pid ${bot.pid}`));
    expect(JSON.parse((await run(['show', 'bn-bot', '--json'])).stdout).pendingRevokes).toEqual([expect.objectContaining({ version: 1, due: false, heldBy: [expect.objectContaining({ pid: bot.pid })] })]);

    // cron while the bot runs: nothing revoked.
    const busy = await run(['rotate', '--due', '--yes', '--json']);
    expect(busy.code).toBe(0);
    expect(JSON.parse(busy.stdout).pending).toEqual([expect.objectContaining({ entry: 'bn-bot', version: 1, due: false })]);
    expect(ex.keys.has(oldKey)).toBe(true);

    // The bot exits: the next cron run revokes the old key.
    await bot.stop();
    const due = await run(['rotate', '--due', '--yes', '--json']);
    expect(due.code).toBe(0);
    expect(JSON.parse(due.stdout)).toMatchObject({ rotated: [], pending: [] });
    expect(ex.keys.has(oldKey)).toBe(false);
    expect(ex.keys.has(newKey)).toBe(true);
    expect((await history())[1]).toMatchObject({ version: 1, state: 'revoked' });
    expect(await run(['check'])).toMatchObject({ code: 0, stdout: '' });
  }, 120_000);

  it('a bot started after the rotation holds the new version only: it does not hold the old key back', async () => {
    const a = await startBot();
    const oldKey = await getKey();
    expect((await run(['rotate', 'bn-bot'])).code).toBe(0);
    expect(ex.keys.has(oldKey)).toBe(true);
    const b = await startBot();
    await a.stop();
    const due = await run(['rotate', '--due', '--yes', '--json']);
    expect(due.code).toBe(0);
    expect(JSON.parse(due.stdout).pending).toEqual([]);
    expect(ex.keys.has(oldKey)).toBe(false);
    // b holds the version that is active now: the next rotation keeps that one for it.
    const next = await run(['rotate', 'bn-bot']);
    expect(next.stderr).toContain(`held by pid ${b.pid}`);
    await b.stop();
    expect((await run(['rotate', '--due', '--yes'])).code).toBe(0);
    expect((await history()).slice(1, 3).map((v) => v.state)).toEqual(['revoked', 'revoked']);
  }, 120_000);

  it('a bot killed with -9 leaves a run record that no longer counts', async () => {
    const bot = await startBot();
    await bot.stop('SIGKILL');
    // The program itself may outlive its wrapper where setpriv is missing: end it too.
    try {
      process.kill(bot.programPid, 'SIGKILL');
    } catch {
      // Gone with its wrapper already.
    }
    expect(fs.readdirSync(`${sb.vault}.runs`).filter((f) => f.startsWith(`${bot.pid}-`))).toHaveLength(1);
    const oldKey = await getKey();
    const r = await run(['rotate', 'bn-bot']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('the old key was revoked');
    expect(ex.keys.has(oldKey)).toBe(false);
    // The dead run's record was cleared by the reader that found it dead.
    expect(fs.readdirSync(`${sb.vault}.runs`).filter((f) => f.startsWith(`${bot.pid}-`))).toEqual([]);
  }, 120_000);

  it('the grace window ends: the old key is revoked although the bot still runs (idle: whichever comes first)', async () => {
    const bot = await startBot();
    const oldKey = await getKey();
    const r = await run(['rotate', 'bn-bot', '--revoke-after', '1s']);
    expect(r.code).toBe(0);
    expect(ex.keys.has(oldKey)).toBe(true);
    await sleep(1500);
    // Its revoke is due now: check says so with 10, cron does it.
    const check = await run(['check']);
    expect(check.code).toBe(10);
    expect(check.stdout).toContain('revoke due now (vault rotate --due)');
    const due = await run(['rotate', '--due', '--yes']);
    expect(due.code).toBe(0);
    expect(ex.keys.has(oldKey)).toBe(false);
    await bot.stop();
  }, 120_000);

  it('--revoke-when both: after the window, still kept while the bot runs; revoked once it exits', async () => {
    const bot = await startBot();
    const oldKey = await getKey();
    expect((await run(['rotate', 'bn-bot', '--revoke-after', '1s', '--revoke-when', 'both'])).code).toBe(0);
    await sleep(1500);
    const busy = await run(['rotate', '--due', '--yes', '--json']);
    expect(JSON.parse(busy.stdout).pending).toEqual([expect.objectContaining({ version: expect.any(Number), revokeWhen: 'both', due: false })]);
    expect(ex.keys.has(oldKey)).toBe(true);
    await bot.stop();
    expect((await run(['rotate', '--due', '--yes'])).code).toBe(0);
    expect(ex.keys.has(oldKey)).toBe(false);
  }, 120_000);
});

describe('the restart step', () => {
  it('runs after the new key is stored and before the old one is revoked; its own audit record; the old bot exits and the revoke follows', async () => {
    const bot = await startBot();
    const oldKey = await getKey();
    // Without a shell: the words are the program and its arguments.
    expect((await run(['edit', 'bn-bot', '--restart', `kill -TERM ${bot.pid}`])).code).toBe(0);
    expect(JSON.parse((await run(['show', 'bn-bot', '--json'])).stdout).restart).toEqual(['kill', '-TERM', String(bot.pid)]);
    const r = await run(['rotate', 'bn-bot']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('the old key was revoked');
    await bot.stop();
    expect(ex.keys.has(oldKey)).toBe(false);
    const audit = JSON.parse((await run(['audit', '--entry', 'bn-bot', '--json'])).stdout) as { cmd: string; program?: string; result?: unknown; seq: number }[];
    const restart = audit.filter((a) => a.cmd === 'restart');
    expect(restart).toEqual([expect.objectContaining({ program: 'kill', result: '0' })]);
    // The restart came after the rotation's record.
    expect(restart[0]!.seq).toBeGreaterThan(audit.filter((a) => a.cmd === 'rotate').at(-1)!.seq);
  }, 120_000);

  it('a failing restart: exit 1, a clear message, the new key stored, the old one not revoked; rotate --due retries it', async () => {
    const oldKey = await getKey();
    expect((await run(['edit', 'bn-bot', '--restart', 'false'])).code).toBe(0);
    const r = await run(['rotate', 'bn-bot']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^vault: error: bn-bot: the new key is stored, but the restart command failed \(exit 1\); the old key stays valid$/m);
    const newKey = await getKey();
    expect(newKey).not.toBe(oldKey);
    expect(ex.keys.has(oldKey)).toBe(true);
    expect(ex.keys.has(newKey)).toBe(true);
    const check = await run(['check']);
    expect(check.code).toBe(10);
    expect(check.stdout).toContain('its restart command failed');
    const audit = JSON.parse((await run(['audit', '--entry', 'bn-bot', '--json'])).stdout) as { cmd: string; result?: unknown }[];
    expect(audit.filter((a) => a.cmd === 'restart').at(-1)).toMatchObject({ result: 'exit 1' });
    // Still failing: cron reports it (status 1) and leaves the old key alone.
    const again = await run(['rotate', '--due', '--yes']);
    expect(again.code).toBe(1);
    expect(ex.keys.has(oldKey)).toBe(true);
    // Fixed: the next cron run restarts, then revokes.
    expect((await run(['edit', 'bn-bot', '--restart', 'true'])).code).toBe(0);
    expect((await run(['rotate', '--due', '--yes'])).code).toBe(0);
    expect(ex.keys.has(oldKey)).toBe(false);
    expect((await run(['edit', 'bn-bot', '--restart', 'none'])).code).toBe(0);
  }, 120_000);

  it('--restarted records a restart done by hand; --no-restart skips it for one rotation', async () => {
    expect((await run(['edit', 'bn-bot', '--restart', 'false'])).code).toBe(0);
    const oldKey = await getKey();
    expect((await run(['rotate', 'bn-bot'])).code).toBe(1);
    expect((await run(['rotate', 'bn-bot', '--restarted'])).code).toBe(0);
    expect((await run(['rotate', '--due', '--yes'])).code).toBe(0);
    expect(ex.keys.has(oldKey)).toBe(false);
    const key2 = await getKey();
    const r = await run(['rotate', 'bn-bot', '--no-restart']);
    expect(r.code).toBe(0);
    expect(ex.keys.has(key2)).toBe(false);
    expect((await run(['edit', 'bn-bot', '--restart', 'none'])).code).toBe(0);
  }, 120_000);

  it("a restart's output is masked with the entry's keys, old and new (pm2 describes a process with the env it started with)", async () => {
    const oldKey = await getKey();
    // What a process manager prints about the bot it restarts: the environment vault exec gave it.
    const dump = path.join(sb.root, 'tmp', 'pm2-dump');
    const script = path.join(sb.root, 'tmp', 'restart.sh');
    fs.writeFileSync(dump, `BINANCE_API_KEY=${oldKey}\n`, { mode: 0o600 });
    fs.writeFileSync(script, `cat ${dump}; cat ${dump} >&2\n`, { mode: 0o700 });
    expect((await run(['edit', 'bn-bot', '--restart', `sh ${script}`])).code).toBe(0);
    const r = await run(['rotate', 'bn-bot']);
    expect(r.code).toBe(0);
    expect(r.stderr.match(/BINANCE_API_KEY=<concealed:apiKey>/g)).toHaveLength(2);
    expect(r.stderr).not.toContain(oldKey);
    fs.rmSync(dump);
    fs.rmSync(script);
    expect((await run(['edit', 'bn-bot', '--restart', 'none'])).code).toBe(0);
  }, 120_000);

  it('bad settings are one-line usage errors that change nothing', async () => {
    for (const args of [['rotate', 'bn-bot', '--revoke-after', '5x'], ['rotate', 'bn-bot', '--revoke-when', 'soon'], ['edit', 'bn-bot', '--restart', '[1,2]'], ['config', 'revoke-after', 'forever']]) {
      const r = await run(args);
      expect(r.code).toBe(2);
      expect(r.stderr.split('\n').filter((l) => l.startsWith('vault: error:'))).toHaveLength(1);
    }
    expect((await run(['config', 'revoke-after', '2h'])).code).toBe(0);
    expect((await run(['config', 'revoke-after'])).stdout).toBe('revoke-after = 2h\n');
    expect((await run(['config', 'revoke-after', '--unset'])).code).toBe(0);
  }, 60_000);
});

describe('rollback while an old key waits for its revoke', () => {
  it('brings the old key back, cancels its revoke and says the other key stays valid with no revoke planned', async () => {
    const bot = await startBot();
    const oldKey = await getKey();
    expect((await run(['rotate', 'bn-bot'])).code).toBe(0);
    const newKey = await getKey();
    expect((await history())[1]).toMatchObject({ state: 'previous', revokePending: true });
    const r = await run(['rollback', 'bn-bot']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/was waiting to be revoked: that revoke is cancelled\. Version \d+ stays valid on the exchange and nothing will revoke it; delete it there, then: vault rotate bn-bot --revoked/);
    expect(await getKey()).toBe(oldKey);
    await bot.stop();
    // Nothing revokes either key now: rotate --due leaves both on the exchange.
    expect((await run(['rotate', '--due', '--yes'])).code).toBe(0);
    expect(ex.keys.has(oldKey)).toBe(true);
    expect(ex.keys.has(newKey)).toBe(true);
  }, 120_000);
});
