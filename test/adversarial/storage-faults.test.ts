// The storage defects of issue 11, one test each: a nearly full disk, a read-only mount, a
// folder sync failing after the rename (passwd), restore with no vault yet, the lock's temp
// file after a failed attempt, and each errno's message and exit status.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AuthError } from '../../src/errors';
import { CANARY } from '../helpers/canary';
import { BINANCE_JSON, Sandbox } from '../helpers/cli';
import { openVaultFile } from '../helpers/adversarial';
import { decodeFile } from '../../src/format/header';
import { Call, injectedCalls, injectInto } from '../helpers/faults';

const OTHER = 'the other passphrase of the storage tests 9921';
let sb: Sandbox;
beforeAll(async () => {
  sb = new Sandbox();
  await sb.init();
  expect((await sb.vaultCmd(['add', 'e1', '--exchange', 'binance'], { input: BINANCE_JSON })).code).toBe(0);
}, 120_000);
afterAll(() => {
  sb.assertNoCanary();
  sb.cleanup();
});

const env = () => ({ ...sb.env, EXVAULT_NO_CODE_CACHE: '1' });
const opts = () => ({ env: env(), cwd: sb.root, timeoutMs: 60_000, logFile: path.join(sb.root, 'tmp', 'strace.log') });
const leftovers = (dir: string) => fs.readdirSync(dir).filter((f) => !/^vault\.exv(\.bak|\.audit|\.audit-head)?$/.test(f));

/** A 1 MiB tmpfs under the sandbox, mounted for one test. */
function withTmpfs(fn: (mnt: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const mnt = fs.mkdtempSync(path.join(sb.root, 'mnt-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0700', 'tmpfs', mnt]);
    try {
      await fn(mnt);
    } finally {
      execFileSync('umount', ['-l', mnt]);
      fs.rmSync(mnt, { recursive: true, force: true });
    }
  };
}

/** A vault of about 150 KB: many entries through one import. */
async function bigVault(file: string): Promise<void> {
  const entries = Array.from({ length: 520 }, (_, i) => ({ name: `k${i}`, exchange: 'binance', notes: 'n'.repeat(120), secrets: JSON.parse(BINANCE_JSON) }));
  const imp = sb.secretFile('big.json', JSON.stringify({ format: 'exvault-export', version: 1, entries }));
  expect((await sb.vaultCmd(['--vault', file, 'init', '--kdf-memory', '19', '--kdf-passes', '2', '--allow-weak-kdf'])).code).toBe(0);
  const r = await sb.vaultCmd(['--vault', file, 'import', 'json', imp, '--yes']);
  expect(r.code).toBe(0);
}

/** The big vault copied into a tmpfs with `freeKiB` KiB left free. */
async function fullDisk(mnt: string, name: string, freeKiB: number, exts = ['', '.bak']): Promise<string> {
  const dir = path.join(mnt, 'v');
  fs.mkdirSync(dir, { mode: 0o700 });
  const src = path.join(sb.root, 'home', name, 'vault.exv');
  await bigVault(src);
  if (exts.includes('.audit')) expect((await sb.vaultCmd(['--vault', src, 'get', 'k1', 'apiKey'], { reveals: true })).code).toBe(0);
  for (const ext of exts) fs.copyFileSync(`${src}${ext}`, path.join(dir, `vault.exv${ext}`));
  const vault = path.join(dir, 'vault.exv');
  expect(fs.statSync(vault).size).toBeGreaterThan(140_000);
  // Written whole last (the import): the next change of an entry is an update, not a rewrite.
  const { state } = decodeFile(new Uint8Array(fs.readFileSync(vault))).header;
  expect(state!.end).toBe(state!.base);
  const free = () => {
    const st = fs.statfsSync(mnt);
    return st.bavail * st.bsize;
  };
  fs.writeFileSync(path.join(mnt, 'filler'), Buffer.alloc(free() - freeKiB * 1024));
  expect(free()).toBe(freeKiB * 1024);
  return vault;
}

