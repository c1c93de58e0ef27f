// Hostile neighbours, storage side: a second OS user (made by the test) owns or can write the
// vault's folder or a folder above it, plants a symbolic link at the audit log, or plants a
// lock naming pid 1. The vault (run as root here, the victim) refuses each, and follows no link.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Sandbox } from '../helpers/cli';
import { BINANCE_JSON } from '../helpers/cli';
import { createUser, OsUser, removeUser, RunResult } from '../helpers/os-user';

let sb: Sandbox;
let other: OsUser;
let root: string;
beforeAll(async () => {
  sb = new Sandbox();
  await sb.init();
  expect((await sb.vaultCmd(['add', 'e1', '--exchange', 'binance'], { input: BINANCE_JSON })).code).toBe(0);
  other = createUser();
  // Under /tmp (root's, sticky): the other user can reach the folders the tests open to it.
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'exvault-hostile-'));
  fs.chmodSync(root, 0o755);
}, 120_000);
afterAll(() => {
  removeUser(other);
  fs.rmSync(root, { recursive: true, force: true });
  sb.assertNoCanary();
  sb.cleanup();
});

/** A copy of the sandbox's vault in `dir` (made 0700 and root's unless told otherwise). */
function vaultIn(dir: string): string {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const v = path.join(dir, 'vault.exv');
  fs.copyFileSync(sb.vault, v);
  fs.chmodSync(v, 0o600);
  return v;
}

/** Lets the other user write `dir` just long enough to plant something, as an earlier mistake would. */
async function openedFor(dir: string, plant: () => Promise<RunResult>): Promise<void> {
  fs.chmodSync(dir, 0o777);
  try {
    const r = await plant();
    if (r.code !== 0) throw new Error(`planting as ${other.name} failed (${r.code}): ${r.stderr}`);
  } finally {
    fs.chmodSync(dir, 0o700);
  }
}

it('a vault folder owned by another user (mode 0755) is refused', async () => {
  const dir = path.join(root, 'theirs');
  const v = vaultIn(dir);
  fs.chownSync(dir, other.uid, other.gid);
  fs.chmodSync(dir, 0o755);
  const r = await sb.vaultCmd(['--vault', v, 'list']);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(new RegExp(`^vault: error: the vault's folder ${dir} belongs to another user \\(uid ${other.uid}\\)$`, 'm'));
  // The rollback that folder allows: the other user swaps in the backup.
  expect(r.stdout).not.toMatch(/e1/);
});

it('a folder above the vault that another user can write, or owns, is refused (ssh StrictModes)', async () => {
  const writable = path.join(root, 'shared');
  fs.mkdirSync(writable, { mode: 0o777 });
  fs.chmodSync(writable, 0o777);
  const v1 = vaultIn(path.join(writable, 'mine'));
  const r1 = await sb.vaultCmd(['--vault', v1, 'list']);
  expect(r1.code).toBe(2);
  expect(r1.stderr).toMatch(new RegExp(`^vault: error: the folder ${writable} above the vault is writable by other users \\(mode 777\\)$`, 'm'));
  expect(r1.stderr).toContain(`vault: hint: fix it with: chmod go-w ${writable}`);

  const owned = path.join(root, 'their-parent');
  fs.mkdirSync(owned, { mode: 0o755 });
  const v2 = vaultIn(path.join(owned, 'mine'));
  fs.chownSync(owned, other.uid, other.gid);
  const r2 = await sb.vaultCmd(['--vault', v2, 'list']);
  expect(r2.code).toBe(2);
  expect(r2.stderr).toMatch(new RegExp(`the folder ${owned} above the vault belongs to another user \\(uid ${other.uid}\\)`));

  // /tmp itself (root's, sticky, world-writable) is a fine parent: the sandbox lives under it.
  expect((await sb.vaultCmd(['list'])).code).toBe(0);
});

it('a symbolic link planted at vault.exv.audit is not followed: nothing released, the target unchanged', async () => {
  const dir = path.join(root, 'linked');
  const v = vaultIn(dir);
  const victim = path.join(root, 'root-only');
  fs.writeFileSync(victim, 'root only\n', { mode: 0o600 });
  await openedFor(dir, () => other.run('ln', ['-s', victim, path.join(dir, 'vault.exv.audit')]));
  const marker = path.join(root, 'ran');
  const r = await sb.vaultCmd(['--vault', v, 'exec', 'e1', '--', '/usr/bin/touch', marker]);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/^vault: error: the audit log .*vault\.exv\.audit is a symbolic link; refusing to follow it$/m);
  expect(fs.existsSync(marker)).toBe(false);
  expect(fs.readFileSync(victim, 'utf8')).toBe('root only\n');
  expect(fs.statSync(victim).mode & 0o777).toBe(0o600);
});

it('a lock naming pid 1 planted by another user is refused at once (not waited on, not obeyed)', async () => {
  const dir = path.join(root, 'locked');
  const v = vaultIn(dir);
  const before = fs.readFileSync(v);
  await openedFor(dir, () => other.run('sh', ['-c', `printf '{"pid":1,"start":null,"token":"planted"}' > ${path.join(dir, 'vault.exv.lock')}`]));
  const r = await sb.vaultCmd(['--vault', v, 'add', 'x', '--exchange', 'binance'], { input: BINANCE_JSON });
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(new RegExp(`^vault: error: the lock file ${path.join(dir, 'vault.exv.lock')} belongs to another user \\(uid ${other.uid}\\)$`, 'm'));
  expect(fs.readFileSync(v).equals(before)).toBe(true);
  // Left for the user to look at, not removed behind their back.
  expect(fs.existsSync(path.join(dir, 'vault.exv.lock'))).toBe(true);
});
