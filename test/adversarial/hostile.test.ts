// Hostile neighbours: a process of the same user the vault launched (a bot), or a second OS
// user made by the test, acting on what the vault shares with them. Each case is an attack
// that worked on exvault 0.1.0.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BINANCE_JSON, CLI, Sandbox } from '../helpers/cli';
import { findCanary } from '../helpers/canary';
import { canCreateUsers, createUser, OsUser, removeUser } from '../helpers/os-user';

const BUNDLE = path.resolve(__dirname, '../../dist/cli.js');
const FIXTURES = path.resolve(__dirname, '../fixtures');

let sb: Sandbox;
let env: Record<string, string>;
let other: OsUser;
const shared: string[] = [];

/** A folder outside the sandbox, for the other user to control. */
function sharedFolder(mode: number, owner: 'other' | 'root'): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'exvault-shared-'));
  shared.push(d);
  if (owner === 'other') fs.chownSync(d, other.uid, other.gid);
  fs.chmodSync(d, mode);
  return d;
}

beforeAll(async () => {
  if (!canCreateUsers()) throw new Error('the hostile-neighbour suite needs root and useradd (it makes a second OS user)');
  other = createUser();
  sb = new Sandbox();
  await sb.init();
  env = { EXVAULT_PASSPHRASE_FILE: sb.passFile };
  expect((await sb.run(['add', 'bot', '--exchange', 'binance'], { env, input: BINANCE_JSON })).code).toBe(0);
}, 120_000);
afterAll(() => {
  for (const d of shared) fs.rmSync(d, { recursive: true, force: true });
  if (other) removeUser(other);
  sb?.assertNoCanary();
  sb?.cleanup();
});

describe('code that runs inside vault', () => {
  it('a code cache planted in the user cache folder by a launched bot is never used', async () => {
    const marker = path.join(sb.root, 'tmp', 'planted-code-ran');
    const plant = await sb.run(['exec', 'bot', '--', process.execPath, path.join(FIXTURES, 'plant-code-cache.js'), BUNDLE, sb.env.XDG_CACHE_HOME!, marker], { env });
    expect(plant.code).toBe(0);
    expect(fs.readdirSync(path.join(sb.env.XDG_CACHE_HOME!, 'exvault'))).toHaveLength(1);
    const r = await sb.run(['list', '--json'], { env });
    expect(fs.existsSync(marker)).toBe(false);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).map((e: { name: string }) => e.name)).toEqual(['bot']);
  });
});