it(
  'a nearly full disk (1 MiB tmpfs, 64 KiB free, ~150 KB vault): a whole rewrite (scope add) fails with exit 9, the vault and its backup untouched, no temp left',
  withTmpfs(async (mnt) => {
    const vault = await fullDisk(mnt, 'big', 64);
    const before = fs.readFileSync(vault);
    const bak = fs.readFileSync(`${vault}.bak`);
    const r = await sb.vaultCmd(['--vault', vault, 'scope', 'add', 'grid'], { env: env() });
    expect(r.code).toBe(9);
    expect(r.stderr).toMatch(/^vault: error: could not write the vault .*vault\.exv \(no space left on device\): nothing was changed$/m);
    expect(fs.readFileSync(vault).equals(before)).toBe(true);
    expect(fs.readFileSync(`${vault}.bak`).equals(bak)).toBe(true);
    expect(leftovers(path.dirname(vault))).toEqual([]);
    expect((await sb.vaultCmd(['--vault', vault, 'scope', 'list'], { env: env() })).stdout).not.toMatch(/grid/);
  }),
  240_000,
);

it(
  'a full disk during an update (8 KiB free, the update about 40 KB): edit fails with exit 9, the vault cut back to its bytes, the backup untouched; with room it succeeds',
  withTmpfs(async (mnt) => {
    const vault = await fullDisk(mnt, 'big-update', 8);
    const before = fs.readFileSync(vault);
    const bak = fs.readFileSync(`${vault}.bak`);
    const r = await sb.vaultCmd(['--vault', vault, 'edit', 'k1', '--label', 'L'], { env: env() });
    expect(r.code).toBe(9);
    expect(r.stderr).toMatch(/^vault: error: could not write the vault .*vault\.exv \(no space left on device\): nothing was changed$/m);
    expect(r.stderr).not.toMatch(/updated/);
    expect(fs.readFileSync(vault).equals(before)).toBe(true);
    expect(fs.readFileSync(`${vault}.bak`).equals(bak)).toBe(true);
    expect(leftovers(path.dirname(vault))).toEqual([]);
    expect((await openVaultFile(vault, CANARY.vaultPassphrase)).entries.get('k1')!.label).toBeUndefined();
    fs.rmSync(path.join(mnt, 'filler'));
    expect((await sb.vaultCmd(['--vault', vault, 'edit', 'k1', '--label', 'L'], { env: env() })).code).toBe(0);
    const after = fs.readFileSync(vault);
    expect(after.subarray(0, before.length).equals(before)).toBe(true);
    expect((await openVaultFile(vault, CANARY.vaultPassphrase)).entries.get('k1')!.label).toBe('L');
  }),
  240_000,
);

it(
  'audit new-chain on a nearly full disk (8 KiB free, ~150 KB vault): exit 9, the vault, log and head untouched, no old log kept',
  withTmpfs(async (mnt) => {
    const vault = await fullDisk(mnt, 'big2', 8, ['', '.bak', '.audit', '.audit-head']);
    const dir = path.dirname(vault);
    const before = ['', '.audit', '.audit-head'].map((ext) => fs.readFileSync(`${vault}${ext}`));
    const r = await sb.vaultCmd(['--vault', vault, 'audit', 'new-chain'], { env: env() });
    expect(r.code).toBe(9);
    // The new chain's log is written first now (an update of the vault needs little room): either failing leaves everything as it was.
    expect(r.stderr).toMatch(/^vault: error: could not write the (vault .*vault\.exv|new audit log .*vault\.exv\.audit) \(no space left on device\): nothing was changed$/m);
    ['', '.audit', '.audit-head'].forEach((ext, i) => expect(fs.readFileSync(`${vault}${ext}`).equals(before[i]!)).toBe(true));
    expect(fs.readdirSync(dir).filter((f) => !/^vault\.exv(\.bak|\.audit|\.audit-head)?$/.test(f))).toEqual([]);
    expect((await sb.vaultCmd(['--vault', vault, 'audit', 'verify'], { env: env() })).code).toBe(0);
  }),
  240_000,
);

