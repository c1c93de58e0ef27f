// Issue 16, first part, through the built CLI: `vault identity init/show` make and print a
// host's age identity (checked against the real age-keygen), and `vault recipient add/list`
// grant a recipient some scopes. A second sandbox HOME plays another host: with only the
// default identity file (no EXVAULT_IDENTITY_FILE, no passphrase) it reads its scope's entry
// and not the default scope's. Bad input is refused with the vault file unchanged.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BINANCE_JSON, OKX_JSON, Sandbox } from '../helpers/cli';
import { CANARY } from '../helpers/canary';

let admin: Sandbox;
let host: Sandbox;
let hostVault: string;

beforeAll(async () => {
  admin = new Sandbox();
  host = new Sandbox();
  // A host without a keychain (its identity is a file): the test keyring is shared by every suite.
  delete host.env.DBUS_SESSION_BUS_ADDRESS;
  await admin.init();
  expect((await admin.vaultCmd(['scope', 'add', 'grid'])).code).toBe(0);
  expect((await admin.vaultCmd(['add', 'admin-main', '--exchange', 'binance'], { input: BINANCE_JSON })).code).toBe(0);
  expect((await admin.vaultCmd(['add', 'grid-bot', '--exchange', 'okx', '--scope', 'grid'], { input: OKX_JSON })).code).toBe(0);
  hostVault = path.join(host.root, 'data', 'exvault', 'vault.exv');
}, 120_000);

afterAll(() => {
  admin.assertNoCanary();
  host.assertNoCanary();
  admin.cleanup();
  host.cleanup();
});

const identityFile = (sb: Sandbox) => path.join(sb.root, 'config', 'exvault', 'identity.txt');

describe('vault identity', () => {
  it('init --file prints the recipient that show and age-keygen -y both print; the file is 0600 in a 0700 folder', async () => {
    const init = await host.run(['identity', 'init', '--file']);
    expect(init.code).toBe(0);
    const recipient = init.stdout.trim();
    expect(recipient).toMatch(/^age1[0-9a-z]{58}$/);
    const show = await host.run(['identity', 'show']);
    expect(show.code).toBe(0);
    expect(show.stdout.trim()).toBe(recipient);
    const file = identityFile(host);
    expect(spawnSync('age-keygen', ['-y', file], { encoding: 'utf8' }).stdout.trim()).toBe(recipient);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    // The secret key never reaches the output.
    expect(init.stdout + init.stderr + show.stdout + show.stderr).not.toMatch(/AGE-SECRET-KEY/);
  });

  it('init --file refuses to replace an existing identity: exit 2, the file unchanged', async () => {
    const before = fs.readFileSync(identityFile(host));
    const again = await host.run(['identity', 'init', '--file']);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already exists/);
    expect(fs.readFileSync(identityFile(host)).equals(before)).toBe(true);
    expect(fs.readdirSync(path.dirname(identityFile(host)))).toEqual(['identity.txt']);
  });

  it('init --file writes where it is told', async () => {
    const file = path.join(host.root, 'secrets', 'other.key');
    const r = await host.run(['identity', 'init', '--file', file]);
    expect(r.code).toBe(0);
    expect(spawnSync('age-keygen', ['-y', file], { encoding: 'utf8' }).stdout.trim()).toBe(r.stdout.trim());
  });
});

