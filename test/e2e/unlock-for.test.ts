// `vault unlock --for` keeps the unlocked key in the Linux kernel keyring (user keyring @u)
// with a timeout the kernel enforces; `vault lock` drops it. Real kernel keyring, the built
// CLI, keyutils' keyctl to look at the item from outside, a second OS user for the boundary.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { BINANCE_JSON, CLI, HANG_MS, Sandbox } from '../helpers/cli';
import { canCreateUsers, createUser, removeUser } from '../helpers/os-user';
import { STRACE } from '../helpers/faults';

const VAULT_ID_AT = 14; // after magic(8), version(2), header length(4): docs/FORMAT.md
const linux = process.platform === 'linux';
const d = linux ? describe : describe.skip;

function vaultIdHex(sb: Sandbox): string {
  return fs.readFileSync(sb.vault).subarray(VAULT_ID_AT, VAULT_ID_AT + 16).toString('hex');
}

function keyctl(args: string[]) {
  return spawnSync('keyctl', args, { encoding: 'utf8' });
}

/** The item's serial number as keyctl finds it in @u, or null. */
function itemSerial(sb: Sandbox): string | null {
  const r = keyctl(['search', '@u', 'user', `exvault:${vaultIdHex(sb)}`]);
  return r.status === 0 ? r.stdout.trim() : null;
}