it(
  'a read-only mount: add fails with exit 9 naming it, exec releases nothing',
  withTmpfs(async (mnt) => {
    const dir = path.join(mnt, 'v');
    fs.mkdirSync(dir, { mode: 0o700 });
    const vault = path.join(dir, 'vault.exv');
    fs.copyFileSync(sb.vault, vault);
    const before = fs.readFileSync(vault);
    execFileSync('mount', ['-o', 'remount,ro', mnt]);
    const add = await sb.vaultCmd(['--vault', vault, 'add', 'x', '--exchange', 'binance'], { input: BINANCE_JSON, env: env() });
    expect(add.code).toBe(9);
    expect(add.stderr).toMatch(/^vault: error: could not write .* \(read-only file system\): nothing was changed$/m);
    const marker = path.join(sb.root, 'tmp', 'ran');
    const exec = await sb.vaultCmd(['--vault', vault, 'exec', 'e1', '--', '/usr/bin/touch', marker], { env: env() });
    expect(exec.code).toBe(9);
    expect(exec.stderr).toMatch(/could not write .* \(read-only file system\): nothing was released/);
    expect(fs.existsSync(marker)).toBe(false);
    expect(fs.readFileSync(vault).equals(before)).toBe(true);
  }),
  240_000,
);

it('passwd whose folder sync fails after the rename: exit 0 with a durability warning; the new passphrase opens the vault', async () => {
  const newPass = sb.secretFile('pass-new', `${OTHER}\n`);
  const args = ['--passphrase-file', sb.passFile, 'passwd', '--new-passphrase-file', newPass];
  const saved = fs.readFileSync(sb.vault);
  // The folder's last fsync, after the rename (found by name: fsyncs made at exit come later).
  const r = await injectInto(args, opts(), 'fsync', 'EIO', (c) => c.filter((x) => x.target.endsWith(`<${path.dirname(sb.vault)}>`)).pop(), () => fs.writeFileSync(sb.vault, saved));
  expect(injectedCalls(r).find((c) => c.main)!.target).toMatch(new RegExp(`<${path.dirname(sb.vault)}>$`));
  expect(r.code).toBe(0);
  expect(r.stderr).toMatch(/^vault: warning: the vault .* was saved, but the folder .* could not be synced \(input\/output error\): durability not guaranteed/m);
  await expect(openVaultFile(sb.vault, CANARY.vaultPassphrase)).rejects.toBeInstanceOf(AuthError);
  expect((await openVaultFile(sb.vault, OTHER)).entries.has('e1')).toBe(true);
  // Back to the sandbox's passphrase for the other tests.
  expect((await sb.run(['--passphrase-file', newPass, 'passwd', '--new-passphrase-file', sb.passFile])).code).toBe(0);
}, 120_000);

it('restore on a machine with no vault yet: the folder is made 0700, no claim of a previous vault', async () => {
  const backup = path.join(sb.root, 'home', 'b.exv');
  expect((await sb.vaultCmd(['backup', backup])).code).toBe(0);
  const fresh = path.join(sb.root, 'home', 'newmachine', 'exvault', 'vault.exv');
  const r = await sb.vaultCmd(['--vault', fresh, 'restore', backup, '--yes']);
  expect(r.code).toBe(0);
  expect(r.stderr).not.toMatch(/previous vault|\.bak/);
  expect(r.stderr).toMatch(/there was no vault before/);
  expect(fs.statSync(path.dirname(fresh)).mode & 0o777).toBe(0o700);
  expect(fs.existsSync(`${fresh}.bak`)).toBe(false);
  expect((await openVaultFile(fresh, CANARY.vaultPassphrase)).entries.has('e1')).toBe(true);
});