describe('vault recipient', () => {
  let ageKey: string;
  let ageRecipient: string;

  beforeAll(() => {
    ageKey = path.join(admin.root, 'secrets', 'age.key');
    expect(spawnSync('age-keygen', ['-o', ageKey]).status).toBe(0);
    ageRecipient = spawnSync('age-keygen', ['-y', ageKey], { encoding: 'utf8' }).stdout.trim();
  });

  it('adds a recipient made by age-keygen, granted scope grid, and lists it', async () => {
    const add = await admin.vaultCmd(['recipient', 'add', 'vps-age', ageRecipient, '--scope', 'grid']);
    expect(add.code).toBe(0);
    // Granted some scopes: no warning about holding every key.
    expect(add.stderr).not.toMatch(/granted every scope/);
    const list = await admin.vaultCmd(['recipient', 'list', '--json']);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual([{ schema: 1, name: 'vps-age', recipient: ageRecipient, scopes: ['grid'] }]);
    // The age-keygen identity opens its scope through EXVAULT_IDENTITY_FILE.
    const got = await admin.run(['get', 'grid-bot', 'apiKey'], { env: { EXVAULT_IDENTITY_FILE: ageKey }, reveals: true });
    expect(got.code).toBe(0);
    expect(got.stdout.trim()).toBe(CANARY.apiKey);
  });

  it("another host, with only its default identity file, reads its scope and not the default scope's", async () => {
    const hostRecipient = (await host.run(['identity', 'show'])).stdout.trim();
    expect((await admin.vaultCmd(['recipient', 'add', 'vps-grid', hostRecipient, '--scope', 'grid'])).code).toBe(0);
    fs.mkdirSync(path.dirname(hostVault), { recursive: true, mode: 0o700 });
    fs.copyFileSync(admin.vault, hostVault);
    const got = await host.run(['get', 'grid-bot', 'apiKey'], { reveals: true });
    expect(got.code).toBe(0);
    expect(got.stdout.trim()).toBe(CANARY.apiKey);
    const list = await host.run(['list', '--json']);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout).map((e: { name: string }) => e.name)).toEqual(['grid-bot']);
    const other = await host.run(['get', 'admin-main', 'apiKey']);
    expect(other.code).toBe(4);
    expect(other.stdout).toBe('');
    // rt22 #8: a backup from a host granted some scopes is checked as far as its keys go.
    const bak = path.join(host.root, 'host-backup.exv');
    const backup = await host.run(['backup', bak]);
    expect(backup.code).toBe(0);
    expect(backup.stderr).not.toMatch(/wrong passphrase/);
    expect(backup.stderr).toMatch(/the backup was checked for 1 of 2 scopes \(not default\)/);
    expect(fs.readFileSync(bak).equals(fs.readFileSync(hostVault))).toBe(true);
  });

  it('lists both recipients, by name, with their scopes', async () => {
    const list = await admin.vaultCmd(['recipient', 'list']);
    expect(list.code).toBe(0);
    const rows = list.stdout.trim().split('\n').map((l) => l.split('\t'));
    expect(rows.map((r) => [r[0], r[2]])).toEqual([
      ['vps-age', 'grid'],
      ['vps-grid', 'grid'],
    ]);
  });

  it('an export leaves the recipient names out (they name this file\'s slots, which it does not carry)', async () => {
    expect((await admin.vaultCmd(['config', 'keep-versions', '5'])).code).toBe(0);
    const r = await admin.vaultCmd(['export', '--all', '--yes'], { reveals: true });
    expect(r.code).toBe(0);
    const exported = JSON.parse(r.stdout);
    expect(exported.config).toEqual({ keepVersions: 5 });
  });

  it('refuses a malformed recipient, an unknown scope, a duplicate name or recipient, leaving the vault unchanged', async () => {
    const before = fs.readFileSync(admin.vault);
    const fresh = spawnSync('age-keygen', [], { encoding: 'utf8' }).stdout.match(/public key: (age1\S+)/)![1]!;
    const cases: [string[], number, RegExp][] = [
      [['recipient', 'add', 'bad', 'age1notarecipient', '--scope', 'grid'], 2, /not a valid age X25519 recipient/],
      [['recipient', 'add', 'bad', `${fresh}\nage1x`, '--scope', 'grid'], 2, /one line/],
      [['recipient', 'add', 'bad', fresh, '--scope', 'nope'], 4, /no scope named "nope"/],
      [['recipient', 'add', 'vps-age', fresh, '--scope', 'grid'], 2, /a recipient named "vps-age" already exists/],
      [['recipient', 'add', 'again', ageRecipient, '--scope', 'grid'], 2, /already has a slot/],
      // rt22 #9: control characters in a name never reach the terminal.
      [['recipient', 'add', 'a\nb\u001b[31m', fresh, '--scope', 'grid'], 2, /"a\?b\?\[31m" is not a valid recipient name/],
      [['recipient', 'add', 'ok-name', fresh, '--scope', 'x\u001b[2Jy'], 4, /no scope named "x\?\[2Jy"/],
      [['recipient', 'rm', 'gone\u001b]0;t\u0007', '--yes'], 4, /no recipient named "gone\?\]0;t\?"/],
      [['scope', 'add', 'S\r\u001b'], 2, /"S\?\?" is not a valid scope name/],
    ];
    for (const [args, code, message] of cases) {
      const r = await admin.vaultCmd(args);
      expect([args[2], r.code]).toEqual([args[2], code]);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')[0]).toMatch(/^vault: error: /);
      expect(r.stderr).not.toMatch(/[\u0000-\u0008\u000b-\u001f]/);
    }
    expect(fs.readFileSync(admin.vault).equals(before)).toBe(true);
  });

  it('says plainly when a recipient is granted every scope (it can then change the vault)', async () => {
    const scopes = JSON.parse((await admin.vaultCmd(['scope', 'list', '--json'])).stdout).map((x: { name: string }) => x.name);
    const rcpt = spawnSync('age-keygen', [], { encoding: 'utf8' }).stdout.match(/public key: (age1\S+)/)![1]!;
    const r = await admin.vaultCmd(['recipient', 'add', 'all-in', rcpt, ...scopes.flatMap((n: string) => ['--scope', n])]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^vault: warning: all-in is granted every scope: with its identity alone it can read and change everything in the vault/m);
  });

  it('holds more recipients than the old limit of 8 slots (a fleet needs 100 and more; 255 is the bound, tested in unit/format/limits)', async () => {
    // passphrase + 3 recipients now; six more make ten slots, each listed.
    for (let i = 0; i < 6; i++) {
      const rcpt = spawnSync('age-keygen', [], { encoding: 'utf8' }).stdout.match(/public key: (age1\S+)/)![1]!;
      const r = await admin.vaultCmd(['recipient', 'add', `fill-${i}`, rcpt, '--scope', 'default']);
      expect(r.code).toBe(0);
    }
    const list = JSON.parse((await admin.vaultCmd(['recipient', 'list', '--json'])).stdout);
    expect(list).toHaveLength(9);
    expect(list.every((r: { scopes: string[] }) => r.scopes.length > 0)).toBe(true);
  });
});

