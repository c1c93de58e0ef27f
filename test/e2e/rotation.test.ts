// Rotation end to end: check's exit statuses, manual rotation, versions and rollback, and the
// unattended cron flow through the example hook against a fake exchange on 127.0.0.1,
// including a hook that fails half way and a kill -9 between "new key stored" and
// "old key revoked".
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CLI, OKX_JSON, Sandbox } from '../helpers/cli';
import { CANARY } from '../helpers/canary';
import { FakeExchange, startFakeExchange } from '../helpers/fake-exchange';

const HOOK = path.resolve(__dirname, '../../examples/rotate-hook.mjs');
const node = process.execPath;
const rotateHook = `${node} ${HOOK} rotate`;
const revokeHook = `${node} ${HOOK} revoke`;

let sb: Sandbox;
let ex: FakeExchange;
let env: Record<string, string>;

beforeAll(async () => {
  sb = new Sandbox();
  await sb.init();
  ex = await startFakeExchange({ apiKey: CANARY.apiKey, apiSecret: CANARY.apiSecret });
  env = { EXVAULT_PASSPHRASE_FILE: sb.passFile, EXCHANGE_API_URL: ex.url };
});
afterAll(async () => {
  await ex.close();
  sb.assertNoCanary();
  sb.cleanup();
});

const run = (args: string[], opts: Parameters<Sandbox['run']>[1] = {}) => sb.run(args, { ...opts, env: { ...env, ...opts.env } });
const listJson = async () => JSON.parse((await run(['list', '--json'])).stdout) as { name: string; version: number; rotation: { state: string } }[];
const history = async (name: string) => JSON.parse((await run(['history', name, '--json'])).stdout) as { version: number; state: string; revokePending: boolean }[];
const getSecret = async (name: string) => (await run(['get', name, 'apiSecret', '--raw'], { reveals: true })).stdout;
const getKey = async (name: string) => (await run(['get', name, 'apiKey', '--raw'], { reveals: true })).stdout;

describe('vault check', () => {
  it('0 with nothing due', async () => {
    expect((await run(['add', 'fresh', '--exchange', 'okx', '--rotate-every', '90d'], { input: OKX_JSON })).code).toBe(0);
    const r = await run(['check']);
    expect(r).toMatchObject({ code: 0, stdout: '' });
  });

  it('10 when a key is due soon, naming the rule', async () => {
    expect((await run(['add', 'soon', '--exchange', 'okx', '--rotate-every', '10d', '--warn-before', '14d'], { input: OKX_JSON })).code).toBe(0);
    const r = await run(['check']);
    expect(r.code).toBe(10);
    expect(r.stdout).toMatch(/^soon: due in (9|10)d \(rotation every 10d\)$/m);
    expect(JSON.parse((await run(['check', '--json'])).stdout)).toEqual([{ schema: 1, name: 'soon', state: 'due-soon', due: expect.any(String), days: expect.any(Number), reason: 'rotation every 10d' }]);
    expect((await run(['check', '--within', '3d'])).code).toBe(0);
  });

  it('11 when a key is expired (a Binance trading key without IPs created long ago counts too)', async () => {
    expect((await run(['add', 'old', '--exchange', 'okx', '--expires', '2020-01-01'], { input: OKX_JSON })).code).toBe(0);
    const r = await run(['check']);
    expect(r.code).toBe(11);
    expect(r.stdout).toMatch(/^old: expired 2020-01-01 \(expires on 2020-01-01\)$/m);
    const list = await run(['list']);
    expect(list.stdout).toMatch(/^old +okx .* expired 2020-01-01/m);
    expect((await run(['rm', 'old', '--yes'])).code).toBe(0);
    expect((await run(['rm', 'soon', '--yes'])).code).toBe(0);
  });
});