/** The kernel's own line for the key (/proc/keys: id flags usage timeout perm uid gid type desc). */
function procKeysLine(serial: string): string[] | null {
  const hex = Number(serial).toString(16).padStart(8, '0');
  const l = fs.readFileSync('/proc/keys', 'utf8').split('\n').find((x) => x.startsWith(hex));
  return l ? l.trim().split(/\s+/) : null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let sb: Sandbox;
let other: Sandbox;
beforeAll(async () => {
  sb = new Sandbox();
  await sb.init();
  expect((await sb.vaultCmd(['add', 'binance-main', '--exchange', 'binance'], { input: BINANCE_JSON })).code).toBe(0);
  other = new Sandbox();
  await other.init();
}, 120_000);
afterAll(async () => {
  await sb.run(['lock']);
  await other.run(['lock']);
  sb.assertNoCanary();
  other.assertNoCanary();
  sb.cleanup();
  other.cleanup();
});

d('vault unlock --for', () => {
  it('the user keyring is reachable in this session (keyctl show @u)', () => {
    const r = keyctl(['show', '@u']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/keyring: _uid\.\d+/);
  });

  it('without it, a command with no passphrase source and no terminal needs one (exit 7)', async () => {
    const r = await sb.run(['list']);
    expect(r.code).toBe(7);
    expect(r.stderr).toMatch(/the vault is locked and no passphrase was given/);
  });

  it('unlocks for a while: later commands need no passphrase; then the kernel drops it and they need one again', async () => {
    // 5 s: long enough for the next command to start on a loaded 2-core machine.
    const u = await sb.vaultCmd(['unlock', '--for', '5s']);
    expect(u.code).toBe(0);
    expect(u.stdout + u.stderr).toMatch(/unlocked until .* \(5s\)/);
    // Right after: no passphrase source, no terminal, no keychain slot.
    const l = await sb.run(['list', '--json']);
    expect({ code: l.code, stderr: l.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(l.stdout).map((e: { name: string }) => e.name)).toEqual(['binance-main']);
    // The kernel's expiry, not ours: wait for the usual error, bounded (a hang guard, not a speed claim).
    const deadline = Date.now() + HANG_MS;
    let r = await sb.run(['list']);
    while (r.code === 0 && Date.now() < deadline) {
      await sleep(500);
      r = await sb.run(['list']);
    }
    expect(r.code).toBe(7);
    expect(r.stderr).toMatch(/the vault is locked and no passphrase was given/);
    expect(itemSerial(sb)).toBeNull();
  }, 120_000);

  it('the item: named by vault id (not path), private to possessor and user, with the kernel timeout; keyctl sees it', async () => {
    expect((await sb.vaultCmd(['unlock', '--for', '2h'])).code).toBe(0);
    const serial = itemSerial(sb);
    expect(serial).toMatch(/^\d+$/);
    const desc = keyctl(['rdescribe', serial!]);
    expect(desc.status).toBe(0);
    // type;uid;gid;perm;description
    const [type, uid, , perm, description] = desc.stdout.trim().split(';');
    expect(type).toBe('user');
    expect(Number(uid)).toBe(process.getuid!());
    expect(perm).toBe('3f0f0000'); // possessor all; user view, read, write, search; group and others nothing
    expect(description).toBe(`exvault:${vaultIdHex(sb)}`);
    expect(description).not.toContain(sb.root);
    // keyctl has no command that prints an expiry: the kernel's /proc/keys does (timeout column).
    const line = procKeysLine(serial!);
    expect(line).not.toBeNull();
    expect(line![3]).toMatch(/^(1h|2h|\d+m)$/);
    // The default scope's id (4 bytes) and key (32) + 32-byte binding tag, and not the passphrase.
    const bytes = spawnSync('keyctl', ['pipe', serial!]).stdout as Buffer;
    expect(bytes.length).toBe(68);
    expect(bytes.toString('latin1')).not.toContain(fs.readFileSync(sb.passFile, 'utf8').trim());
  });

  it('vault doctor says the vault is unlocked for a while, and no longer after lock', async () => {
    expect(itemSerial(sb)).not.toBeNull();
    const d = await sb.run(['doctor', '--json']);
    expect(JSON.stringify(JSON.parse(d.stdout))).toMatch(/unlocked for a while/);
    expect((await sb.run(['lock'])).code).toBe(0);
    expect((await sb.run(['doctor', '--json'])).stdout).not.toMatch(/unlocked for a while/);
    expect((await sb.vaultCmd(['unlock', '--for', '2h'])).code).toBe(0);
  });

  it('vault lock drops it at once; a second lock says there was nothing', async () => {
    expect(itemSerial(sb)).not.toBeNull();
    const l = await sb.run(['lock']);
    expect(l.code).toBe(0);
    expect(l.stdout + l.stderr).toMatch(/^locked/m);
    expect(itemSerial(sb)).toBeNull();
    expect((await sb.run(['list'])).code).toBe(7);
    const again = await sb.run(['lock']);
    expect(again.code).toBe(0);
    expect(again.stdout + again.stderr).toMatch(/nothing to drop/);
  });

  it("another vault's item is not used: neither the other vault's unlock, nor its bytes planted under this vault's name", async () => {
    expect((await other.vaultCmd(['unlock', '--for', '1h'])).code).toBe(0);
    expect((await other.run(['list'])).code).toBe(0);
    expect((await sb.run(['list'])).code).toBe(7);
    // The other vault's key (with its binding) copied under this vault's description.
    const otherBytes = spawnSync('keyctl', ['pipe', itemSerial(other)!]).stdout as Buffer;
    const planted = spawnSync('keyctl', ['padd', 'user', `exvault:${vaultIdHex(sb)}`, '@u'], { input: otherBytes, encoding: 'utf8' });
    expect(planted.status).toBe(0);
    const r = await sb.run(['list']);
    expect(r.code).toBe(7); // ignored: not "wrong passphrase" (3), not opened
    expect(r.stderr).toMatch(/no passphrase was given/);
    expect((await sb.run(['lock'])).code).toBe(0);
    expect((await other.run(['lock'])).code).toBe(0);
  });

  it('an explicit passphrase source wins over the cached unlock (a wrong one is wrong)', async () => {
    expect((await sb.vaultCmd(['unlock', '--for', '1h'])).code).toBe(0);
    const wrong = sb.secretFile('wrong', 'not the passphrase at all 12345\n');
    expect((await sb.run(['--passphrase-file', wrong, 'list'])).code).toBe(3);
    expect((await sb.run(['list'])).code).toBe(0);
    expect((await sb.run(['lock'])).code).toBe(0);
  });

  it('bad durations are usage errors (exit 2), nothing stored', async () => {
    for (const bad of ['8', '0s', '8y', '8d', '-1h', '1.5h']) {
      const r = await sb.vaultCmd(['unlock', '--for', bad]);
      expect({ bad, code: r.code }).toEqual({ bad, code: 2 });
    }
    expect(itemSerial(sb)).toBeNull();
  });

  it("a kernel without keys or a seccomp filter that refuses add_key: exit 6, one line, nothing else changes", () => {
    for (const errno of ['ENOSYS', 'EPERM']) {
      const r = spawnSync(STRACE, ['-f', '-qq', '-o', '/dev/null', '-e', 'trace=add_key', '-e', `inject=add_key:error=${errno}`, process.execPath, CLI, '--passphrase-file', sb.passFile, 'unlock', '--for', '1h'], { env: sb.env, encoding: 'utf8', timeout: HANG_MS });
      expect({ errno, code: r.status }).toEqual({ errno, code: 6 });
      expect(r.stderr).toMatch(/^vault: error: the kernel keyring is not available here \(add_key refused/);
      expect(r.stderr).not.toMatch(/\n\s+at |koffi|unexpected/);
    }
    expect(itemSerial(sb)).toBeNull();
  });

  (canCreateUsers() ? it : it.skip)('another OS user can neither read the item nor see it', async () => {
    expect((await sb.vaultCmd(['unlock', '--for', '1h'])).code).toBe(0);
    const serial = itemSerial(sb)!;
    const user = createUser();
    try {
      const read = await user.run('keyctl', ['pipe', serial]);
      expect(read.code).not.toBe(0);
      expect(read.stdout).toBe('');
      expect(read.stderr).toMatch(/Permission denied|Required key not available/);
      const search = await user.run('keyctl', ['search', '@u', 'user', `exvault:${vaultIdHex(sb)}`]);
      expect(search.code).not.toBe(0);
      const procKeys = await user.run('cat', ['/proc/keys']);
      expect(procKeys.stdout).not.toContain(vaultIdHex(sb));
    } finally {
      removeUser(user);
      expect((await sb.run(['lock'])).code).toBe(0);
    }
  });

  /** Files the CLI opens, by strace (a hang bound, not a speed claim). */
  const opened = (args: string[]) => {
    const trace = `${sb.env.TMPDIR}/trace`;
    const r = spawnSync(STRACE, ['-f', '-qq', '-e', 'trace=openat', '-o', trace, process.execPath, CLI, ...args], { env: sb.env, encoding: 'utf8', timeout: HANG_MS });
    expect({ code: r.status, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    const text = fs.readFileSync(trace, 'utf8');
    fs.rmSync(trace);
    expect(text).toMatch(/openat\(/);
    return text;
  };

  it('a command that finds the cached unlock loads no Argon2id (native addon nor WASM)', async () => {
    expect((await sb.vaultCmd(['unlock', '--for', '1h'])).code).toBe(0);
    expect(opened(['list'])).not.toMatch(/argon2|libsodium/);
    expect((await sb.run(['lock'])).code).toBe(0);
    // With a passphrase it does load the native one (so the check above can fail).
    expect(opened(['--passphrase-file', sb.passFile, 'list'])).toMatch(/argon2\.linux-[a-z0-9-]+\.node|argon2/);
  });

  (process.env.DBUS_SESSION_BUS_ADDRESS ? it : it.skip)('vault exec through the keychain loads no Argon2id either', async () => {
    expect((await sb.vaultCmd(['keychain', 'enable'])).code).toBe(0);
    try {
      expect(opened(['exec', 'binance-main', '--', process.execPath, '-e', '0'])).not.toMatch(/argon2|libsodium/);
    } finally {
      expect((await sb.vaultCmd(['keychain', 'disable'])).code).toBe(0);
    }
  });
});
