// A passphrase file others can read, or another user's, is refused as ssh refuses such a
// private key; so is an env file another user owns or may write (it picks the bot's secrets).
// A root-owned credential as systemd's LoadCredential= leaves it still works.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { CANARY } from '../helpers/canary';
import { OKX_JSON, Sandbox } from '../helpers/cli';
import { createUser, OsUser, removeUser } from '../helpers/os-user';

const CHILD = path.resolve(__dirname, '../fixtures/child.js');
const NEW_PASS = 'a different fine passphrase for the test 4a9c';

let sb: Sandbox;
let other: OsUser;

beforeAll(async () => {
  sb = new Sandbox();
  await sb.init();
  expect((await sb.vaultCmd(['add', 'okx-main', '--exchange', 'okx'], { input: OKX_JSON })).code).toBe(0);
  other = createUser();
}, 120_000);
afterAll(() => {
  sb.assertNoCanary();
  sb.cleanup();
  removeUser(other);
});

function passCopy(name: string, mode: number, owner?: { uid: number; gid: number }, content = `${CANARY.vaultPassphrase}\n`): string {
  const f = sb.secretFile(name, content);
  fs.chmodSync(f, mode);
  if (owner) fs.chownSync(f, owner.uid, owner.gid);
  return f;
}

const oneLine = (stderr: string) => stderr.trim().split('\n').filter((l) => !l.startsWith('vault: hint:'));

it.each([0o644, 0o640, 0o604, 0o620, 0o602])('refuses a passphrase file with mode %o, with a chmod 600 hint', async (mode) => {
  // Group other's, so group bits mean someone else (the tests run as root, the group-root rule aside).
  const f = passCopy(`p-${mode.toString(8)}`, mode, { uid: 0, gid: other.gid });
  for (const args of [['--passphrase-file', f, 'list'], ['list']]) {
    const r = await sb.run(args, { env: args.length === 1 ? { EXVAULT_PASSPHRASE_FILE: f } : {} });
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toEqual([expect.stringMatching(/^vault: error: passphrase file .* is readable or writable by others/)]);
    expect(r.stderr).toContain(`vault: hint: fix it with: chmod 600 ${f}`);
  }
}, 120_000);

it('refuses a passphrase file of another user, and one given as a descriptor', async () => {
  const f = passCopy('p-other', 0o600, other);
  const r = await sb.run(['--passphrase-file', f, 'list']);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/^vault: error: passphrase file .* belongs to another user/);
  const open = passCopy('p-fd', 0o644);
  // A descriptor open on such a file is checked too (bash opens it for us).
  const cli = path.resolve(__dirname, '../../dist/cli.js');
  const b = spawnSync('bash', ['-c', `exec "$0" "$1" --vault "$2" --passphrase-fd 3 list 3<"$3"`, process.execPath, cli, sb.vault, open], { env: sb.env, encoding: 'utf8' });
  expect(b.status).toBe(2);
  expect(b.stderr).toMatch(/^vault: error: passphrase file descriptor 3 is readable or writable by others/);
}, 120_000);

it('passwd refuses a new passphrase file another user owns and can read; the vault keeps its passphrase', async () => {
  const evil = path.join(sb.root, 'tmp', 'evilhome');
  fs.mkdirSync(evil, { mode: 0o755 });
  fs.chownSync(evil, other.uid, other.gid);
  const np = path.join(evil, 'np');
  fs.writeFileSync(np, `${NEW_PASS}\n`, { mode: 0o644 });
  fs.chownSync(np, other.uid, other.gid);
  const r = await sb.vaultCmd(['passwd', '--new-passphrase-file', np]);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/^vault: error: passphrase file .*np belongs to another user/);
  fs.chownSync(np, 0, 0);
  const r2 = await sb.vaultCmd(['passwd', '--new-passphrase-file', np]);
  expect(r2.code).toBe(2);
  expect(r2.stderr).toMatch(/is readable or writable by others \(mode 0644\)/);
  expect((await sb.vaultCmd(['list'])).code).toBe(0);
  const withNew = passCopy('p-new', 0o600, undefined, `${NEW_PASS}\n`);
  expect((await sb.run(['--passphrase-file', withNew, 'list'])).code).toBe(3);
}, 120_000);

it('accepts a root-owned credential as systemd LoadCredential= leaves it (0400, or 0440 with group root)', async () => {
  // The tests run as root, so "root-owned" is also "ours"; the group-root rule is what is checked.
  for (const mode of [0o400, 0o440, 0o600]) {
    const f = passCopy(`cred-${mode.toString(8)}`, mode, { uid: 0, gid: 0 });
    const r = await sb.run(['--passphrase-file', f, 'list']);
    expect({ mode, code: r.code, error: /error/.test(r.stderr) }).toEqual({ mode, code: 0, error: false });
  }
  const grp = passCopy('cred-grp', 0o440, { uid: 0, gid: other.gid });
  expect((await sb.run(['--passphrase-file', grp, 'list'])).code).toBe(2);
}, 120_000);

it('exec refuses an env file another user owns or may write', async () => {
  const marker = path.join(sb.root, 'tmp', 'must-not-exist');
  const line = 'OKX_K=vault://okx-main/apiKey\n';
  const theirs = sb.secretFile('theirs.env', line);
  fs.chownSync(theirs, other.uid, other.gid);
  const r = await sb.vaultCmd(['exec', '--env-from', theirs, '--', process.execPath, CHILD, 'env', marker]);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/^vault: error: env file .* belongs to another user/);
  const writable = sb.secretFile('writable.env', line);
  fs.chmodSync(writable, 0o666);
  const w = await sb.vaultCmd(['exec', '--env-from', writable, '--', process.execPath, CHILD, 'env', marker]);
  expect(w.code).toBe(2);
  expect(w.stderr).toMatch(/^vault: error: env file .* is writable by others \(mode 0666\)/);
  expect(w.stderr).toContain(`vault: hint: fix it with: chmod go-w ${writable}`);
  expect(fs.existsSync(marker)).toBe(false);
  // Readable by others is fine: it holds references, not secrets.
  const readable = sb.secretFile('readable.env', line);
  fs.chmodSync(readable, 0o644);
  const ok = await sb.vaultCmd(['exec', '--env-from', readable, '--', process.execPath, CHILD, 'env', marker]);
  expect(ok.code).toBe(0);
  expect(JSON.parse(fs.readFileSync(marker, 'utf8')).OKX_K).toBe(CANARY.apiKey);
  fs.rmSync(marker);
}, 120_000);