describe('manual rotation, history and rollback', () => {
  it('rotates from a file, keeps the old version, rolls back, refuses revoked versions', async () => {
    const v2 = sb.secretFile('v2.json', JSON.stringify({ apiKey: 'k2', apiSecret: 's2', passphrase: 'p2' }));
    const r = await run(['rotate', 'fresh', '--from-file', v2]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('OKX: API: create a new key');
    expect(r.stderr).toContain('vault rotate fresh --revoked');
    expect(await getSecret('fresh')).toBe('s2');
    expect((await history('fresh')).map((v) => [v.version, v.state])).toEqual([[2, 'active'], [1, 'previous']]);
    expect((await run(['rollback', 'fresh'])).code).toBe(0);
    expect(await getSecret('fresh')).toBe(CANARY.apiSecret);
    expect((await history('fresh')).map((v) => [v.version, v.state])).toEqual([[1, 'active'], [2, 'previous']]);
    expect((await run(['rollback', 'fresh', '--to', '2'])).code).toBe(0);
    const notNumber = await run(['rotate', 'fresh', '--revoked', 'one']);
    expect(notNumber.code).toBe(2);
    expect(notNumber.stderr).toMatch(/^vault: error: a version is a number, as listed by vault history$/m);
    expect((await run(['rotate', 'fresh', '--revoked', '1'])).code).toBe(0);
    expect((await history('fresh')).map((v) => [v.version, v.state])).toEqual([[2, 'active'], [1, 'revoked']]);
    const refused = await run(['rollback', 'fresh', '--to', '1']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('was revoked on the exchange');
    expect((await run(['rollback', 'fresh', '--to', '9'])).code).toBe(4);
  });

  it('keeps at most keep-versions earlier versions', async () => {
    expect((await run(['config', 'keep-versions', '2'])).code).toBe(0);
    for (let i = 3; i <= 5; i++) {
      const f = sb.secretFile(`v${i}.json`, JSON.stringify({ apiKey: `k${i}`, apiSecret: `s${i}`, passphrase: `p${i}` }));
      expect((await run(['rotate', 'fresh', '--from-file', f])).code).toBe(0);
    }
    expect((await history('fresh')).map((v) => v.version)).toEqual([5, 4, 3]);
    expect((await run(['config', 'keep-versions', '10'])).code).toBe(0);
    expect((await run(['rm', 'fresh', '--yes'])).code).toBe(0);
  });
});

describe('unattended rotation through hooks (cron)', () => {
  beforeAll(async () => {
    // The canary key lives on the fake exchange; it expires in 3 days, and has both hooks.
    const add = await run(['add', 'bot', '--exchange', 'other', '--rotate-every', '90d', '--expires', '3d', '--rotate-hook', rotateHook, '--revoke-hook', revokeHook], {
      input: JSON.stringify({ apiKey: CANARY.apiKey, apiSecret: CANARY.apiSecret }),
    });
    expect(add.code).toBe(0);
  });

  it('without a terminal, --due needs --yes', async () => {
    expect((await run(['rotate', '--due'])).code).toBe(7);
  });

  it('two overlapping cron runs rotate the key exactly once, revoke the old key, and leave nothing due', async () => {
    const [a, b] = await Promise.all([run(['rotate', '--due', '--yes', '--json']), run(['rotate', '--due', '--yes', '--json'])]);
    expect([a.code, b.code]).toEqual([0, 0]);
    const reports = [JSON.parse(a.stdout), JSON.parse(b.stdout)];
    expect(reports.flatMap((r) => r.rotated)).toEqual(['bot']);
    expect(ex.created).toBe(1);
    expect(ex.deleted).toBe(1);
    expect(ex.keys.has(CANARY.apiKey)).toBe(false);
    const newKey = await getKey('bot');
    expect(ex.keys.get(newKey)).toBe(await getSecret('bot'));
    expect((await history('bot')).map((v) => [v.version, v.state])).toEqual([[2, 'active'], [1, 'revoked']]);
    // The new key's schedule starts now; the old key's expiry date went with it.
    expect((await listJson()).find((e) => e.name === 'bot')!.rotation).toMatchObject({ state: 'ok', reason: 'rotation every 90d' });
    const audit = JSON.parse((await run(['audit', '--entry', 'bot', '--json'])).stdout);
    expect(audit.filter((r: { cmd: string }) => r.cmd === 'rotate')).toHaveLength(1);
    // The revoke hook was handed the old key: that release is recorded too.
    expect(audit.filter((r: { cmd: string; program?: string }) => r.cmd === 'revoke' && r.program === 'revoke-hook')).toHaveLength(1);
  });

  it('a hook that fails half way: reported with its status, the current key stays, an alert goes out', async () => {
    const alertFile = path.join(sb.root, 'tmp', 'rot-alert.json');
    expect((await run(['config', 'alert-command', `cat > ${alertFile}`])).code).toBe(0);
    const before = await getKey('bot');
    // Creates a key on the exchange, then dies before printing it.
    expect((await run(['edit', 'bot', '--rotate-hook', `${rotateHook} >/dev/null; exit 3`])).code).toBe(0);
    const r = await run(['rotate', 'bot']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^vault: error: bot: the rotate hook failed \(exit 3\); the current key stays active$/m);
    expect(await getKey('bot')).toBe(before);
    expect(ex.keys.has(before)).toBe(true);
    expect(JSON.parse(fs.readFileSync(alertFile, 'utf8'))).toMatchObject({ event: 'rotation-failed', entry: 'bot', step: 'rotate', status: 3 });
    // A hook printing something that is not a credential is refused too.
    expect((await run(['edit', 'bot', '--rotate-hook', 'echo not-json'])).code).toBe(0);
    const bad = await run(['rotate', 'bot']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('the rotate hook did not print a JSON credential');
    expect(await getKey('bot')).toBe(before);
    expect((await run(['config', 'alert-command', '--unset'])).code).toBe(0);
  });

  it("a hook's stderr is passed through masked, and hooks get the credential on stdin, not argv", async () => {
    const argvFile = path.join(sb.root, 'tmp', 'hook-argv.txt');
    // Echoes what it read to stderr (a careless hook), records its own command line.
    const leaky = `cat >&2; echo "$0 $*" > ${argvFile}; exit 5`;
    expect((await run(['edit', 'bot', '--rotate-hook', leaky])).code).toBe(0);
    const current = await getSecret('bot');
    const r = await run(['rotate', 'bot']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('"apiSecret":"<concealed:apiSecret>"');
    expect(r.stderr).not.toContain(current);
    expect(fs.readFileSync(argvFile, 'utf8')).not.toContain(current);
    expect((await run(['edit', 'bot', '--rotate-hook', rotateHook])).code).toBe(0);
  });

  it('the example revoke hook, run again after a kill that came after its delete, succeeds (the key is already gone)', async () => {
    // Two keys of the exchange's own (the seed key is rotated away by the tests before).
    const fresh = { apiKey: `fk${randomBytes(16).toString('hex')}`, apiSecret: randomBytes(24).toString('hex') };
    const kept = { apiKey: `fk${randomBytes(16).toString('hex')}`, apiSecret: randomBytes(24).toString('hex') };
    ex.keys.set(fresh.apiKey, fresh.apiSecret);
    ex.keys.set(kept.apiKey, kept.apiSecret);
    const input = JSON.stringify({ entry: 'x', exchange: 'other', version: 1, secrets: fresh });
    // Not spawnSync: the fake exchange answers from this process.
    const hook = (stdin: string) =>
      new Promise<{ status: number | null; stderr: string }>((resolve) => {
        const c = spawn(node, [HOOK, 'revoke'], { env: { ...process.env, EXCHANGE_API_URL: ex.url } });
        let stderr = '';
        c.stderr.on('data', (d: Buffer) => (stderr += d));
        c.on('close', (status) => resolve({ status, stderr }));
        c.stdin.end(stdin);
      });
    expect((await hook(input)).status).toBe(0);
    expect(ex.keys.has(fresh.apiKey)).toBe(false);
    const again = await hook(input);
    expect(again.status).toBe(0);
    expect(again.stderr).toBe('');
    // A key that still works but whose delete is refused is not taken for revoked.
    const wrong = await hook(JSON.stringify({ secrets: { apiKey: kept.apiKey, apiSecret: 'not-the-secret' } }));
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toBe('revoke: the exchange answered 401\n');
    expect(ex.keys.has(kept.apiKey)).toBe(true);
  });

  it("a rotate hook that echoes the new key it returns to stderr: shown masked (held until it exits)", async () => {
    // A fresh key the test makes up (not the canary): the hook prints it to stderr first, then returns it.
    const fresh = `NEWKEY${Date.now()}abcdefghij`;
    const freshSecret = `NEWSECRET${Date.now()}klmnopqrst`;
    const cred = JSON.stringify({ apiKey: fresh, apiSecret: freshSecret, password: 'Passphrase-99' });
    const hookFile = path.join(sb.root, 'tmp', 'echo-hook.sh');
    fs.writeFileSync(hookFile, `cat >/dev/null; echo "created ${fresh} / ${freshSecret}" >&2; printf '%s' '${cred}'\n`, { mode: 0o700 });
    expect((await run(['add', 'echo-bot', '--exchange', 'okx', '--rotate-hook', `sh ${hookFile}`], { input: OKX_JSON })).code).toBe(0);
    const r = await run(['rotate', 'echo-bot']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/created <concealed:apiKey> \/ <concealed:apiSecret>/);
    expect(r.stderr).not.toContain(fresh);
    expect(r.stderr).not.toContain(freshSecret);
    expect(await getKey('echo-bot')).toBe(fresh);
    // Garbage on stdout (no credential): its long words are masked in the error output too.
    fs.writeFileSync(hookFile, `cat >/dev/null; echo "made ${fresh}x" >&2; echo "key=${fresh}x oops"\n`, { mode: 0o700 });
    const bad = await run(['rotate', 'echo-bot']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^vault: error: echo-bot: the rotate hook did not print a JSON credential; the current key stays active$/m);
    // It exited 0: the key it may have made on the exchange is named as a thing to check.
    expect(bad.stderr).toContain('it may have made a key on the exchange that is not stored here');
    expect(bad.stderr).not.toContain(`${fresh}x`);
    fs.rmSync(hookFile);
    expect((await run(['rm', 'echo-bot', '--yes'])).code).toBe(0);
  });

  it('kill -9 between "new key stored" and "old key revoked": the new key works, the old one is revoked by the next run', async () => {
    const ready = path.join(sb.root, 'tmp', 'revoke-started');
    // A revoke hook that signals it started (so the new key is stored), then hangs.
    const slowRevoke = `echo $$ > ${ready}; sleep 60`;
    expect((await run(['edit', 'bot', '--revoke-hook', slowRevoke])).code).toBe(0);
    const oldKey = await getKey('bot');
    const child = spawn(node, [CLI, 'rotate', 'bot'], { env: { ...sb.env, ...env }, stdio: 'ignore' });
    const deadline = Date.now() + 20_000;
    while (!fs.existsSync(ready) || !fs.readFileSync(ready, 'utf8').trim()) {
      if (Date.now() > deadline) throw new Error('the revoke hook never started');
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGKILL');
    process.kill(Number(fs.readFileSync(ready, 'utf8').trim()), 'SIGKILL');
    await new Promise((r) => child.on('exit', r));

    // The vault opens; the new key is active and valid on the exchange; the old one too, pending.
    const newKey = await getKey('bot');
    expect(newKey).not.toBe(oldKey);
    expect(ex.keys.has(newKey)).toBe(true);
    expect(ex.keys.has(oldKey)).toBe(true);
    expect((await history('bot'))[1]).toMatchObject({ state: 'previous', revokePending: true });

    // The next cron run finishes the job.
    expect((await run(['edit', 'bot', '--revoke-hook', revokeHook])).code).toBe(0);
    const r = await run(['rotate', '--due', '--yes', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).rotated).toEqual([]);
    expect(ex.keys.has(oldKey)).toBe(false);
    expect(ex.keys.has(newKey)).toBe(true);
    expect((await history('bot'))[1]).toMatchObject({ state: 'revoked', revokePending: false });
  }, 60_000);

  it('an entry due without a hook is reported as needing a person; exit status as check', async () => {
    expect((await run(['add', 'manual-one', '--exchange', 'okx', '--expires', '2020-01-01'], { input: OKX_JSON })).code).toBe(0);
    const r = await run(['rotate', '--due', '--yes']);
    expect(r.code).toBe(11);
    expect(r.stdout).toContain('needs a person: manual-one (expired: expires on 2020-01-01); run: vault rotate manual-one');
  });
});
