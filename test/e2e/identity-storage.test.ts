// Where a host's identity is kept (issue 16): the real gnome-keyring (scripts/with-keyring.sh)
// by default, a file when no keychain answers, and a systemd credential folder as systemd
// makes one (CREDENTIALS_DIRECTORY holding a 0400 file). `identity show` and the unlock
// ladder read the same places; EXVAULT_IDENTITY_FILE wins alone. Only this suite writes the
// keychain's identity item (one per session), and it removes it at the end.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BINANCE_JSON, Sandbox } from '../helpers/cli';
import { CANARY } from '../helpers/canary';

let admin: Sandbox;
let host: Sandbox;
let hostVault: string;

const clearItem = () => spawnSync('secret-tool', ['clear', 'service', 'exvault', 'username', 'identity']);
const noBus = { DBUS_SESSION_BUS_ADDRESS: undefined };

beforeAll(async () => {
  expect(process.env.DBUS_SESSION_BUS_ADDRESS).toBeTruthy();
  clearItem();
  admin = new Sandbox();
  host = new Sandbox();
  await admin.init();
  expect((await admin.vaultCmd(['scope', 'add', 'grid'])).code).toBe(0);
  expect((await admin.vaultCmd(['add', 'grid-bot', '--exchange', 'other', '--scope', 'grid'], { input: BINANCE_JSON })).code).toBe(0);
  hostVault = path.join(host.root, 'data', 'exvault', 'vault.exv');
}, 120_000);

afterAll(() => {
  clearItem();
  admin.assertNoCanary();
  host.assertNoCanary();
  admin.cleanup();
  host.cleanup();
});

const pull = () => {
  fs.mkdirSync(path.dirname(hostVault), { recursive: true, mode: 0o700 });
  fs.copyFileSync(admin.vault, hostVault);
};

describe('identity in the OS keychain (default where one answers)', () => {
  let recipient: string;

  it('init keeps it in the keychain, writes no file, and show prints the same recipient', async () => {
    const init = await host.run(['identity', 'init']);
    expect(init.code).toBe(0);
    recipient = init.stdout.trim();
    expect(recipient).toMatch(/^age1[0-9a-z]{58}$/);
    expect(init.stderr).toMatch(/identity kept in the OS keychain/);
    expect(fs.existsSync(path.join(host.root, 'config', 'exvault', 'identity.txt'))).toBe(false);
    // The item is there, in age's text form (what secret-tool reads back).
    const item = spawnSync('secret-tool', ['lookup', 'service', 'exvault', 'username', 'identity'], { encoding: 'utf8' });
    expect(item.stdout).toMatch(/^AGE-SECRET-KEY-1[0-9A-Z]{58}$/);
    const show = await host.run(['identity', 'show']);
    expect(show.code).toBe(0);
    expect(show.stdout.trim()).toBe(recipient);
    expect(show.stderr).toMatch(/from the OS keychain/);
    expect(init.stdout + init.stderr + show.stdout + show.stderr).not.toMatch(/AGE-SECRET-KEY/);
  });

  it('a second init is refused (exit 2) and the item is unchanged', async () => {
    const before = spawnSync('secret-tool', ['lookup', 'service', 'exvault', 'username', 'identity'], { encoding: 'utf8' }).stdout;
    const again = await host.run(['identity', 'init']);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already kept in the OS keychain/);
    expect(spawnSync('secret-tool', ['lookup', 'service', 'exvault', 'username', 'identity'], { encoding: 'utf8' }).stdout).toBe(before);
  });

  it('the unlock ladder opens a granted scope with the keychain identity alone', async () => {
    expect((await admin.vaultCmd(['recipient', 'add', 'laptop-kc', recipient, '--scope', 'grid'])).code).toBe(0);
    pull();
    const got = await host.run(['get', 'grid-bot', 'apiKey'], { reveals: true });
    expect(got.code).toBe(0);
    expect(got.stdout.trim()).toBe(CANARY.apiKey);
  });

  it('--keychain without a D-Bus session: exit 6, nothing written', async () => {
    const r = await host.run(['identity', 'init', '--keychain'], { env: noBus });
    expect(r.code).toBe(6);
    expect(fs.existsSync(path.join(host.root, 'config', 'exvault', 'identity.txt'))).toBe(false);
  });
});

