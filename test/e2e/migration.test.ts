// vault export --all then vault import json into a fresh vault loses nothing: entries whole
// (dates, rotation schedules, hooks, earlier versions), profiles and vault settings. And
// vault show says what the schedule and hooks are.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BINANCE_JSON, FAST_KDF, OKX_JSON, Sandbox } from '../helpers/cli';

let sb: Sandbox;
let env: Record<string, string>;
beforeAll(async () => {
  sb = new Sandbox();
  await sb.init();
  env = { EXVAULT_PASSPHRASE_FILE: sb.passFile };
});
afterAll(() => {
  sb.assertNoCanary();
  sb.cleanup();
});

const run = (args: string[], opts: Parameters<Sandbox['run']>[1] = {}) => sb.run(args, { ...opts, env: { ...env, ...opts.env } });
const ok = async (args: string[], opts: Parameters<Sandbox['run']>[1] = {}) => {
  const r = await run(args, opts);
  if (r.code !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
  return r;
};

it('export --all -> import into a fresh vault -> export --all gives the same file', async () => {
  const hook = `node -e "process.stdout.write(JSON.stringify({apiKey:'n'.repeat(64),apiSecret:'m'.repeat(64)}))"`;
  await ok(['add', 'binance-main', '--exchange', 'binance', '--permissions', 'reading,spot', '--ip', '203.0.113.7', '--rotate-every', '30d', '--warn-before', '5d', '--rotate-hook', hook, '--revoke-hook', 'true', '--label', 'grid'], { input: BINANCE_JSON });
  await ok(['add', 'okx-main', '--exchange', 'okx', '--env', 'passphrase=OKX_PASS', '--expires', '2099-01-01'], { input: OKX_JSON });
  await ok(['rotate', 'binance-main']);
  await ok(['profile', 'set', 'grid', 'binance-main', '--map', 'OKX_KEY=okx-main.apiKey', '--pristine', '--keep', 'PYTHONPATH']);
  await ok(['config', 'rotate-every', '90d']);
  await ok(['config', 'keep-versions', '3']);
  const first = await ok(['export', '--all', '--yes'], { reveals: true });
  const doc = JSON.parse(first.stdout);
  expect(doc.version).toBe(2);
  const b = doc.entries.find((e: { name: string }) => e.name === 'binance-main');
  expect(b.rotation).toEqual({ everyDays: 30, warnDays: 5, hook, revokeHook: 'true' });
  expect(b.history).toHaveLength(1);
  expect(doc.profiles).toEqual([{ name: 'grid', entries: ['binance-main'], map: { OKX_KEY: { entry: 'okx-main', field: 'apiKey' } }, pristine: true, allowWithdraw: false, keep: ['PYTHONPATH'] }]);
  expect(doc.config).toEqual({ rotateEveryDays: 90, keepVersions: 3 });

  const fresh = path.join(sb.root, 'home', 'fresh.exv');
  await ok(['--vault', fresh, 'init', ...FAST_KDF]);
  const imp = await ok(['--vault', fresh, 'import', 'json', '-', '--yes'], { input: first.stdout });
  expect(imp.stderr).toMatch(/imported binance-main, okx-main/);
  const second = await ok(['--vault', fresh, 'export', '--all', '--yes'], { reveals: true });
  expect(second.stdout).toBe(first.stdout);
  // The earlier version (revoked by its hook) is still on record.
  expect((await ok(['--vault', fresh, 'history', 'binance-main'])).stdout).toMatch(/^1 +revoked +\d{4}-/m);
});

it('importing a profile whose entry is missing, or one the vault has, changes nothing', async () => {
  const other = path.join(sb.root, 'home', 'partial.exv');
  await ok(['--vault', other, 'init', ...FAST_KDF]);
  const one = JSON.parse((await ok(['export', '--all', '--yes'], { reveals: true })).stdout);
  one.entries = one.entries.filter((e: { name: string }) => e.name === 'okx-main');
  const before = fs.readFileSync(other);
  const r = await run(['--vault', other, 'import', 'json', '-', '--yes'], { input: JSON.stringify(one) });
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/profile grid names binance-main, which is neither in the import nor in the vault/);
  expect(fs.readFileSync(other).equals(before)).toBe(true);
});