it('a failed lock attempt (its temp file cannot be written) leaves no *.lock.PID-*.tmp behind', async () => {
  const args = ['--passphrase-file', sb.passFile, 'edit', 'e1', '--label', 'lk'];
  const before = fs.readFileSync(sb.vault);
  const r = await injectInto(args, opts(), 'write', 'ENOSPC', (c) => c.find((x) => /vault\.exv\.lock\.\d+-[0-9a-f]+\.tmp>$/.test(x.target)), () => fs.writeFileSync(sb.vault, before));
  expect(r.code).toBe(9);
  expect(r.stderr).toMatch(/^vault: error: could not write the lock file .*vault\.exv\.lock \(no space left on device\): nothing was changed$/m);
  expect(leftovers(path.dirname(sb.vault))).toEqual([]);
  expect(fs.readFileSync(sb.vault).equals(before)).toBe(true);
});

/** The two ways a write goes (docs/FORMAT.md "Writing"): a new scope changes the header, so the
 *  file is written whole (a temp file renamed over it); an edit right after a whole write is an
 *  update, appended to the vault itself (opened for writing). */
let fresh = 0;
const PATHS = {
  'whole rewrite': {
    args: (tag: string) => ['scope', 'add', `s-${tag.toLowerCase()}`],
    open: (c: Call[]) => c.find((x) => /\/\.vault\.exv\.tmp-/.test(x.target)),
    write: (c: Call[]) => c.find((x) => /\/\.vault\.exv\.tmp-/.test(x.target)),
  },
  update: {
    args: (tag: string) => ['edit', 'e1', '--label', `l-${tag}`],
    open: (c: Call[]) => c.find((x) => x.target === sb.vault && /O_WRONLY/.test(x.line)),
    write: (c: Call[]) => c.find((x) => x.target.endsWith(`<${sb.vault}>`)),
  },
} as const;

/** The vault as it is, after a whole write when `kind` is an update (so the edit appends). */
async function savedFor(kind: keyof typeof PATHS): Promise<Buffer> {
  if (kind === 'update') expect((await sb.vaultCmd(['scope', 'add', `fresh-${fresh++}`])).code).toBe(0);
  return fs.readFileSync(sb.vault);
}

describe.each(Object.keys(PATHS) as (keyof typeof PATHS)[])('%s', (kind) => {
  it.each([
    ['ENOSPC', 'no space left on device'],
    ['EDQUOT', 'disk quota exceeded'],
    ['EROFS', 'read-only file system'],
    ['EIO', 'input/output error'],
    ['EACCES', 'permission denied'],
    ['EPERM', 'operation not permitted'],
    ['EMFILE', 'too many open files'],
  ])('%s opening the file it writes: exit 9, "%s", nothing changed', async (errno, words) => {
    const args = ['--passphrase-file', sb.passFile, ...PATHS[kind].args(errno)];
    const saved = await savedFor(kind);
    const r = await injectInto(args, opts(), 'openat', errno, PATHS[kind].open, () => fs.writeFileSync(sb.vault, saved));
    expect(r.code).toBe(9);
    expect(r.stderr.split('\n')[0]).toBe(`vault: error: could not write the vault ${sb.vault} (${words}): nothing was changed`);
    expect(r.stderr).toMatch(/^vault: hint: /m);
    expect(fs.readFileSync(sb.vault).equals(saved)).toBe(true);
    expect(leftovers(path.dirname(sb.vault))).toEqual([]);
  });

  it('a write that claims 1 byte and writes none (strace retval=1) is caught by the size check: exit 9, the vault intact', async () => {
    const args = ['--passphrase-file', sb.passFile, ...PATHS[kind].args('short')];
    const saved = await savedFor(kind);
    const r = await injectInto(args, opts(), 'write', { retval: 1 }, PATHS[kind].write, () => fs.writeFileSync(sb.vault, saved));
    expect(r.code).toBe(9);
    expect(r.stderr.split('\n')[0]).toBe(`vault: error: could not write the vault ${sb.vault} (input/output error): nothing was changed`);
    expect(fs.readFileSync(sb.vault).equals(saved)).toBe(true);
    expect(leftovers(path.dirname(sb.vault))).toEqual([]);
  });
});
