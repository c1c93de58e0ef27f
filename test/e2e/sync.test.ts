// Issue 16, sync on git, through the built CLI and the system git: three hosts as separate
// HOMEs (an admin with the passphrase, a second full host with an identity granted every scope,
// a VPS whose identity is granted scope "grid" only) share one vault through a bare repository,
// over file:// and over ssh to a loopback sshd the test starts. Concurrent changes to different
// entries both survive; the same entry changed on both sides is reported and neither version
// is lost; the VPS pulls without ever pushing (over ssh its key cannot push at all) and cannot
// decrypt outside its scope, tried with its identity directly; no canary in any git object.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseIdentityFile } from '../../src/crypto/age-x25519';
import { ready } from '../../src/crypto/sodium';
import { AuthError } from '../../src/errors';
import { decodeFile } from '../../src/format/header';
import { openV2, unwrapSlot } from '../../src/format/seal';
import { kindOf } from '../../src/format/slots/registry';
import { BINANCE_JSON, OKX_JSON, RunResult, Sandbox } from '../helpers/cli';
import { findCanary } from '../helpers/canary';
import { TestSshd } from '../helpers/sshd';

jest.setTimeout(600_000);

interface Transport {
  name: string;
  url: string;
  /** Extra environment for each host (ssh: its key). */
  env(host: 'admin' | 'ops' | 'vps'): Record<string, string>;
  /** Push attempts refused because they came from the VPS. */
  refusedLog: string;
}

let work: string;
let sshd: TestSshd;

