// rt22 finding 1 through the built CLI: a host granted scope "grid" forges grid-bot's record
// (a rotation hook of its choice) and the grid index with the grid key from its own slot, and
// the file reaches the admin, copied back or pulled by vault sync. The admin, who holds every
// scope, refuses it (exit 5, one line), runs no hook, and a sync takes nothing.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ready } from '../../src/crypto/sodium';
import { parseRecipient } from '../../src/crypto/age-x25519';
import { decodeFile } from '../../src/format/header';
import { makeX25519Slot, unwrapWithPassphrase } from '../../src/format/seal';
import { sealSession, sessionOf } from '../../src/app/session';
import { BINANCE_JSON, OKX_JSON, Sandbox } from '../helpers/cli';
import { forgeHook } from '../helpers/forge-scope';
import { parseVector } from '../vectors/generate';

jest.setTimeout(300_000);

const REFUSED = "vault: error: the vault was changed by someone who does not hold every scope's key (or damaged)";
let sb: Sandbox;
let identity: string;
let marker: string;
let honest: Buffer;

function git(args: string[]): void {
  const r = spawnSync('git', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
}

beforeAll(async () => {
  await ready();
  sb = new Sandbox();
  await sb.init();
  expect((await sb.vaultCmd(['scope', 'add', 'grid'])).code).toBe(0);
  expect((await sb.vaultCmd(['add', 'admin-main', '--exchange', 'binance'], { input: BINANCE_JSON })).code).toBe(0);
  expect((await sb.vaultCmd(['add', 'grid-bot', '--exchange', 'okx', '--scope', 'grid'], { input: OKX_JSON })).code).toBe(0);
  identity = path.join(sb.root, 'secrets', 'host.key');
  expect(spawnSync('age-keygen', ['-o', identity]).status).toBe(0);
  const recipient = spawnSync('age-keygen', ['-y', identity], { encoding: 'utf8' }).stdout.trim();
  const parsed = decodeFile(new Uint8Array(fs.readFileSync(sb.vault)));
  const keys = unwrapWithPassphrase(parsed, fs.readFileSync(sb.passFile, 'utf8').replace(/\n$/, ''));
  const s = sessionOf(parsed, keys);
  s.header.slots.push(makeX25519Slot(s.header, keys, parseRecipient(recipient), [s.header.scopes.find((x) => x.name === 'grid')!.id]));
  fs.writeFileSync(sb.vault, Buffer.concat(sealSession(s)), { mode: 0o600 });
  marker = path.join(sb.root, 'PWNED-by-grid-host');
  honest = fs.readFileSync(sb.vault);
}, 120_000);

afterAll(() => {
  sb.assertNoCanary();
  sb.cleanup();
});

const forged = async () => Buffer.from(await forgeHook(new Uint8Array(honest), identity, 'grid-bot', `touch '${marker}'`));

it('the honest file opens for the admin and for the grid host', async () => {
  expect((await sb.vaultCmd(['show', 'grid-bot'])).code).toBe(0);
  expect((await sb.run(['list', '--json'], { env: { EXVAULT_IDENTITY_FILE: identity } })).code).toBe(0);
});

it('a forged copy put back on the admin: show and rotate refuse it (exit 5), no hook runs', async () => {
  const bad = await forged();
  fs.writeFileSync(sb.vault, bad, { mode: 0o600 });
  // The grid host itself cannot tell (it cannot check the tag): it sees the forged hook.
  const hostView = await sb.run(['show', 'grid-bot'], { env: { EXVAULT_IDENTITY_FILE: identity } });
  expect(hostView.stdout).toContain(marker);
  for (const args of [['show', 'grid-bot'], ['rotate', 'grid-bot', '--yes'], ['get', 'grid-bot', 'apiKey'], ['exec', 'grid-bot', '--', 'true']]) {
    const r = await sb.vaultCmd(args);
    expect([args[0], r.code]).toEqual([args[0], 5]);
    expect(r.stderr.split('\n')[0]).toBe(REFUSED);
    expect(r.stdout).not.toContain(marker);
  }
  expect(fs.existsSync(marker)).toBe(false);
  expect(fs.readFileSync(sb.vault).equals(bad)).toBe(true);
  fs.writeFileSync(sb.vault, honest, { mode: 0o600 });
  expect((await sb.vaultCmd(['show', 'grid-bot'])).code).toBe(0);
});

it('a forged file pushed to the remote: the admin\'s sync refuses it (exit 14) and changes nothing', async () => {
  const bare = path.join(sb.root, 'remote.git');
  git(['init', '--bare', '-q', '-b', 'main', bare]);
  expect((await sb.vaultCmd(['remote', 'add', `file://${bare}`])).code).toBe(0);
  expect((await sb.vaultCmd(['sync'])).code).toBe(0);
  const before = fs.readFileSync(sb.vault);
  // The attacker's push: the forged file committed on top of the admin's.
  const clone = path.join(sb.root, 'attacker');
  git(['clone', '-q', bare, clone]);
  fs.writeFileSync(path.join(clone, 'vault.exv'), await forged());
  git(['-C', clone, '-c', 'user.name=x', '-c', 'user.email=x@example.com', 'commit', '-qam', 'forged']);
  git(['-C', clone, 'push', '-q', 'origin', 'main']);
  const r = await sb.vaultCmd(['sync']);
  // sync opens the remote's file with every scope key before taking it: the writer tag fails.
  expect(r.code).toBe(14);
  expect(r.stderr.split('\n')[0]).toMatch(/^vault: error: the remote's vault \(commit [0-9a-f]{12}\) fails its integrity check/);
  expect(fs.readFileSync(sb.vault).equals(before)).toBe(true);
  const rot = await sb.vaultCmd(['rotate', 'grid-bot', '--yes']);
  expect(rot.stdout + rot.stderr).not.toContain(marker);
  // With no key at hand (a passphrase-only machine's cron) the pull cannot check the file: it
  // is not taken (exit 7), and the vault is unchanged.
  const blind = await sb.run(['sync']);
  expect(blind.code).toBe(7);
  expect(fs.readFileSync(sb.vault).equals(before)).toBe(true);
  expect(fs.existsSync(marker)).toBe(false);
});

it('a vault written before writer tags opens as it did, and its first write tags it (whole), the next appends a tagged update', async () => {
  const v = parseVector(fs.readFileSync(path.join(__dirname, '../vectors/v2_success.txt'), 'utf8'));
  const old = new Sandbox();
  try {
    fs.mkdirSync(path.dirname(old.vault), { recursive: true, mode: 0o700 });
    fs.writeFileSync(old.vault, v.file, { mode: 0o600 });
    const pass = old.secretFile('old-pass', `${v.fields.passphrase}\n`);
    const run = (args: string[], input?: string) => old.run(['--passphrase-file', pass, ...args], input ? { input } : {});
    expect(decodeFile(new Uint8Array(fs.readFileSync(old.vault))).header.toc.tag).toBeUndefined();
    expect(JSON.parse((await run(['list', '--json'])).stdout).map((e: { name: string }) => e.name)).toEqual(['binance-main', 'binance-subb']);
    expect((await run(['add', 'new-bot', '--exchange', 'binance'], BINANCE_JSON)).code).toBe(0);
    const first = decodeFile(new Uint8Array(fs.readFileSync(old.vault))).header;
    expect(first.toc.tag).toHaveLength(32);
    expect(first.state!.update).toBeUndefined();
    expect((await run(['add', 'next-bot', '--exchange', 'binance'], BINANCE_JSON)).code).toBe(0);
    const second = decodeFile(new Uint8Array(fs.readFileSync(old.vault))).header;
    expect(second.state!.update).toBeDefined();
    expect(second.toc.tag).toHaveLength(32);
    expect(JSON.parse((await run(['list', '--json'])).stdout).map((e: { name: string }) => e.name)).toEqual(['binance-main', 'binance-subb', 'new-bot', 'next-bot']);
  } finally {
    old.cleanup();
  }
});
