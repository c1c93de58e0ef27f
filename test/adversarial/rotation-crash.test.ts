// kill -9 at each step of a rotation through hooks, with the example hook against the fake
// exchange: while the rotate hook runs (after the exchange made the new key), while the
// restart command runs (new key stored, old not yet revoked), while the revoke hook runs.
// Each step blocks in a command that says it started, so the kill lands exactly there.
// After every kill: the vault opens, its audit chain verifies, the active key works on the
// exchange, and the next `rotate --due` finishes what was started.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Sandbox } from '../helpers/cli';
import { CANARY } from '../helpers/canary';
import { FakeExchange, startFakeExchange } from '../helpers/fake-exchange';

const HOOK = path.resolve(__dirname, '../../examples/rotate-hook.mjs');
const node = process.execPath;
const ROTATE = `${node} ${HOOK} rotate`;
const REVOKE = `${node} ${HOOK} revoke`;

let sb: Sandbox;
let ex: FakeExchange;
let env: Record<string, string>;
let step = 0;

beforeAll(async () => {
  sb = new Sandbox();
  await sb.init();
  ex = await startFakeExchange({ apiKey: CANARY.apiKey, apiSecret: CANARY.apiSecret });
  env = { EXVAULT_PASSPHRASE_FILE: sb.passFile, EXCHANGE_API_URL: ex.url };
  const add = await run(['add', 'bot', '--exchange', 'other', '--rotate-hook', ROTATE, '--revoke-hook', REVOKE], { input: JSON.stringify({ apiKey: CANARY.apiKey, apiSecret: CANARY.apiSecret }) });
  expect(add.code).toBe(0);
});
afterAll(async () => {
  await ex.close();
  sb.assertNoCanary();
  sb.cleanup();
});

const run = (args: string[], opts: Parameters<Sandbox['run']>[1] = {}) => sb.run(args, { ...opts, env: { ...env, ...opts.env } });
const getKey = async () => (await run(['get', 'bot', 'apiKey', '--raw'], { reveals: true })).stdout;
const getSecret = async () => (await run(['get', 'bot', 'apiSecret', '--raw'], { reveals: true })).stdout;
const history = async () => JSON.parse((await run(['history', 'bot', '--json'])).stdout) as { version: number; state: string; revokePending: boolean }[];

/** A shell snippet that records its pid in a fresh file, then blocks (exec: the pid is the sleep's). */
function blocker(): { file: string; sh: string } {
  const file = path.join(sb.root, 'tmp', `step${++step}`);
  return { file, sh: `echo $$ > ${file}; exec sleep 120` };
}

/** Starts `vault rotate bot`, waits until the blocking step began, then kills both with -9. */
async function killRotationAt(file: string): Promise<void> {
  const { child, done } = sb.start(['rotate', 'bot'], { env });
  const deadline = Date.now() + 60_000;
  while (!fs.existsSync(file) || !fs.readFileSync(file, 'utf8').trim()) {
    if (Date.now() > deadline) throw new Error('the blocking step never started');
    await new Promise((r) => setTimeout(r, 20));
  }
  child.kill('SIGKILL');
  process.kill(Number(fs.readFileSync(file, 'utf8').trim()), 'SIGKILL');
  expect((await done).signal).toBe('SIGKILL');
}

/** What must hold after any kill: it opens, the chain verifies, the active key works on the exchange. */
async function assertWorks(): Promise<string> {
  const key = await getKey();
  expect(ex.keys.get(key)).toBe(await getSecret());
  expect((await run(['audit', 'verify'])).code).toBe(0);
  return key;
}

it('killed while the rotate hook runs (the exchange made a key): the old key stays active and works; rotate --due rotates again', async () => {
  const before = await getKey();
  const b = blocker();
  expect((await run(['edit', 'bot', '--rotate-hook', `${ROTATE} >/dev/null; ${b.sh}`])).code).toBe(0);
  await killRotationAt(b.file);
  expect(await assertWorks()).toBe(before);
  // The stray key the hook made is on the exchange; the vault never had it.
  expect(ex.keys.size).toBe(2);
  const check = await run(['check']);
  expect(check.code).toBe(10);
  expect(check.stdout).toMatch(/^bot: a rotation started at \S+ did not finish; the current key is still active \(vault rotate --due starts it again\)$/m);

  expect((await run(['edit', 'bot', '--rotate-hook', ROTATE])).code).toBe(0);
  const r = await run(['rotate', '--due', '--yes', '--json']);
  expect(r.code).toBe(0);
  expect(r.stderr).toContain('bot: a rotation started at');
  expect(JSON.parse(r.stdout).rotated).toEqual(['bot']);
  const after = await assertWorks();
  expect(after).not.toBe(before);
  expect(ex.keys.has(before)).toBe(false);
  expect((await history()).map((v) => v.state)).toEqual(['active', 'revoked']);
  // Done: a second run has nothing left.
  expect(JSON.parse((await run(['rotate', '--due', '--yes', '--json'])).stdout)).toMatchObject({ rotated: [], pending: [], failed: [] });
}, 180_000);