function git(args: string[], input?: string): string {
  const r = spawnSync('git', args, { encoding: 'utf8', input });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** An empty bare repository whose pre-receive hook refuses (and logs) pushes marked as the VPS's. */
function bareRepo(name: string, log: string): string {
  const dir = path.join(work, name);
  git(['init', '--bare', '-q', '-b', 'main', dir]);
  const hook = path.join(dir, 'hooks', 'pre-receive');
  fs.writeFileSync(hook, `#!/bin/sh\nif [ "$SYNC_TEST_HOST" = vps ]; then echo vps >> '${log}'; exit 1; fi\nexit 0\n`, { mode: 0o755 });
  return dir;
}

/** Every object's content in a repository (decompressed), for the canary scan. */
function objectContents(repo: string): Buffer {
  const r = spawnSync('git', ['--git-dir', repo, 'cat-file', '--batch-all-objects', '--batch', '--unordered'], { maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error('cat-file failed');
  return r.stdout;
}

beforeAll(async () => {
  await ready();
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'exvault-sync-'));
  sshd = new TestSshd();
  await sshd.start();
});

afterAll(async () => {
  await sshd?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

const ok = (r: RunResult, what: string): RunResult => {
  if (r.code !== 0) throw new Error(`${what} failed (${r.code}): ${r.stderr}`);
  return r;
};
const names = async (sb: Sandbox, pass: boolean): Promise<string[]> => {
  const r = ok(await (pass ? sb.vaultCmd(['list', '--json']) : sb.run(['list', '--json'])), 'list');
  return JSON.parse(r.stdout).map((e: { name: string }) => e.name).sort();
};
const newKey = () => randomBytes(32).toString('hex');

async function scenario(t: Transport): Promise<void> {
  const admin = new Sandbox();
  const ops = new Sandbox();
  const vps = new Sandbox();
  const hosts = { admin, ops, vps };
  for (const [n, sb] of Object.entries(hosts)) Object.assign(sb.env, t.env(n as 'admin'), { SYNC_TEST_HOST: n });
  // The hosts keep file identities: the test keyring is one for every suite and every HOME.
  for (const sb of [ops, vps]) delete sb.env.DBUS_SESSION_BUS_ADDRESS;
  try {
    // The admin's vault: one entry in the default scope, one in "grid".
    await admin.init();
    ok(await admin.vaultCmd(['scope', 'add', 'grid']), 'scope add');
    ok(await admin.vaultCmd(['add', 'admin-main', '--exchange', 'binance'], { input: BINANCE_JSON }), 'add');
    ok(await admin.vaultCmd(['add', 'grid-bot', '--exchange', 'okx', '--scope', 'grid'], { input: OKX_JSON }), 'add');
    const opsR = ok(await ops.run(['identity', 'init']), 'identity').stdout.trim();
    const vpsR = ok(await vps.run(['identity', 'init']), 'identity').stdout.trim();
    ok(await admin.vaultCmd(['recipient', 'add', 'ops', opsR, '--scope', 'default', '--scope', 'grid']), 'recipient');
    ok(await admin.vaultCmd(['recipient', 'add', 'vps', vpsR, '--scope', 'grid']), 'recipient');

    // Zero to three hosts: the admin pushes, the others join by syncing.
    ok(await admin.run(['remote', 'add', t.url]), 'remote add');
    expect(JSON.parse((await admin.run(['remote', 'show', '--json'])).stdout)).toMatchObject({ url: t.url, synced: null });
    const first = ok(await admin.run(['sync']), 'sync');
    expect(first.stdout + first.stderr).toMatch(/pushed this vault's changes/);
    for (const sb of [ops, vps]) {
      ok(await sb.run(['remote', 'add', t.url]), 'remote add');
      const join = ok(await sb.run(['sync']), 'join');
      expect(join.stdout + join.stderr).toMatch(/took the remote's vault/);
      expect(fs.readFileSync(sb.vault).equals(fs.readFileSync(admin.vault))).toBe(true);
    }
    expect(await names(ops, false)).toEqual(['admin-main', 'grid-bot']);
    expect(await names(vps, false)).toEqual(['grid-bot']);

    // Concurrent changes to different entries on two hosts: both survive.
    ok(await admin.vaultCmd(['add', 'spot-a', '--exchange', 'binance'], { input: BINANCE_JSON }), 'add');
    ok(await admin.vaultCmd(['edit', 'admin-main', '--notes', 'edited by admin']), 'edit');
    ok(await ops.run(['add', 'spot-b', '--exchange', 'okx', '--scope', 'grid'], { input: OKX_JSON }), 'add (identity granted every scope)');
    ok(await ops.run(['edit', 'grid-bot', '--notes', 'edited by ops']), 'edit');
    ok(await admin.run(['sync']), 'sync');
    const merged = ok(await ops.run(['sync']), 'merge');
    // Taking the remote's changes opens them first, with this host's key (here the passphrase).
    expect((await admin.run(['sync'])).code).toBe(7);
    expect(merged.stdout + merged.stderr).toMatch(/merged this vault's changes with the remote's and pushed/);
    expect(merged.stderr).not.toMatch(/conflict/);
    // Merged through the normal write path: tagged (docs/FORMAT.md "Writer tag").
    expect(decodeFile(new Uint8Array(fs.readFileSync(ops.vault))).header.toc.tag).toHaveLength(32);
    const pulled = ok(await admin.vaultCmd(['sync']), 'pull');
    expect(pulled.stdout + pulled.stderr).toMatch(/took the remote's changes/);
    expect(fs.readFileSync(admin.vault).equals(fs.readFileSync(ops.vault))).toBe(true);
    for (const [sb, pass] of [[admin, true], [ops, false]] as const) {
      expect(await names(sb, pass)).toEqual(['admin-main', 'grid-bot', 'spot-a', 'spot-b']);
      const show = (n: string) => (pass ? sb.vaultCmd(['show', n, '--json']) : sb.run(['show', n, '--json']));
      expect(JSON.parse((await show('admin-main')).stdout).notes).toBe('edited by admin');
      expect(JSON.parse((await show('grid-bot')).stdout).notes).toBe('edited by ops');
    }

    // The VPS reads: it pulls without pushing, sees its scope only, and cannot decrypt the rest.
    const before = git(['--git-dir', bareDir(t), 'rev-parse', 'main']);
    const vpsSync = ok(await vps.run(['sync']), 'vps sync');
    expect(vpsSync.stdout + vpsSync.stderr).toMatch(/took the remote's changes/);
    expect(git(['--git-dir', bareDir(t), 'rev-parse', 'main'])).toBe(before);
    expect(fs.existsSync(t.refusedLog) ? fs.readFileSync(t.refusedLog, 'utf8') : '').toBe('');
    expect(await names(vps, false)).toEqual(['grid-bot', 'spot-b']);
    expect((await vps.run(['exec', 'grid-bot', '--', 'true'])).code).toBe(0);
    const outside = await vps.run(['exec', 'admin-main', '--', 'true']);
    expect(outside.code).toBe(4);
    // With its identity directly (no CLI check in between): its slot gives the grid key only,
    // and that key opens nothing of the default scope.
    const parsed = decodeFile(fs.readFileSync(vps.vault));
    const identity = parseIdentityFile(fs.readFileSync(path.join(vps.root, 'config', 'exvault', 'identity.txt'), 'utf8'));
    let keys: Map<number, Uint8Array> | null = null;
    for (const slot of parsed.header.slots) {
      const kek = await kindOf(slot).kek(slot, parsed.header.vaultId, { identities: async () => [identity] });
      if (kek) keys = unwrapSlot(parsed.header, slot, kek);
      if (keys) break;
    }
    const grid = parsed.header.scopes.find((s) => s.name === 'grid')!.id;
    expect([...keys!.keys()]).toEqual([grid]);
    expect(() => openV2(parsed, keys!).index(0)).toThrow(AuthError);
    expect(() => openV2(parsed, new Map([[0, keys!.get(grid)!]])).index(0)).toThrow(AuthError);
    expect(() => openV2(parsed, keys!).meta()).toThrow(AuthError);

    // A conflict: the same entry rotated on two hosts. Reported, both versions kept.
    const adminKey = newKey();
    const opsKey = newKey();
    ok(await admin.vaultCmd(['rotate', 'grid-bot', '--from-file', '-'], { input: JSON.stringify({ apiKey: adminKey, apiSecret: newKey(), passphrase: 'Pp-admin-1' }) }), 'rotate');
    ok(await ops.run(['rotate', 'grid-bot', '--from-file', '-'], { input: JSON.stringify({ apiKey: opsKey, apiSecret: newKey(), passphrase: 'Pp-ops-1' }) }), 'rotate');
    ok(await admin.run(['sync']), 'sync');
    const clash = await ops.run(['sync']);
    expect(clash.code).toBe(15);
    const m = /conflict: grid-bot was changed here and on the remote: the remote's version is active, yours is version (\d+) in its history; pick yours with: vault rollback grid-bot --to (\d+)/.exec(clash.stderr);
    expect(m).not.toBeNull();
    expect(m![1]).toBe(m![2]);
    // One line per conflict, and only the one entry that conflicted.
    expect(clash.stderr.split('\n').filter((l) => /conflict/.test(l))).toHaveLength(1);
    expect((await ops.run(['get', 'grid-bot', 'apiKey'], { reveals: true })).stdout.trim()).toBe(adminKey);
    const history = JSON.parse(ok(await ops.run(['history', 'grid-bot', '--json']), 'history').stdout);
    expect(history.find((v: { version: number }) => v.version === Number(m![1]))).toMatchObject({ state: 'previous' });
    expect(history.find((v: { state: string }) => v.state === 'active').version).not.toBe(Number(m![1]));
    // The person picks theirs; the next syncs carry the choice everywhere.
    ok(await ops.run(['rollback', 'grid-bot', '--to', m![1]!]), 'rollback');
    expect((await ops.run(['get', 'grid-bot', 'apiKey'], { reveals: true })).stdout.trim()).toBe(opsKey);
    ok(await ops.run(['sync']), 'sync');
    ok(await admin.vaultCmd(['sync']), 'sync');
    ok(await vps.run(['sync']), 'sync');
    expect((await admin.vaultCmd(['get', 'grid-bot', 'apiKey'], { reveals: true })).stdout.trim()).toBe(opsKey);
    expect((await vps.run(['get', 'grid-bot', 'apiKey'], { reveals: true })).stdout.trim()).toBe(opsKey);
    // The admin's rotated key is still there, as an earlier version.
    const adminHistory = JSON.parse(ok(await admin.vaultCmd(['history', 'grid-bot', '--json']), 'history').stdout);
    expect(adminHistory.length).toBeGreaterThanOrEqual(3);

    // Nothing in git but the encrypted vault: no canary in any object, anywhere.
    expect(findCanary(objectContents(bareDir(t)))).toBeNull();
    for (const sb of [admin, ops, vps]) {
      expect(findCanary(objectContents(`${sb.vault}.git`))).toBeNull();
      sb.assertNoCanary();
    }
    expect(fs.readFileSync(t.refusedLog, { flag: 'a+' }).toString()).toBe('');
  } finally {
    for (const sb of [admin, ops, vps]) sb.cleanup();
  }
}

const bares = new Map<string, string>();
const bareDir = (t: Transport): string => bares.get(t.name)!;

it('file:// remote: three hosts, merges, a conflict, a host that only reads', async () => {
  const log = path.join(work, 'file-refused.log');
  const dir = bareRepo('file.git', log);
  const t: Transport = { name: 'file', url: `file://${dir}`, env: () => ({}), refusedLog: log };
  bares.set(t.name, dir);
  await scenario(t);
});

it('ssh remote (loopback sshd): the same, the VPS with a key that cannot push', async () => {
  const log = path.join(work, 'ssh-refused.log');
  const dir = bareRepo('ssh.git', log);
  // A read-only deploy key: fetches only; anything else is logged and refused.
  const ro = path.join(work, 'read-only.sh');
  fs.writeFileSync(ro, `#!/bin/sh\ncase "$SSH_ORIGINAL_COMMAND" in\n  "git-upload-pack "*) exec sh -c "$SSH_ORIGINAL_COMMAND" ;;\n  *) echo "refused: $SSH_ORIGINAL_COMMAND" >> '${log}'; exit 1 ;;\nesac\n`, { mode: 0o755 });
  const rw = sshd.clientKey('rw');
  const readOnly = sshd.clientKey('ro', ro);
  const t: Transport = {
    name: 'ssh',
    url: sshd.url(dir),
    env: (host) => ({ GIT_SSH_COMMAND: sshd.sshCommand(host === 'vps' ? readOnly : rw) }),
    refusedLog: log,
  };
  bares.set(t.name, dir);
  await scenario(t);
});

it('errors are one line with exit 14, never git\'s own text, and change nothing', async () => {
  const sb = new Sandbox();
  try {
    await sb.init();
    const before = fs.readFileSync(sb.vault);
    const none = await sb.run(['sync']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^vault: error: this vault has no remote to sync with/);
    expect((await sb.run(['remote', 'add', 'https://user:tok3n@example.invalid/v.git'])).code).toBe(2);
    ok(await sb.run(['remote', 'add', `file://${path.join(work, 'missing.git')}`]), 'remote add');
    const missing = await sb.run(['sync']);
    expect(missing.code).toBe(14);
    expect(missing.stderr.split('\n')[0]).toMatch(/^vault: error: could not fetch from the remote \(nothing was changed\): no git repository at the remote URL$/);
    expect(missing.stderr).not.toMatch(/fatal:|does not appear/);
    ok(await sb.run(['remote', 'remove']), 'remote remove');
    ok(await sb.run(['remote', 'add', sshd.url('/nonexistent.git')], {}), 'remote add');
    const denied = await sb.run(['sync'], { env: { GIT_SSH_COMMAND: sshd.sshCommand(path.join(sshd.dir, 'host_key')) } });
    expect(denied.code).toBe(14);
    expect(denied.stderr.split('\n')[0]).toMatch(/^vault: error: could not fetch from the remote \(nothing was changed\): the remote refused the login$/);
    expect(denied.stderr).not.toMatch(/Permission denied|publickey/);
    expect(fs.readFileSync(sb.vault).equals(before)).toBe(true);
    // A push the server's hook declines: one line, exit 14, the commit kept locally for next time.
    ok(await sb.run(['remote', 'remove']), 'remote remove');
    const hooked = bareRepo('hooked.git', path.join(work, 'hooked.log'));
    ok(await sb.run(['remote', 'add', `file://${hooked}`]), 'remote add');
    const declined = await sb.run(['sync'], { env: { SYNC_TEST_HOST: 'vps' } });
    expect(declined.code).toBe(14);
    expect(declined.stderr.split('\n')[0]).toBe('vault: error: could not push to the remote (your changes are committed locally and the next vault sync pushes them): the remote refused the push (a hook or rule on the server declined it)');
    expect(fs.readFileSync(path.join(work, 'hooked.log'), 'utf8')).toBe('vps\n');
    expect(fs.readFileSync(sb.vault).equals(before)).toBe(true);
    const later = ok(await sb.run(['sync']), 'sync');
    expect(later.stderr + later.stdout).toMatch(/pushed this vault's changes/);
    sb.assertNoCanary();
  } finally {
    sb.cleanup();
  }
});

describe('crash and race (file://, two hosts with the passphrase)', () => {
  let a: Sandbox;
  let b: Sandbox;
  let dir: string;
  const rev = (sb: Sandbox, ref: string): string => spawnSync('git', ['--git-dir', `${sb.vault}.git`, 'rev-parse', '-q', '--verify', ref], { encoding: 'utf8' }).stdout.trim();
  const setRef = (sb: Sandbox, ref: string, to: string) => git(['--git-dir', `${sb.vault}.git`, 'update-ref', ref, to]);

  beforeAll(async () => {
    a = new Sandbox();
    b = new Sandbox();
    dir = bareRepo('race.git', path.join(work, 'race.log'));
    await a.init();
    ok(await a.vaultCmd(['add', 'one', '--exchange', 'binance'], { input: BINANCE_JSON }), 'add');
    for (const sb of [a, b]) ok(await sb.run(['remote', 'add', `file://${dir}`]), 'remote add');
    ok(await a.run(['sync']), 'sync');
    ok(await b.run(['sync']), 'sync');
  }, 120_000);

  afterAll(() => {
    for (const sb of [a, b]) {
      sb.assertNoCanary();
      sb.cleanup();
    }
  });

  it('a sync killed after writing the vault but before recording it is finished by the next one (no second merge)', async () => {
    ok(await a.vaultCmd(['add', 'two', '--exchange', 'binance'], { input: BINANCE_JSON }), 'add');
    ok(await a.run(['sync']), 'sync');
    const remoteBefore = rev(a, 'refs/heads/main');
    ok(await b.vaultCmd(['add', 'three', '--exchange', 'binance'], { input: BINANCE_JSON }), 'add');
    ok(await b.vaultCmd(['sync']), 'merge');
    const merged = rev(b, 'refs/heads/main');
    const oursBefore = git(['--git-dir', `${b.vault}.git`, 'rev-parse', `${merged}^1`]).trim();
    const vault = fs.readFileSync(b.vault);
    // The state a kill leaves between the vault's rename and the ref update: the vault written,
    // the merge commit only pending, the branch where it was, nothing pushed.
    setRef(b, 'refs/heads/main', oursBefore);
    setRef(b, 'refs/exvault/pending', merged);
    setRef(b, 'refs/remotes/origin/main', remoteBefore);
    git(['--git-dir', dir, 'update-ref', 'refs/heads/main', remoteBefore]);
    const again = await b.vaultCmd(['sync']);
    expect(again.code).toBe(0);
    expect(again.stderr).not.toMatch(/conflict/);
    // Recorded and pushed as it was, not merged a second time (which would re-seal the file).
    expect(rev(b, 'refs/heads/main')).toBe(merged);
    expect(git(['--git-dir', dir, 'rev-parse', 'main']).trim()).toBe(merged);
    expect(rev(b, 'refs/exvault/pending')).toBe('');
    expect(fs.readFileSync(b.vault).equals(vault)).toBe(true);
  });

  it('a sync killed before writing the vault left nothing: the pending commit is dropped, the vault is as it was', async () => {
    const main = rev(b, 'refs/heads/main');
    const vault = fs.readFileSync(b.vault);
    // A pending commit whose file is not the vault: the kill came before the vault's rename.
    const other = git(['--git-dir', `${b.vault}.git`, 'rev-parse', 'HEAD~1']).trim();
    setRef(b, 'refs/exvault/pending', other);
    ok(await b.vaultCmd(['sync']), 'sync');
    expect(rev(b, 'refs/exvault/pending')).toBe('');
    expect(rev(b, 'refs/heads/main')).toBe(main);
    expect(fs.readFileSync(b.vault).equals(vault)).toBe(true);
  });

  it('two hosts pushing at once: the loser fetches, merges and pushes again; both changes survive', async () => {
    ok(await a.vaultCmd(['add', 'race-a', '--exchange', 'binance'], { input: BINANCE_JSON }), 'add');
    ok(await b.vaultCmd(['add', 'race-b', '--exchange', 'binance'], { input: BINANCE_JSON }), 'add');
    const [ra, rb] = await Promise.all([a.vaultCmd(['sync']), b.vaultCmd(['sync'])]);
    expect([ra.code, rb.code, ra.stderr, rb.stderr]).toEqual([0, 0, expect.anything(), expect.anything()]);
    ok(await a.vaultCmd(['sync']), 'sync');
    ok(await b.vaultCmd(['sync']), 'sync');
    ok(await a.vaultCmd(['sync']), 'sync');
    for (const sb of [a, b]) expect(await names(sb, true)).toEqual(['one', 'race-a', 'race-b', 'three', 'two']);
    expect(fs.readFileSync(a.vault).equals(fs.readFileSync(b.vault))).toBe(true);
  });

  it('the remote holding another vault is refused (exit 14), nothing changed', async () => {
    const c = new Sandbox();
    try {
      await c.init();
      ok(await c.run(['remote', 'add', `file://${dir}`]), 'remote add');
      const before = fs.readFileSync(c.vault);
      const r = await c.run(['sync']);
      expect(r.code).toBe(14);
      expect(r.stderr).toMatch(/^vault: error: the remote holds a different vault/);
      expect(fs.readFileSync(c.vault).equals(before)).toBe(true);
    } finally {
      c.cleanup();
    }
  });
});