describe('export -o and inject -o into folders another user controls', () => {
  it.each([
    ['a folder the other user owns', () => sharedFolder(0o755, 'other'), /belongs to another user/],
    ['a world-writable sticky folder (like /tmp)', () => sharedFolder(0o1777, 'root'), /can be written by every user \(sticky\)/],
    ['a group-writable folder', () => sharedFolder(0o770, 'root'), /can be written by its group/],
  ])('%s: refused, exit 2, nothing written', async (_n, make, why) => {
    const dir = make();
    const template = sb.secretFile('t.tmpl', 'key: {{ vault://bot/apiKey }}\n');
    const ex = await sb.run(['export', 'bot', '-o', path.join(dir, 'keys.json'), '--yes'], { env });
    expect(ex.code).toBe(2);
    expect(ex.stderr).toMatch(/^vault: error: refusing to write secrets into a folder other users control: /);
    expect(ex.stderr).toMatch(why);
    expect(ex.stderr).toContain('--allow-shared-dir');
    const inj = await sb.run(['inject', '-i', template, '-o', path.join(dir, 'conf.yml')], { env });
    expect(inj.code).toBe(2);
    expect(inj.stderr).toMatch(why);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('a folder whose parent the other user can write is refused too', async () => {
    const parent = sharedFolder(0o755, 'other');
    const mine = path.join(parent, 'mine');
    fs.mkdirSync(mine, { mode: 0o700 });
    const r = await sb.run(['export', 'bot', '-o', path.join(mine, 'keys.json'), '--yes'], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/belongs to another user/);
    fs.rmSync(mine, { recursive: true });
  });

  it('with --allow-shared-dir, a symlink the other user races into place after the rename is never followed', async () => {
    const dir = sharedFolder(0o755, 'other');
    const out = path.join(dir, 'keys.json');
    // A file of ours, mode 644, that the other user would like made 600 (or written).
    const victim = path.join(sb.root, 'home', 'victim.conf');
    fs.writeFileSync(victim, 'root-owned, world-readable\n', { mode: 0o644 });
    fs.chmodSync(victim, 0o644);
    // As soon as our file appears, the other user replaces it with a symlink to the victim.
    const attacker = other.run('sh', ['-c', 'while [ ! -e "$1" ]; do sleep 0.01; done; rm -f "$1"; ln -s "$2" "$1"', 'sh', out, victim]);
    // Every rename is held 1.5 s after it returns, so the swap lands before anything that follows it.
    const e = { ...sb.env, ...env };
    const run = spawn('strace', ['-f', '-o', '/dev/null', '-e', 'trace=rename,renameat,renameat2', '-e', 'inject=rename,renameat,renameat2:delay_exit=1500000', process.execPath, CLI, 'export', 'bot', '-o', out, '--yes', '--allow-shared-dir'], { env: e, cwd: sb.root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    run.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => run.on('close', resolve));
    expect(code).toBe(0);
    expect(stderr).toMatch(/^wrote 1 entry to /);
    expect((await attacker).code).toBe(0);
    expect(fs.lstatSync(out).isSymbolicLink()).toBe(true);
    expect(fs.statSync(victim).mode & 0o777).toBe(0o644);
    expect(fs.readFileSync(victim, 'utf8')).toBe('root-owned, world-readable\n');
    expect(findCanary(fs.readFileSync(victim))).toBeNull();
  }, 120_000);
});

describe('core dumps of the vault process', () => {
  const filePattern = () => !fs.readFileSync('/proc/sys/kernel/core_pattern', 'utf8').startsWith('|');

  it('SIGABRT to a running `vault exec` with `ulimit -c unlimited` leaves no core; its core limit is 0', async () => {
    const dir = fs.mkdtempSync(path.join(sb.root, 'tmp', 'cores-'));
    const started = path.join(dir, 'child-started');
    // The wrapper runs with cores allowed, in a folder of its own ("core" patterns are relative).
    const run = spawn('sh', ['-c', 'ulimit -c unlimited && exec "$@"', 'sh', process.execPath, CLI, 'exec', 'bot', '--', 'sh', '-c', `: > ${started}; exec sleep 30`], { cwd: dir, env: { ...sb.env, ...env }, stdio: 'ignore' });
    const closed = new Promise<NodeJS.Signals | null>((resolve) => run.on('close', (_c, sig) => resolve(sig)));
    const deadline = Date.now() + 60_000;
    while (!fs.existsSync(started) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(fs.existsSync(started)).toBe(true);
    const limits = fs.readFileSync(`/proc/${run.pid}/limits`, 'utf8');
    const [soft] = /^Max core file size\s+(\S+)\s+(\S+)/m.exec(limits)!.slice(1);
    process.kill(run.pid!, 'SIGABRT');
    expect(await closed).toBe('SIGABRT');
    const cores = fs.readdirSync(dir).filter((f) => f.startsWith('core'));
    // What a core would have held, for the record when this fails.
    const leaked = cores.map((f) => findCanary(fs.readFileSync(path.join(dir, f))));
    fs.rmSync(dir, { recursive: true, force: true });
    if (filePattern()) expect({ cores, leaked }).toEqual({ cores: [], leaked: [] });
    expect(soft).toBe('0');
  }, 120_000);

  it('the program exec starts is not held back: it may raise its own core limit', async () => {
    const f = path.join(sb.root, 'tmp', 'child-limit');
    const r = await sb.run(['exec', 'bot', '--', 'sh', '-c', `ulimit -c unlimited && ulimit -c > ${f}`], { env });
    expect(r.code).toBe(0);
    expect(fs.readFileSync(f, 'utf8').trim()).toBe('unlimited');
  });
});

describe('the boundary of vault exec (README: "The boundary, honestly")', () => {
  beforeAll(async () => {
    expect((await sb.run(['add', 'other-bot', '--exchange', 'binance'], { env, input: BINANCE_JSON })).code).toBe(0);
    expect((await sb.run(['keychain', 'enable'], { env })).code).toBe(0);
  }, 120_000);

  it('within one OS user it is not a wall: a keychain-unlocked child can export every entry (scopes will change this)', async () => {
    const out = path.join(sb.root, 'secrets', 'exfiltrated.json');
    // No passphrase anywhere: the wrapper and the child unlock through the keychain.
    const r = await sb.run(['exec', 'bot', '--', 'sh', '-c', `env -u EXVAULT_EXEC ${process.execPath} ${CLI} export --all -o ${out} --yes`]);
    expect(r.code).toBe(0);
    expect(JSON.parse(fs.readFileSync(out, 'utf8')).entries.map((e: { name: string }) => e.name).sort()).toEqual(['bot', 'other-bot']);
    fs.rmSync(out);
  });

  it('across OS users it holds: another user reaches neither the vault nor the keychain', async () => {
    const dbus = sb.env.DBUS_SESSION_BUS_ADDRESS;
    const r = await other.run(process.execPath, [CLI, '--vault', sb.vault, 'list'], { env: { ...(dbus && { DBUS_SESSION_BUS_ADDRESS: dbus }) } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^vault: error: cannot read the vault at .* \(EACCES\)/);
    if (dbus) {
      const lookup = await other.run('secret-tool', ['search', '--all', 'service', 'exvault'], { env: { DBUS_SESSION_BUS_ADDRESS: dbus } });
      expect(lookup.code).not.toBe(0);
      expect(lookup.stdout).toBe('');
    }
  });
});