describe('a FIFO as the passphrase file (rt22 #6: kept working on purpose)', () => {
  it('EXVAULT_PASSPHRASE_FILE naming a FIFO reads what a writer puts in it', async () => {
    const fifo = path.join(admin.root, 'secrets', 'pass.fifo');
    expect(spawnSync('mkfifo', ['-m', '600', fifo]).status).toBe(0);
    // The writer copies the passphrase file into the FIFO: the passphrase is never on a command line.
    const writer = spawn('sh', ['-c', 'cat "$1" > "$2"', 'sh', admin.passFile, fifo], { stdio: 'ignore' });
    const r = await admin.run(['list', '--json'], { env: { EXVAULT_PASSPHRASE_FILE: fifo } });
    // Had the command not read it, the writer would wait forever.
    const wrote = writer.exitCode !== null ? writer.exitCode : await new Promise((resolve) => {
      const t = setTimeout(() => (writer.kill(), resolve('never read')), 5000);
      writer.once('exit', (code) => (clearTimeout(t), resolve(code)));
    });
    expect([r.code, r.stderr, wrote]).toEqual([0, '', 0]);
    expect(JSON.parse(r.stdout).map((e: { name: string }) => e.name)).toContain('grid-bot');
    fs.rmSync(fifo);
  });
});