it('a version 1 export (metadata and current keys) still imports', async () => {
  const other = path.join(sb.root, 'home', 'v1.exv');
  await ok(['--vault', other, 'init', ...FAST_KDF]);
  const v1 = JSON.stringify({ format: 'exvault-export', version: 1, entries: [{ name: 'old', exchange: 'okx', label: 'from 0.1', permissions: [], ips: [], env: {}, secrets: JSON.parse(OKX_JSON) }] });
  await ok(['--vault', other, 'import', 'json', '-', '--yes'], { input: v1 });
  expect(JSON.parse((await ok(['--vault', other, 'show', 'old', '--json'])).stdout).label).toBe('from 0.1');
});

it('vault show displays the rotation schedule, hooks and version', async () => {
  const r = await ok(['show', 'binance-main']);
  expect(r.stdout).toMatch(/^rotate every +30d, warn 5d before$/m);
  expect(r.stdout).toMatch(/^rotate hook +node -e /m);
  expect(r.stdout).toMatch(/^revoke hook +true$/m);
  expect(r.stdout).toMatch(/^version +2, since \d{4}-\d\d-\d\d \(1 earlier kept\)$/m);
  const j = JSON.parse((await ok(['show', 'binance-main', '--json'])).stdout);
  expect(j).toMatchObject({ rotateEveryDays: 30, warnBeforeDays: 5, earlierVersions: 1, revokeHook: 'true' });
});

it('an entry in its own scope comes back in that scope, the scope made in the new vault (rt18b #3)', async () => {
  const src = path.join(sb.root, 'home', 'scoped.exv');
  await ok(['--vault', src, 'init', ...FAST_KDF]);
  await ok(['--vault', src, 'scope', 'add', 'grid']);
  await ok(['--vault', src, 'add', 'okx-grid', '--exchange', 'okx', '--scope', 'grid'], { input: OKX_JSON });
  await ok(['--vault', src, 'add', 'binance-main', '--exchange', 'binance'], { input: BINANCE_JSON });
  const first = await ok(['--vault', src, 'export', '--all', '--yes'], { reveals: true });
  const doc = JSON.parse(first.stdout);
  const byName = (n: string) => doc.entries.find((e: { name: string }) => e.name === n);
  expect(byName('okx-grid').scope).toBe('grid');
  // The default scope is not written: exports of vaults without scopes stay as they were.
  expect('scope' in byName('binance-main')).toBe(false);

  const fresh = path.join(sb.root, 'home', 'scoped-fresh.exv');
  await ok(['--vault', fresh, 'init', ...FAST_KDF]);
  await ok(['--vault', fresh, 'import', 'json', '-', '--yes'], { input: first.stdout });
  const scopes = JSON.parse((await ok(['--vault', fresh, 'scope', 'list', '--json'])).stdout);
  expect(scopes.map((s: { name: string; entries: number }) => [s.name, s.entries])).toEqual([['default', 1], ['grid', 1]]);
  const second = await ok(['--vault', fresh, 'export', '--all', '--yes'], { reveals: true });
  expect(second.stdout).toBe(first.stdout);

  // An import that will be refused makes no scope on the way.
  const clash = path.join(sb.root, 'home', 'scoped-clash.exv');
  await ok(['--vault', clash, 'init', ...FAST_KDF]);
  await ok(['--vault', clash, 'add', 'okx-grid', '--exchange', 'okx'], { input: OKX_JSON });
  const r = await run(['--vault', clash, 'import', 'json', '-', '--yes'], { input: first.stdout });
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/already in the vault: okx-grid/);
  expect(JSON.parse((await ok(['--vault', clash, 'scope', 'list', '--json'])).stdout).map((x: { name: string }) => x.name)).toEqual(['default']);
});

it('a scope name that is not valid is refused before anything is imported', async () => {
  const other = path.join(sb.root, 'home', 'badscope.exv');
  await ok(['--vault', other, 'init', ...FAST_KDF]);
  const before = fs.readFileSync(other);
  const one = { format: 'exvault-export', version: 2, entries: [{ ...JSON.parse((await ok(['export', 'okx-main', '--yes'], { reveals: true })).stdout).entries[0], scope: 'Bad Scope!' }] };
  const r = await run(['--vault', other, 'import', 'json', '-', '--yes'], { input: JSON.stringify(one) });
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/not a valid scope name/);
  expect(fs.readFileSync(other).equals(before)).toBe(true);
});
