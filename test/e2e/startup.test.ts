// The bundles' V8 code caches ship with the package (dist/cli.js.cache, dist/exec.js.cache,
// made by the build): V8 accepts them at run time, and nothing is read from or written to the
// user's cache folder. `vault exec` runs from its own bundle (dist/exec.js), chosen by the
// command word.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Sandbox } from '../helpers/cli';

const BIN = path.resolve(__dirname, '../../bin/vault.js');

let sb: Sandbox;
beforeAll(() => {
  sb = new Sandbox();
});
afterAll(() => {
  sb.assertNoCanary();
  sb.cleanup();
});

it.each(['cli.js', 'exec.js'])('the packaged cache of %s exists and V8 accepts it for that bundle', (bundle) => {
  const file = path.resolve(__dirname, '../../dist', bundle);
  expect(fs.statSync(`${file}.cache`).size).toBeGreaterThan(1000);
  const r = spawnSync(process.execPath, ['-e', `const b = require(${JSON.stringify(BIN)}); const d = b.packagedCache(${JSON.stringify(file)}); console.log(Boolean(d), b.compile(d, ${JSON.stringify(file)}).cachedDataRejected);`], { encoding: 'utf8' });
  expect(r.stdout.trim()).toBe('true false');
});

it("one bundle's cache is rejected for the other (V8 checks the source's length)", () => {
  const [cli, exec] = ['cli.js', 'exec.js'].map((b) => path.resolve(__dirname, '../../dist', b));
  const r = spawnSync(process.execPath, ['-e', `const b = require(${JSON.stringify(BIN)}); console.log(b.compile(b.packagedCache(${JSON.stringify(cli)}), ${JSON.stringify(exec)}).cachedDataRejected);`], { encoding: 'utf8' });
  expect(r.stdout.trim()).toBe('true');
});

it('the bundles are pure ASCII (bin/vault.js reads them as Latin-1)', () => {
  for (const b of ['cli.js', 'exec.js']) expect(fs.readFileSync(path.resolve(__dirname, '../../dist', b)).some((c) => c > 0x7f)).toBe(false);
});

it('the command word picks the bundle: exec (after global options and their values) runs dist/exec.js, anything else dist/cli.js', () => {
  const cases: [string[], string][] = [
    [['exec', 'bot', '--', 'true'], 'exec.js'],
    [['--vault', 'exec', 'list'], 'cli.js'],
    [['--vault', 'v.exv', '--passphrase-file', 'p', 'exec', 'bot'], 'exec.js'],
    [['-q', 'exec', '--help'], 'exec.js'],
    [['list', '--', 'exec'], 'cli.js'],
    [['--', 'exec'], 'cli.js'],
    [['--version'], 'cli.js'],
    [[], 'cli.js'],
  ];
  const r = spawnSync(process.execPath, ['-e', `const b = require(${JSON.stringify(BIN)}); console.log(JSON.stringify(${JSON.stringify(cases.map(([a]) => a))}.map((a) => require('path').basename(b.bundleFor(a)))));`], { encoding: 'utf8' });
  expect(JSON.parse(r.stdout)).toEqual(cases.map(([, want]) => want));
});

it('exec from its own bundle: help names its options, and a usage error is the same one line, exit 2', async () => {
  const help = await sb.run(['exec', '--help']);
  expect(help.code).toBe(0);
  expect(help.stdout).toContain('--env-from <path>');
  expect(help.stdout).toContain('--no-wrapper');
  const bad = await sb.run(['exec', '--no-such-option', 'bot', '--', 'true']);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/^vault: error: unknown option '--no-such-option'\n/);
});

it('a run writes nothing to the user cache folder', async () => {
  expect((await sb.run(['--version'])).code).toBe(0);
  expect((await sb.run(['exec', '--help'])).code).toBe(0);
  expect(fs.readdirSync(sb.env.XDG_CACHE_HOME!)).toEqual([]);
});

it('runs without the cache (EXVAULT_NO_CODE_CACHE=1)', async () => {
  expect((await sb.run(['--version'], { env: { EXVAULT_NO_CODE_CACHE: '1' } })).code).toBe(0);
  expect((await sb.run(['exec', '--help'], { env: { EXVAULT_NO_CODE_CACHE: '1' } })).code).toBe(0);
});
