// Issue 16, revocation, through the built CLI: `vault recipient rm` with two HOMEs (admin and
// a host granted scope grid). The host's vault is a copy of the admin's, as a sync or scp
// would leave it. After the revocation the host's identity opens nothing the admin writes,
// while the copy it already had keeps opening (said plainly before the re-key lands); every
// exchange key it could read is exposed: check exits 11 naming it, rotate --due rotates it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BINANCE_JSON, Sandbox } from '../helpers/cli';
import { CANARY } from '../helpers/canary';

let admin: Sandbox;
let host: Sandbox;
let keep: Sandbox;
let hostVault: string;
let oldCopy: string;
const vaultOf = (sb: Sandbox) => path.join(sb.root, 'data', 'exvault', 'vault.exv');

const pull = () => {
  fs.mkdirSync(path.dirname(hostVault), { recursive: true, mode: 0o700 });
  fs.copyFileSync(admin.vault, hostVault);
};

beforeAll(async () => {
  admin = new Sandbox();
  host = new Sandbox();
  keep = new Sandbox();
  // The hosts are other machines: the admin's keychain (one D-Bus session for the whole test
  // run) is not theirs, so they get none.
  delete host.env.DBUS_SESSION_BUS_ADDRESS;
  delete keep.env.DBUS_SESSION_BUS_ADDRESS;
  await admin.init();
  // The admin's own keychain slot must come through the re-key too.
  expect((await admin.vaultCmd(['keychain', 'enable'])).code).toBe(0);
  expect((await admin.vaultCmd(['scope', 'add', 'grid'])).code).toBe(0);
  expect((await admin.vaultCmd(['add', 'admin-main', '--exchange', 'other'], { input: BINANCE_JSON })).code).toBe(0);
  expect((await admin.vaultCmd(['add', 'grid-bot', '--exchange', 'other', '--scope', 'grid'], { input: BINANCE_JSON })).code).toBe(0);
  expect((await admin.vaultCmd(['add', 'grid-two', '--exchange', 'other', '--scope', 'grid'], { input: BINANCE_JSON })).code).toBe(0);
  const rcpt = (await host.run(['identity', 'init', '--file'])).stdout.trim();
  expect(rcpt).toMatch(/^age1/);
  expect((await admin.vaultCmd(['recipient', 'add', 'vps-grid', rcpt, '--scope', 'grid'])).code).toBe(0);
  // A second host granted grid, which stays: its slot is wrapped again with grid's new key.
  const keepRcpt = (await keep.run(['identity', 'init', '--file'])).stdout.trim();
  expect((await admin.vaultCmd(['recipient', 'add', 'vps-keep', keepRcpt, '--scope', 'grid'])).code).toBe(0);
  fs.mkdirSync(path.dirname(vaultOf(keep)), { recursive: true, mode: 0o700 });
  fs.copyFileSync(admin.vault, vaultOf(keep));
  expect((await keep.run(['get', 'grid-bot', 'apiKey'], { reveals: true })).code).toBe(0);
  hostVault = path.join(host.root, 'data', 'exvault', 'vault.exv');
  pull();
  oldCopy = path.join(host.root, 'data', 'exvault', 'old.exv');
  fs.copyFileSync(hostVault, oldCopy);
}, 120_000);

afterAll(() => {
  for (const sb of [admin, host, keep]) {
    sb.assertNoCanary();
    sb.cleanup();
  }
});