it('killed while the restart command runs: the new key is stored and works, the old one is still valid; rotate --due restarts and revokes', async () => {
  const before = await getKey();
  const b = blocker();
  expect((await run(['edit', 'bot', '--restart', JSON.stringify(['sh', '-c', b.sh])])).code).toBe(0);
  await killRotationAt(b.file);
  const now = await assertWorks();
  expect(now).not.toBe(before);
  expect(ex.keys.has(before)).toBe(true);
  expect((await history())[1]).toMatchObject({ state: 'previous', revokePending: true });
  const check = await run(['check']);
  expect(check.stdout).toContain('its restart has not run');

  expect((await run(['edit', 'bot', '--restart', 'true'])).code).toBe(0);
  const r = await run(['rotate', '--due', '--yes', '--json']);
  expect(r.code).toBe(0);
  expect(JSON.parse(r.stdout)).toMatchObject({ rotated: [], pending: [] });
  expect(ex.keys.has(before)).toBe(false);
  expect(await assertWorks()).toBe(now);
  const audit = JSON.parse((await run(['audit', '--entry', 'bot', '--json'])).stdout) as { cmd: string; program?: string }[];
  expect(audit.filter((a) => a.cmd === 'restart').map((a) => a.program)).toEqual(['true']);
  expect((await run(['edit', 'bot', '--restart', 'none'])).code).toBe(0);
}, 180_000);

it('killed while the revoke hook runs: the new key works, the old one is still valid; rotate --due revokes it', async () => {
  const before = await getKey();
  const b = blocker();
  expect((await run(['edit', 'bot', '--revoke-hook', b.sh])).code).toBe(0);
  await killRotationAt(b.file);
  const now = await assertWorks();
  expect(now).not.toBe(before);
  expect(ex.keys.has(before)).toBe(true);
  expect((await history())[1]).toMatchObject({ state: 'previous', revokePending: true });

  expect((await run(['edit', 'bot', '--revoke-hook', REVOKE])).code).toBe(0);
  const r = await run(['rotate', '--due', '--yes', '--json']);
  expect(r.code).toBe(0);
  expect(ex.keys.has(before)).toBe(false);
  expect(await assertWorks()).toBe(now);
  expect((await history())[1]).toMatchObject({ state: 'revoked' });
}, 180_000);

it('killed while a bot holds the old key and the revoke waits: nothing is lost, the bot keeps its key until it exits', async () => {
  const CHILD = path.resolve(__dirname, '../fixtures/child.js');
  const ready = path.join(sb.root, 'tmp', 'crash-bot');
  const botRun = sb.start(['exec', 'bot', '--', node, CHILD, 'signals', ready], { env });
  while (!fs.existsSync(`${ready}.ready`)) await new Promise((r) => setTimeout(r, 20));
  const before = await getKey();
  // A rotation killed right after it stored the new key (blocked in its restart).
  const b = blocker();
  expect((await run(['edit', 'bot', '--restart', JSON.stringify(['sh', '-c', b.sh])])).code).toBe(0);
  await killRotationAt(b.file);
  expect((await run(['edit', 'bot', '--restart', 'true'])).code).toBe(0);
  const r = await run(['rotate', '--due', '--yes', '--json']);
  expect(r.code).toBe(0);
  // The restart ran; the bot (not replaced by `true`) still holds the old key: kept.
  expect(JSON.parse(r.stdout).pending).toEqual([expect.objectContaining({ entry: 'bot', heldBy: [expect.objectContaining({ pid: botRun.child.pid })] })]);
  expect(ex.keys.has(before)).toBe(true);
  botRun.child.kill('SIGTERM');
  await botRun.done;
  expect((await run(['rotate', '--due', '--yes'])).code).toBe(0);
  expect(ex.keys.has(before)).toBe(false);
  await assertWorks();
  expect((await run(['edit', 'bot', '--restart', 'none'])).code).toBe(0);
}, 240_000);
