// `vault scan` over a generated tree of 10,000 files (source-like text, 1-8 KiB each) with a
// vault of 50 entries: median of repeated runs, files per second.
// Usage: node bench/scan.mjs [files] [runs]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const files = Number(process.argv[2] ?? 10_000);
const runs = Number(process.argv[3] ?? 5);
const cli = join(root, 'bin/vault.js');
const dir = mkdtempSync(join(tmpdir(), 'exvault-bench-scan-'));
const env = { ...process.env, XDG_DATA_HOME: join(dir, 'data'), XDG_CACHE_HOME: join(dir, 'cache'), HOME: dir, EXVAULT_PASSPHRASE_FILE: join(dir, 'pass') };
delete env.DBUS_SESSION_BUS_ADDRESS;
writeFileSync(env.EXVAULT_PASSPHRASE_FILE, 'benchmark passphrase 1234\n', { mode: 0o600 });
const vault = (args, input) => execFileSync(process.execPath, [cli, ...args], { env, input, stdio: ['pipe', 'pipe', 'pipe'] });
vault(['init', '--kdf-memory', '19', '--kdf-passes', '2']);
const entries = Array.from({ length: 50 }, (_, i) => ({ name: `e${i}`, exchange: 'okx', secrets: { apiKey: `key-${i}-${'k'.repeat(30)}`, apiSecret: `sec-${i}-${'s'.repeat(40)}`, passphrase: `pass-${i}-xyz` } }));
writeFileSync(join(dir, 'import.json'), JSON.stringify({ format: 'exvault-export', version: 1, entries }));
vault(['import', 'json', join(dir, 'import.json'), '--yes']);

const tree = join(dir, 'tree');
const line = 'def handler(event, context):  # a line of ordinary source code, nothing secret here\n';
for (let i = 0; i < files; i++) {
  const sub = join(tree, `d${i % 100}`);
  if (i < 100) mkdirSync(sub, { recursive: true });
  writeFileSync(join(sub, `f${i}.py`), line.repeat(12 + (i % 84)));
}
const times = [];
for (let i = 0; i < runs; i++) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [cli, 'scan', tree], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  if (r.status !== 0) throw new Error(`scan exited ${r.status}: ${r.stderr}`);
}
const median = [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)];
console.log(`vault scan, ${files} files, 50 entries (${150 * 7} patterns): median ${median.toFixed(0)} ms over ${runs} runs, ${Math.round(files / (median / 1000))} files/s`);
rmSync(dir, { recursive: true, force: true });