describe('vault recipient rm', () => {
  it('before: the host reads its scope with its identity alone', async () => {
    const got = await host.run(['get', 'grid-bot', 'apiKey'], { reveals: true });
    expect(got.code).toBe(0);
    expect(got.stdout.trim()).toBe(CANARY.apiKey);
  });

  it('without --yes and no terminal: the warning, then exit 7, the vault unchanged', async () => {
    const before = fs.readFileSync(admin.vault);
    const r = await admin.vaultCmd(['recipient', 'rm', 'vps-grid']);
    expect(r.code).toBe(7);
    expect(r.stderr).toMatch(/vps-grid's host still has everything it already pulled/);
    expect(r.stderr).toMatch(/^vault: error: removing vps-grid needs confirmation$/m);
    expect(fs.readFileSync(admin.vault).equals(before)).toBe(true);
  });

  it('an unknown name: exit 4, unchanged', async () => {
    const before = fs.readFileSync(admin.vault);
    const r = await admin.vaultCmd(['recipient', 'rm', 'nobody', '--yes']);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/no recipient named "nobody"/);
    expect(fs.readFileSync(admin.vault).equals(before)).toBe(true);
  });

  it('with --yes and no terminal: says what the host keeps, re-keys grid, names the exposed keys', async () => {
    const r = await admin.vaultCmd(['recipient', 'rm', 'vps-grid', '--yes']);
    expect(r.code).toBe(0);
    const warning = r.stderr.indexOf('still has everything it already pulled');
    const doneAt = r.stderr.indexOf('removed recipient vps-grid');
    expect(warning).toBeGreaterThan(-1);
    expect(doneAt).toBeGreaterThan(warning);
    expect(r.stderr).toMatch(/grid-bot, grid-two\) must be rotated on the exchange/);
    expect(r.stderr).toMatch(/re-keyed grid; exposed until rotated: grid-bot, grid-two/);
    expect(r.stderr).toMatch(/the audit chains of vps-keep were keyed from a re-keyed scope/);
    // rt22 #12: the file as it was before stays beside it, and still opens with the identity.
    expect(r.stderr).toMatch(/vault\.exv\.bak \(the vault as it was before this change\) still opens with vps-grid's identity/);
    expect(r.stderr).toContain(`rm -- '${admin.vault}.bak'`);
    expect(r.stderr).toMatch(/vault sync ships only the vault file/);
    expect(fs.existsSync(`${admin.vault}.bak`)).toBe(true);
    const list = await admin.vaultCmd(['recipient', 'list', '--json']);
    expect(JSON.parse(list.stdout).map((x: { name: string }) => x.name)).toEqual(['vps-keep']);
  });

  it('the revoked host opens nothing written after the revocation, even with the file in hand', async () => {
    expect((await admin.vaultCmd(['add', 'grid-new', '--exchange', 'other', '--scope', 'grid'], { input: BINANCE_JSON })).code).toBe(0);
    pull();
    for (const name of ['grid-new', 'grid-bot']) {
      const got = await host.run(['get', name, 'apiKey'], { reveals: true });
      expect([name, got.code]).not.toEqual([name, 0]);
      expect(got.stdout).not.toContain(CANARY.apiKey);
      // rt22 #8: said as it is, not "no passphrase was given".
      expect(got.code).toBe(3);
      expect(got.stderr).toMatch(/this host's identity age1[0-9a-z]+ was found, but no slot of this vault names it/);
      expect(got.stderr.trim().split('\n')[0]).toMatch(/^vault: error: /);
    }
  });

  it('honest: the copy it pulled before still opens with its identity', async () => {
    const got = await host.run(['--vault', oldCopy, 'get', 'grid-bot', 'apiKey'], { reveals: true });
    expect(got.code).toBe(0);
    expect(got.stdout.trim()).toBe(CANARY.apiKey);
  });

  it('the admin\'s keychain slot was wrapped again: no passphrase needed', async () => {
    const got = await admin.run(['get', 'grid-new', 'apiKey'], { reveals: true });
    expect(got.code).toBe(0);
    expect(got.stdout.trim()).toBe(CANARY.apiKey);
  });

  it('the remaining host reads grid with the new key; its audit chain restarts with new-chain', async () => {
    fs.copyFileSync(admin.vault, vaultOf(keep));
    const got = await keep.run(['get', 'grid-new', 'apiKey'], { reveals: true });
    expect(got.code).toBe(0);
    expect(got.stdout.trim()).toBe(CANARY.apiKey);
    // Its chain was keyed from grid's old key: said, not hidden, until it starts a new one.
    expect((await keep.run(['audit', 'verify'])).code).toBe(5);
    const nc = await keep.run(['audit', 'new-chain']);
    expect(nc.code).toBe(0);
    expect((await keep.run(['get', 'grid-new', 'apiKey'], { reveals: true })).code).toBe(0);
    const v = await keep.run(['audit', 'verify']);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/audit log intact: 2 records/);
  });

  it('the admin still reads everything with the passphrase', async () => {
    for (const name of ['admin-main', 'grid-bot', 'grid-new']) {
      const got = await admin.vaultCmd(['get', name, 'apiKey'], { reveals: true });
      expect([name, got.code, got.stdout.trim()]).toEqual([name, 0, CANARY.apiKey]);
    }
  });

  it('show names the exposure (text and JSON)', async () => {
    const text = await admin.vaultCmd(['show', 'grid-two']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/exposed\s+since \d{4}-\d{2}-\d{2} to removed recipient vps-grid: rotate it on the exchange/);
    const j = JSON.parse((await admin.vaultCmd(['show', 'grid-two', '--json'])).stdout);
    expect(j.exposed.by).toEqual(['vps-grid']);
    expect(JSON.parse((await admin.vaultCmd(['show', 'admin-main', '--json'])).stdout).exposed).toBeUndefined();
  });

  it('check exits 11 naming the exposed keys; rotate --due rotates the one with a hook, the mark clears', async () => {
    const check = await admin.vaultCmd(['check', '--json']);
    expect(check.code).toBe(11);
    const rows = JSON.parse(check.stdout) as { name: string; reason: string }[];
    expect(rows.map((x) => x.name)).toEqual(['grid-bot', 'grid-two']);
    expect(rows[0]!.reason).toMatch(/exposed: readable by removed recipient vps-grid/);
    const hook = `cat >/dev/null; printf '{"apiKey":"rotated-key-0001","apiSecret":"rotated-secret-0001"}'`;
    expect((await admin.vaultCmd(['edit', 'grid-bot', '--rotate-hook', hook])).code).toBe(0);
    const due = await admin.vaultCmd(['rotate', '--due', '--yes']);
    // grid-two has no hook: still exposed, so the status stays 11 and it is named for a person.
    expect(due.code).toBe(11);
    expect(due.stdout + due.stderr).toMatch(/grid-bot/);
    expect(due.stdout + due.stderr).toMatch(/grid-two/);
    const after = JSON.parse((await admin.vaultCmd(['check', '--json'])).stdout) as { name: string }[];
    expect(after.map((x) => x.name)).toEqual(['grid-two']);
    const got = await admin.vaultCmd(['get', 'grid-bot', 'apiKey'], { reveals: true });
    expect(got.stdout.trim()).toBe('rotated-key-0001');
  });

  it('rt22 #2: a rollback to the exposed key asks first, and the key stays exposed', async () => {
    const before = fs.readFileSync(admin.vault);
    const asked = await admin.vaultCmd(['rollback', 'grid-bot']);
    expect(asked.code).toBe(7);
    expect(asked.stderr).toMatch(/version 1 of grid-bot was readable by removed recipient vps-grid; it stays marked exposed/);
    expect(asked.stderr).toMatch(/needs confirmation/);
    expect(fs.readFileSync(admin.vault).equals(before)).toBe(true);
    const r = await admin.vaultCmd(['rollback', 'grid-bot', '--yes']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/version 1 is active again; it is exposed to removed recipient vps-grid/);
    expect((await admin.vaultCmd(['get', 'grid-bot', 'apiKey'], { reveals: true })).stdout.trim()).toBe(CANARY.apiKey);
    const check = await admin.vaultCmd(['check', '--json']);
    expect(check.code).toBe(11);
    expect((JSON.parse(check.stdout) as { name: string }[]).map((x) => x.name)).toEqual(['grid-bot', 'grid-two']);
    const hist = JSON.parse((await admin.vaultCmd(['history', 'grid-bot', '--json'])).stdout) as { version: number; exposed: string[] | null }[];
    expect(hist.map((h) => [h.version, h.exposed])).toEqual([[1, ['vps-grid']], [2, null]]);
    // Forward to the clean key: nothing asked, the mark gone.
    expect((await admin.vaultCmd(['rollback', 'grid-bot', '--to', '2'])).code).toBe(0);
    expect((JSON.parse((await admin.vaultCmd(['check', '--json'])).stdout) as { name: string }[]).map((x) => x.name)).toEqual(['grid-two']);
  });
});