describe('identity in a file (no keychain) and as a systemd credential', () => {
  let server: Sandbox;
  let serverVault: string;
  let fileRecipient: string;

  beforeAll(() => {
    server = new Sandbox();
    serverVault = path.join(server.root, 'data', 'exvault', 'vault.exv');
  });
  afterAll(() => {
    server.assertNoCanary();
    server.cleanup();
  });

  it('with no keychain, init falls back to the file and says so', async () => {
    const r = await server.run(['identity', 'init'], { env: noBus });
    expect(r.code).toBe(0);
    fileRecipient = r.stdout.trim();
    expect(r.stderr).toMatch(/no OS keychain answers here, so the identity is kept in a file/);
    const file = path.join(server.root, 'config', 'exvault', 'identity.txt');
    expect(spawnSync('age-keygen', ['-y', file], { encoding: 'utf8' }).stdout.trim()).toBe(fileRecipient);
  });

  it('show honours EXVAULT_IDENTITY_FILE over the default file', async () => {
    const other = path.join(server.root, 'secrets', 'other.key');
    expect(spawnSync('age-keygen', ['-o', other]).status).toBe(0);
    const want = spawnSync('age-keygen', ['-y', other], { encoding: 'utf8' }).stdout.trim();
    const r = await server.run(['identity', 'show'], { env: { ...noBus, EXVAULT_IDENTITY_FILE: other } });
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(want);
    expect(want).not.toBe(fileRecipient);
    const missing = await server.run(['identity', 'show'], { env: { ...noBus, EXVAULT_IDENTITY_FILE: path.join(server.root, 'nope.key') } });
    expect(missing.code).toBe(2);
    expect(missing.stdout).toBe('');
  });

  it('a systemd credential folder (0400 file) opens the granted scope with no file, no keychain', async () => {
    // What systemd gives a unit with LoadCredentialEncrypted=exvault-identity:...: a folder
    // named by CREDENTIALS_DIRECTORY holding a read-only file of that name.
    const keyFile = path.join(server.root, 'secrets', 'cred-src.key');
    expect(spawnSync('age-keygen', ['-o', keyFile]).status).toBe(0);
    const credRecipient = spawnSync('age-keygen', ['-y', keyFile], { encoding: 'utf8' }).stdout.trim();
    const credDir = path.join(server.root, 'secrets', 'creds');
    fs.mkdirSync(credDir, { mode: 0o700 });
    fs.copyFileSync(keyFile, path.join(credDir, 'exvault-identity'));
    fs.chmodSync(path.join(credDir, 'exvault-identity'), 0o400);
    fs.rmSync(path.join(server.root, 'config', 'exvault', 'identity.txt'));
    const env = { ...noBus, CREDENTIALS_DIRECTORY: credDir };
    const show = await server.run(['identity', 'show'], { env });
    expect(show.code).toBe(0);
    expect(show.stdout.trim()).toBe(credRecipient);
    expect(show.stderr).toMatch(/from systemd credential/);
    expect((await admin.vaultCmd(['recipient', 'add', 'vps-cred', credRecipient, '--scope', 'grid'])).code).toBe(0);
    fs.mkdirSync(path.dirname(serverVault), { recursive: true, mode: 0o700 });
    fs.copyFileSync(admin.vault, serverVault);
    const got = await server.run(['get', 'grid-bot', 'apiKey'], { env, reveals: true });
    expect(got.code).toBe(0);
    expect(got.stdout.trim()).toBe(CANARY.apiKey);
    // Without the credential folder this host has no identity: nothing opens.
    const without = await server.run(['get', 'grid-bot', 'apiKey'], { env: noBus });
    expect(without.code).not.toBe(0);
    expect(without.stdout).toBe('');
    // A credential file others can read is refused, as a passphrase file is.
    fs.chmodSync(path.join(credDir, 'exvault-identity'), 0o644);
    const loose = await server.run(['identity', 'show'], { env });
    expect(loose.code).not.toBe(0);
    expect(loose.stdout).toBe('');
  });

  it('rt22 #6: a FIFO as the identity file is refused at once, never waited on', async () => {
    const fifo = path.join(server.root, 'secrets', 'id.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const r = await server.run(['get', 'grid-bot', 'apiKey'], { env: { ...noBus, EXVAULT_IDENTITY_FILE: fifo } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/the identity file .*id\.fifo is not a regular file; refusing to use it/);
    expect(r.stdout).toBe('');
    const dflt = path.join(server.root, 'config', 'exvault', 'identity.txt');
    expect(spawnSync('mkfifo', [dflt]).status).toBe(0);
    const show = await server.run(['identity', 'show'], { env: noBus });
    expect(show.code).toBe(2);
    expect(show.stderr).toMatch(/identity\.txt is not a regular file/);
    fs.rmSync(dflt);
    fs.rmSync(fifo);
  });

  it('rt22 #8 #11: CREDENTIALS_DIRECTORY empty, relative, shared, another user\'s, or a linked credential: refused in one line', async () => {
    const keyFile = path.join(server.root, 'secrets', 'cred-src.key');
    const credDir = path.join(server.root, 'secrets', 'creds2');
    fs.mkdirSync(credDir, { mode: 0o700 });
    const cred = path.join(credDir, 'exvault-identity');
    fs.copyFileSync(keyFile, cred);
    fs.chmodSync(cred, 0o400);
    expect((await server.run(['identity', 'show'], { env: { ...noBus, CREDENTIALS_DIRECTORY: credDir } })).code).toBe(0);
    const refused = async (env: Record<string, string | undefined>, why: RegExp) => {
      const r = await server.run(['get', 'grid-bot', 'apiKey'], { env: { ...noBus, ...env } });
      expect([r.code, r.stdout]).toEqual([2, '']);
      expect(r.stderr).toMatch(why);
      expect(r.stderr).not.toMatch(/no passphrase was given/);
    };
    await refused({ CREDENTIALS_DIRECTORY: '' }, /CREDENTIALS_DIRECTORY is set but empty/);
    await refused({ CREDENTIALS_DIRECTORY: 'secrets/creds2' }, /CREDENTIALS_DIRECTORY is "secrets\/creds2", not an absolute path/);
    fs.chmodSync(credDir, 0o1777);
    await refused({ CREDENTIALS_DIRECTORY: credDir }, /the systemd credential folder is refused: .*creds2 can be written by every user/);
    fs.chmodSync(credDir, 0o700);
    fs.chownSync(credDir, 4242, 4242);
    await refused({ CREDENTIALS_DIRECTORY: credDir }, /the systemd credential folder is refused: .*creds2 belongs to another user \(uid 4242\)/);
    fs.chownSync(credDir, process.getuid!(), process.getgid!());
    fs.renameSync(cred, `${cred}.real`);
    fs.symlinkSync(`${cred}.real`, cred);
    await refused({ CREDENTIALS_DIRECTORY: credDir }, /the systemd credential .*exvault-identity is a symbolic link; refusing to follow it/);
    fs.rmSync(credDir, { recursive: true });
  });

  it('show with no identity anywhere: exit 4 naming identity init', async () => {
    const r = await server.run(['identity', 'show'], { env: noBus });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/this host has no identity yet/);
    expect(r.stderr).toMatch(/vault identity init/);
  });
});
