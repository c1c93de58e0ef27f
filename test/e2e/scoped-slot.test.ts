// A host whose age identity is granted one scope (format 2), through the built CLI: with
// EXVAULT_IDENTITY_FILE and no passphrase it reads and launches the entries of its scope, is
// told that other scopes are not seen, cannot find the others' entries, and cannot change the
// vault (that needs every scope's key). The slot is added the way the fleet commands will:
// through the format and app layers, with an identity made by the real age-keygen.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ready } from '../../src/crypto/sodium';
import { parseRecipient } from '../../src/crypto/age-x25519';
import { decodeFile } from '../../src/format/header';
import { makeX25519Slot, unwrapWithPassphrase } from '../../src/format/seal';
import { sealSession, sessionOf } from '../../src/app/session';
import { BINANCE_JSON, OKX_JSON, Sandbox } from '../helpers/cli';
import { CANARY } from '../helpers/canary';
import { okxServer } from '../helpers/exchange-servers';

let sb: Sandbox;
let identity: string;
let host: (args: string[], input?: string) => ReturnType<Sandbox['run']>;

beforeAll(async () => {
  await ready();
  sb = new Sandbox();
  await sb.init();
  expect((await sb.vaultCmd(['scope', 'add', 'grid'])).code).toBe(0);
  expect((await sb.vaultCmd(['add', 'admin-main', '--exchange', 'binance'], { input: BINANCE_JSON })).code).toBe(0);
  expect((await sb.vaultCmd(['add', 'grid-bot', '--exchange', 'okx', '--scope', 'grid'], { input: OKX_JSON })).code).toBe(0);
  // The host's identity, as age-keygen writes it; the admin grants its recipient scope grid.
  identity = path.join(sb.root, 'secrets', 'host.key');
  expect(spawnSync('age-keygen', ['-o', identity]).status).toBe(0);
  const recipient = spawnSync('age-keygen', ['-y', identity], { encoding: 'utf8' }).stdout.trim();
  const parsed = decodeFile(new Uint8Array(fs.readFileSync(sb.vault)));
  const keys = unwrapWithPassphrase(parsed, fs.readFileSync(sb.passFile, 'utf8').replace(/\n$/, ''));
  const s = sessionOf(parsed, keys);
  const grid = s.header.scopes.find((x) => x.name === 'grid')!.id;
  s.header.slots.push(makeX25519Slot(s.header, keys, parseRecipient(recipient), [grid]));
  fs.writeFileSync(sb.vault, Buffer.concat(sealSession(s)), { mode: 0o600 });
  host = (args, input) => sb.run(args, { env: { EXVAULT_IDENTITY_FILE: identity }, ...(input && { input }) });
}, 120_000);

afterAll(() => {
  sb.assertNoCanary();
  sb.cleanup();
});

it('the admin still opens everything with the passphrase, and doctor names the host slot and its scope', async () => {
  const list = await sb.vaultCmd(['list', '--json']);
  expect(list.code).toBe(0);
  expect(JSON.parse(list.stdout).map((e: { name: string }) => e.name).sort()).toEqual(['admin-main', 'grid-bot']);
  const doctor = await sb.vaultCmd(['doctor']);
  expect(doctor.stdout + doctor.stderr).toMatch(/X25519 recipient age1[0-9a-z]{58} \[scopes: grid\]/);
});

it('the host reads its scope with no passphrase, and is told what it cannot see', async () => {
  const got = await sb.run(['get', 'grid-bot', 'apiKey'], { env: { EXVAULT_IDENTITY_FILE: identity }, reveals: true });
  expect(got.code).toBe(0);
  expect(got.stdout.trim()).toBe(CANARY.apiKey);
  const list = await host(['list', '--json']);
  expect(list.code).toBe(0);
  expect(JSON.parse(list.stdout).map((e: { name: string }) => e.name)).toEqual(['grid-bot']);
  expect(list.stderr).toMatch(/this unlock opens 1 of 2 scopes: entries in default are not seen/);
});

it("the host cannot reach the default scope's entries: not found, and not launched", async () => {
  const other = await host(['get', 'admin-main', 'apiKey']);
  expect(other.code).toBe(4);
  expect(other.stdout).toBe('');
  const exec = await host(['exec', 'admin-main', '--', 'true']);
  expect(exec.code).toBe(4);
});

it('the host launches its bot with only its key', async () => {
  const r = await sb.run(['exec', 'grid-bot', '--no-mask', '--', process.execPath, '-e', 'process.stdout.write(process.env.GRID_BOT_API_KEY ?? "none")'], { env: { EXVAULT_IDENTITY_FILE: identity }, reveals: true });
  expect(r.code).toBe(0);
  expect(r.stdout).toBe(CANARY.apiKey);
});

it('the host cannot change the vault: one line saying writes need every scope, exit 2, file unchanged', async () => {
  const before = fs.readFileSync(sb.vault);
  const add = await host(['add', 'host-new', '--exchange', 'binance'], BINANCE_JSON);
  expect(add.code).toBe(2);
  expect(add.stderr).toMatch(/^vault: error: this unlock opens some scopes only \(not default\): changing the vault needs every scope's key/);
  expect(fs.readFileSync(sb.vault).equals(before)).toBe(true);
});

it('the host cannot vault verify either: refused (exit 2) before the key is sent, the vault unchanged', async () => {
  const okx = await okxServer([{ apiKey: CANARY.apiKey, secret: CANARY.apiSecret, passphrase: CANARY.passphrase, info: { perm: 'read_only,trade', ip: '203.0.113.7' } }]);
  try {
    const before = fs.readFileSync(sb.vault);
    const r = await sb.run(['verify', 'grid-bot'], { env: { EXVAULT_IDENTITY_FILE: identity, EXVAULT_OKX_URL: okx.url } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^vault: error: this unlock opens some scopes only \(not default\): changing the vault needs every scope's key/m);
    expect(okx.log).toEqual([]);
    expect(fs.readFileSync(sb.vault).equals(before)).toBe(true);
    // The positive control: with the passphrase, the same server is asked.
    expect((await sb.vaultCmd(['verify', 'grid-bot'], { env: { EXVAULT_OKX_URL: okx.url } })).code).toBe(0);
    expect(okx.log.map((l) => l.signed)).toEqual(['ok']);
  } finally {
    await okx.close();
  }
});

it('without the identity and without a passphrase, nothing opens', async () => {
  const r = await sb.run(['list']);
  expect(r.code).toBe(7);
});
