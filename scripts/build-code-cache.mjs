// Writes dist/cli.js.cache, V8's code cache of the bundle, shipped with the package so that
// nothing outside it decides what code runs (bin/vault.js reads no other cache). The cache is
// taken after a real `vault exec` on a throw-away vault, so the functions that path compiles
// lazily are in it too. Run by scripts/build.mjs right after the bundle is written.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../bin/vault.js', import.meta.url));

export function buildCodeCache() {
  const dir = mkdtempSync(join(tmpdir(), 'exvault-build-'));
  try {
    const pass = join(dir, 'pass');
    writeFileSync(pass, 'build-time throw-away passphrase: correct horse battery staple 7f3a\n', { mode: 0o600 });
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir, XDG_CACHE_HOME: dir, TMPDIR: dir, LANG: 'C.UTF-8', EXVAULT_PASSPHRASE_FILE: pass };
    const vault = (args, extra = {}) => {
      const r = spawnSync(process.execPath, [bin, '--vault', join(dir, 'v.exv'), ...args], { env: { ...env, ...extra }, input: JSON.stringify({ apiKey: 'k'.repeat(64), apiSecret: 's'.repeat(64) }), encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`code cache workload "vault ${args[0]}" failed: ${r.stderr}`);
    };
    vault(['init', '--kdf-memory', '19', '--kdf-passes', '2', '--allow-weak-kdf'], { EXVAULT_NO_CODE_CACHE: '1' });
    vault(['add', 'bot', '--exchange', 'binance'], { EXVAULT_NO_CODE_CACHE: '1' });
    // The cached run: compiles without a cache, runs the workload, writes the cache at exit.
    const out = join(dir, 'cli.js.cache');
    const script = `
      const b = require(${JSON.stringify(bin)});
      const s = b.compile(undefined);
      process.once('exit', () => require('fs').writeFileSync(${JSON.stringify(out)}, s.createCachedData()));
      process.argv.splice(1, process.argv.length, ${JSON.stringify(bin)}, ...JSON.parse(process.env.WORKLOAD));
      b.start(s);`;
    const workload = ['--vault', join(dir, 'v.exv'), 'exec', 'bot', '--', 'true'];
    const r = spawnSync(process.execPath, ['-e', script], { env: { ...env, WORKLOAD: JSON.stringify(workload) }, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`code cache workload failed: ${r.stderr}`);
    copyFileSync(out, createRequire(import.meta.url)(bin).cacheFile);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
