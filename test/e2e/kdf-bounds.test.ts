// KDF parameters read from a hostile file: out-of-bounds ones are refused before libsodium is
// even loaded, and an in-bounds but unusually expensive unlock is announced before deriving.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Sandbox } from '../helpers/cli';

// Offsets of the passphrase slot's KDF fields in a new (format 2) one-slot vault (docs/FORMAT.md):
// preamble 14, vault id 16, write id 16, scope table 13 (count, id, name length, "default"),
// slot count 1, slot type 1, payload length 2.
const ALG_AT = 14 + 16 + 16 + 13 + 1 + 1 + 2;
const OPS_AT = ALG_AT + 1;
const MEM_AT = OPS_AT + 4;

let sb: Sandbox;
let hook: string;
let loaded: string;

beforeAll(async () => {
  sb = new Sandbox();
  await sb.init();
  loaded = path.join(sb.root, 'tmp', 'loaded.txt');
  // Preloaded into the vault process: writes, at exit, which libsodium modules were loaded.
  hook = path.join(sb.root, 'tmp', 'record-loads.js');
  fs.writeFileSync(hook, `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(loaded)}, Object.keys(require.cache).filter((k) => k.includes('libsodium')).join('\\n')));\n`);
}, 120_000);
afterAll(() => {
  sb.assertNoCanary();
  sb.cleanup();
});

function withKdf(ops: number, memKiB: number): string {
  const bytes = fs.readFileSync(sb.vault);
  bytes.writeUInt32BE(ops, OPS_AT);
  bytes.writeUInt32BE(memKiB, MEM_AT);
  const f = path.join(sb.root, 'tmp', `hostile-${ops}-${memKiB}.exv`);
  fs.writeFileSync(f, bytes, { mode: 0o600 });
  return f;
}

it.each([
  ['passes above the cap', 11, 64 * 1024],
  ['memory above the cap', 2, 2 * 1024 * 1024],
  ['memory below the floor', 2, 1024],
])('%s: refused (exit 5) without loading libsodium', async (_n, ops, mem) => {
  const f = withKdf(ops, mem);
  const r = await sb.vaultCmd(['--vault', f, 'list'], { env: { NODE_OPTIONS: `--require ${hook}` } });
  expect(r.code).toBe(5);
  expect(r.stderr).toMatch(/kdf parameters (above the maximum|below the minimum)/);
  expect(fs.readFileSync(loaded, 'utf8')).toBe('');
});

it('a vault at the cap (1 GiB, 10 passes) says an unusually expensive unlock is starting, before deriving', async () => {
  const f = withKdf(10, 1024 * 1024);
  const { child, done } = sb.start(['--passphrase-file', sb.passFile, '--vault', f, 'list']);
  let stderr = '';
  const seen = new Promise<boolean>((resolve) => {
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (/unusually expensive unlock/.test(stderr)) resolve(true);
    });
    void done.then(() => resolve(false));
  });
  // Seen while the derivation is still running: the process has not ended.
  expect(await seen).toBe(true);
  expect(child.exitCode).toBeNull();
  child.kill('SIGKILL');
  await done;
  expect(stderr).toMatch(/^vault: warning: this vault asks for an unusually expensive unlock \(argon2id, 1024 MiB, 10 passes\)/m);
}, 180_000);
