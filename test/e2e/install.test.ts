// The README's install paths, each from a fresh `git clone` of this repository's HEAD, into a
// temporary npm prefix: the installed `vault` and `exvault` commands start, and a real vault
// is made, filled and read through them (so the run-time dependencies are there, and the
// development ones, bundled into dist/cli.js, are not). npm works from its local cache
// (--prefer-offline), as after `npm ci`.
import { spawnSync, SpawnSyncOptions } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CANARY, findCanary } from '../helpers/canary';
import { FAST_KDF } from '../helpers/cli';

const REPO = path.resolve(__dirname, '../..');
const PKG = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { name: string; version: string; dependencies: Record<string, string>; devDependencies: Record<string, string> };
// Bounds only a hang reaches: an install is seconds from a warm cache, a minute from a cold one.
const STEP_MS = 600_000;
jest.setTimeout(4 * STEP_MS);

let root: string;
const outputs: string[] = [];

// npm's own settings from an enclosing `npm test` (npm_config_*, npm_lifecycle_*) stay out.
const npmEnv = (): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k)) env[k] = v;
  return { ...env, npm_config_prefer_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };
};

function run(cmd: string, args: string[], opts: SpawnSyncOptions = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: STEP_MS, env: npmEnv(), ...opts });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  outputs.push(out);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} (in ${opts.cwd ?? '.'}) failed (${r.status ?? r.signal}):\n${out.slice(-4000)}`);
  return String(r.stdout);
}

/** A fresh clone of HEAD: what a user gets from `git clone`. */
function clone(name: string): string {
  const dir = path.join(root, name);
  run('git', ['clone', '--quiet', '--no-hardlinks', REPO, dir]);
  return dir;
}

/** Uses an installed `vault` (or `node bin/vault.js`) for real: init, add, list, get. */
function useVault([cmd, ...pre]: [string, ...string[]]): void {
  const home = fs.mkdtempSync(path.join(root, 'home-'));
  const pass = path.join(home, 'pass');
  fs.writeFileSync(pass, `${CANARY.vaultPassphrase}\n`, { mode: 0o600 });
  const env = { PATH: process.env.PATH, HOME: home, XDG_DATA_HOME: home, XDG_CONFIG_HOME: home, XDG_CACHE_HOME: home, TMPDIR: home, LANG: 'C.UTF-8' };
  const v = (args: string[], input = '') => spawnSync(cmd, [...pre, '--vault', path.join(home, 'v.exv'), '--passphrase-file', pass, ...args], { env, input, encoding: 'utf8', timeout: STEP_MS });
  for (const args of [['init', ...FAST_KDF], ['add', 'bot', '--exchange', 'binance'], ['list']]) {
    const r = v(args, JSON.stringify({ apiKey: CANARY.apiKey, apiSecret: CANARY.apiSecret }));
    outputs.push(r.stdout, r.stderr);
    expect({ args, status: r.status, stderr: r.status === 0 ? '' : r.stderr }).toEqual({ args, status: 0, stderr: '' });
  }
  // `get` reveals on purpose: its output is compared, not kept for the canary check.
  const got = v(['get', 'bot', 'apiSecret', '--raw']);
  expect(got.status).toBe(0);
  expect(got.stdout === CANARY.apiSecret).toBe(true);
  fs.rmSync(home, { recursive: true, force: true });
}

/** The installed package: both commands start and report this version; no development dependency came along. */
function checkGlobal(prefix: string): void {
  for (const cmd of ['vault', 'exvault']) {
    expect(run(path.join(prefix, 'bin', cmd), ['--version']).trim()).toBe(PKG.version);
    expect(run(path.join(prefix, 'bin', cmd), ['--help'])).toMatch(/^Usage: vault /m);
  }
  const modules = path.join(fs.realpathSync(path.join(prefix, 'lib', 'node_modules', PKG.name)), 'node_modules');
  for (const dev of Object.keys(PKG.devDependencies)) expect({ dev, installed: fs.existsSync(path.join(modules, dev)) }).toEqual({ dev, installed: false });
  for (const dep of Object.keys(PKG.dependencies)) expect({ dep, installed: fs.existsSync(path.join(modules, dep)) }).toEqual({ dep, installed: true });
  useVault([path.join(prefix, 'bin', 'vault')]);
}

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'exvault-install-'));
});
afterAll(() => {
  expect(findCanary(outputs.join('\n'))).toBeNull();
  fs.rmSync(root, { recursive: true, force: true });
});

it('npm install -g . from a fresh clone', () => {
  const src = clone('global-dot');
  const prefix = path.join(root, 'prefix-dot');
  run('npm', ['install', '-g', '.', '--prefix', prefix], { cwd: src });
  checkGlobal(prefix);
  // The install changed nothing that git tracks (no rewritten lock).
  expect(run('git', ['status', '--porcelain'], { cwd: src })).toBe('');
});

it('npm pack from a fresh clone lists only what a user needs, and its tarball installs with npm install -g', () => {
  const src = clone('pack');
  const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', root], { cwd: src })) as { filename: string; files: { path: string }[] }[];
  const [tarball] = packed;
  const files = tarball!.files.map((f) => f.path).sort();
  expect(files).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'package.json', 'bin/vault.js', 'dist/cli.js', 'dist/cli.js.cache', 'dist/exec.js', 'dist/exec.js.cache', 'docs/FORMAT.md', 'docs/vault.1', 'completions/vault.bash']));
  expect(files.filter((f) => !/^(LICENSE|README\.md|package\.json|bin\/vault\.js|dist\/(cli|exec)\.js(\.cache)?|docs\/[^/]+\.(md|1)|completions\/[^/]+|examples\/[^/]+)$/.test(f))).toEqual([]);
  expect(run('git', ['status', '--porcelain'], { cwd: src })).toBe('');
  const prefix = path.join(root, 'prefix-pack');
  run('npm', ['install', '-g', path.join(root, tarball!.filename), '--prefix', prefix], { cwd: root });
  checkGlobal(prefix);
});

it('npm pack git+file://... (no clone of your own), then npm install -g of the tarball', () => {
  const src = clone('git-source');
  const out = path.join(root, 'git-pack');
  fs.mkdirSync(out);
  const packed = JSON.parse(run('npm', ['pack', '--json', `git+file://${src}`], { cwd: out })) as { filename: string }[];
  const prefix = path.join(root, 'prefix-git');
  run('npm', ['install', '-g', path.join(out, packed[0]!.filename), '--prefix', prefix], { cwd: out });
  checkGlobal(prefix);
});

it('npm install --omit=dev in a fresh clone, then node bin/vault.js; the lock stays as it is', () => {
  const src = clone('omit-dev');
  run('npm', ['install', '--omit=dev'], { cwd: src });
  expect(run('git', ['status', '--porcelain'], { cwd: src })).toBe('');
  expect(fs.existsSync(path.join(src, 'node_modules', 'esbuild'))).toBe(false);
  expect(run(process.execPath, ['bin/vault.js', '--version'], { cwd: src }).trim()).toBe(PKG.version);
  useVault([process.execPath, path.join(src, 'bin', 'vault.js')]);
});

it('npm ci accepts the lock of a fresh clone (complete for every platform) and leaves it as it is', () => {
  const src = clone('ci');
  run('npm', ['ci', '--ignore-scripts'], { cwd: src });
  expect(run('git', ['status', '--porcelain'], { cwd: src })).toBe('');
  run('npm', ['install', '--package-lock-only', '--ignore-scripts'], { cwd: src });
  expect(run('git', ['status', '--porcelain'], { cwd: src })).toBe('');
});
