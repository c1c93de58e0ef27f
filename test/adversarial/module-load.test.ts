// A file of one of the tool's own packages that cannot be opened while it loads (no
// permission, quota, an I/O error) is a one-line storage error naming the package and the
// errno, exit 9: never "unexpected internal error" and a stack. The failure is aimed with
// strace at that one file (-P), so no other call is touched.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CLI, Sandbox } from '../helpers/cli';
import { STRACE } from '../helpers/faults';

let sb: Sandbox;
beforeAll(async () => {
  sb = new Sandbox();
  await sb.init();
}, 120_000);
afterAll(() => {
  sb.assertNoCanary();
  sb.cleanup();
});

const ROOT = path.resolve(__dirname, '../..');
const LIBSODIUM = path.join(ROOT, 'node_modules/libsodium-sumo/dist/modules-sumo/libsodium-sumo.js');
const NATIVE_ARGON2 = path.join(ROOT, `node_modules/@node-rs/argon2-linux-x64-gnu/argon2.linux-x64-gnu.node`);
// libsodium is the fallback, loaded only when the native Argon2id does not load: made
// unloadable here (napi-rs's loader then tries only this path).
const NO_NATIVE = { NAPI_RS_NATIVE_LIBRARY_PATH: '/nonexistent/argon2.node' };

const itLinuxX64 = process.platform === 'linux' && process.arch === 'x64' ? it : it.skip;
itLinuxX64.each(['EACCES', 'EIO'])('the native Argon2id failing to load with %s: the WebAssembly fallback opens the vault', (errno) => {
  const r = spawnSync(STRACE, ['-f', '-qq', '-o', '/dev/null', '-P', NATIVE_ARGON2, '-e', 'trace=openat', '-e', `inject=openat:error=${errno}`, process.execPath, CLI, '--passphrase-file', sb.passFile, 'list'], { env: { ...sb.env, EXVAULT_NO_CODE_CACHE: '1' }, encoding: 'utf8', timeout: 90_000 });
  expect({ errno, code: r.status, stderr: r.stderr }).toEqual({ errno, code: 0, stderr: '' });
}, 300_000);

it.each([['EACCES', /permission/], ['EDQUOT', /quota/], ['EIO', /input\/output/], ['EMFILE', /too many open files/]])('libsodium failing to load with %s: one line naming the package, exit 9', (errno, text) => {
  for (const extra of [[], ['--debug']]) {
    const r = spawnSync(STRACE, ['-f', '-qq', '-o', '/dev/null', '-P', LIBSODIUM, '-e', 'trace=openat', '-e', `inject=openat:error=${errno}`, process.execPath, CLI, '--passphrase-file', sb.passFile, ...extra, 'list'], { env: { ...sb.env, ...NO_NATIVE, EXVAULT_NO_CODE_CACHE: '1' }, encoding: 'utf8', timeout: 90_000 });
    expect({ errno, extra, code: r.status }).toEqual({ errno, extra, code: 9 });
    expect(r.stderr).toMatch(/^vault: error: could not load the package libsodium-sumo \(/);
    expect(r.stderr).toMatch(text);
    expect(r.stderr).not.toMatch(/unexpected internal error|\n\s+at /);
    expect(r.stderr.split('\n').filter(Boolean).every((l) => l.startsWith('vault: '))).toBe(true);
  }
}, 300_000);

it.each(['EACCES', 'EIO'])("a package's package.json unreadable (%s): Node reports a missing module, shown as one line naming the package, exit 9", (errno) => {
  const pkgJson = path.join(ROOT, 'node_modules/libsodium-wrappers-sumo/package.json');
  const r = spawnSync(STRACE, ['-f', '-qq', '-o', '/dev/null', '-P', pkgJson, '-e', 'trace=openat', '-e', `inject=openat:error=${errno}`, process.execPath, CLI, '--passphrase-file', sb.passFile, 'list'], { env: { ...sb.env, ...NO_NATIVE, EXVAULT_NO_CODE_CACHE: '1' }, encoding: 'utf8', timeout: 90_000 });
  expect({ errno, code: r.status }).toEqual({ errno, code: 9 });
  expect(r.stderr).toMatch(/^vault: error: could not load the package libsodium-wrappers-sumo \(not found or not readable\)/);
  expect(r.stderr).not.toMatch(/unexpected internal error|\n\s+at /);
}, 300_000);

it('a vault derived with 4 lanes, where only the one-lane WebAssembly fallback loads: one line, exit 9, the vault unchanged', async () => {
  const dir = fs.mkdtempSync(path.join(sb.root, 'lanes-'));
  const vault = path.join(dir, 'vault.exv');
  const init = spawnSync(process.execPath, [CLI, '--vault', vault, '--passphrase-file', sb.passFile, 'init', '--kdf', 'interactive'], { env: sb.env, encoding: 'utf8', timeout: 90_000 });
  expect(init.status).toBe(0);
  expect(init.stdout + init.stderr).toMatch(/4 lanes/);
  const before = fs.readFileSync(vault);
  const r = spawnSync(process.execPath, [CLI, '--vault', vault, '--passphrase-file', sb.passFile, 'list'], { env: { ...sb.env, ...NO_NATIVE }, encoding: 'utf8', timeout: 90_000 });
  expect(r.status).toBe(9);
  expect(r.stderr).toMatch(/^vault: error: this vault's key derivation uses 4 lanes, which needs the native Argon2id \(@node-rs\/argon2\), and it did not load here: nothing was changed/);
  expect(r.stderr).not.toMatch(/unexpected internal error|\n\s+at /);
  expect(fs.readFileSync(vault).equals(before)).toBe(true);
}, 300_000);
