// The bundle's V8 code cache (bin/vault.js): private, optional, and harmless when damaged.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Sandbox } from '../helpers/cli';

let sb: Sandbox;
beforeAll(() => {
  sb = new Sandbox();
});
afterAll(() => {
  sb.assertNoCanary();
  sb.cleanup();
});

const cacheDir = () => path.join(sb.env.XDG_CACHE_HOME!, 'exvault');
const cacheFiles = () => (fs.existsSync(cacheDir()) ? fs.readdirSync(cacheDir()).filter((f) => f.endsWith('.v8')) : []);

it('is written after a run, private to the user', async () => {
  expect((await sb.run(['--version'])).code).toBe(0);
  expect(cacheFiles()).toHaveLength(1);
  expect(fs.statSync(cacheDir()).mode & 0o777).toBe(0o700);
  expect(fs.statSync(path.join(cacheDir(), cacheFiles()[0]!)).mode & 0o777).toBe(0o600);
});

it('a damaged cache is rejected by V8 and replaced; the command works', async () => {
  const f = path.join(cacheDir(), cacheFiles()[0]!);
  fs.writeFileSync(f, Buffer.alloc(4096, 0x41), { mode: 0o600 });
  const r = await sb.run(['--version']);
  expect(r).toMatchObject({ code: 0, stderr: '' });
  expect(fs.readFileSync(f).equals(Buffer.alloc(4096, 0x41))).toBe(false);
});

it('a cache others could write is not used, but replaced by a private one', async () => {
  const f = path.join(cacheDir(), cacheFiles()[0]!);
  // A valid cache: had it been used, nothing would be rewritten and the mode would stay.
  fs.chmodSync(f, 0o666);
  const r = await sb.run(['--version']);
  expect(r.code).toBe(0);
  expect(fs.statSync(f).mode & 0o777).toBe(0o600);
});
