// The bundle's V8 code cache ships with the package (dist/cli.js.cache, made by the build):
// V8 accepts it at run time, and nothing is read from or written to the user's cache folder.
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

it('the packaged cache exists and V8 accepts it for this bundle', () => {
  expect(fs.statSync(`${path.resolve(__dirname, '../../dist/cli.js')}.cache`).size).toBeGreaterThan(1000);
  const r = spawnSync(process.execPath, ['-e', `const b = require(${JSON.stringify(BIN)}); const d = b.packagedCache(); console.log(Boolean(d), b.compile(d).cachedDataRejected);`], { encoding: 'utf8' });
  expect(r.stdout.trim()).toBe('true false');
});

it('a run writes nothing to the user cache folder', async () => {
  expect((await sb.run(['--version'])).code).toBe(0);
  expect(fs.readdirSync(sb.env.XDG_CACHE_HOME!)).toEqual([]);
});

it('runs without the cache (EXVAULT_NO_CODE_CACHE=1)', async () => {
  expect((await sb.run(['--version'], { env: { EXVAULT_NO_CODE_CACHE: '1' } })).code).toBe(0);
});
