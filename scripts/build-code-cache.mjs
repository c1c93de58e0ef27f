// Writes dist/exec.js.cache and dist/cli.js.cache, V8's code caches of the two bundles, shipped
// with the package so that nothing outside it decides what code runs (bin/vault.js reads no
// other cache). Each cache is taken after a real command on a throw-away vault (`vault exec`
// for exec.js, `vault list` for cli.js), so the functions that path compiles lazily are in it
// too. Run by scripts/build.mjs right after the bundles are written.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
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
    // The cached runs: each compiles its bundle without a cache, runs the workload, writes the cache at exit.
    for (const [bundle, workload] of [['exec.js', ['exec', 'bot', '--', 'true']], ['cli.js', ['list']]]) {
      const out = join(dir, `${bundle}.cache`);
      const script = `
        const b = require(${JSON.stringify(bin)});
        const file = b.bundleFor(JSON.parse(process.env.WORKLOAD));
        const s = b.compile(undefined, file);
        process.once('exit', () => require('fs').writeFileSync(${JSON.stringify(out)}, s.createCachedData()));
        process.argv.splice(1, process.argv.length, ${JSON.stringify(bin)}, ...JSON.parse(process.env.WORKLOAD));
        b.start(s, file);`;
      const argv = ['--vault', join(dir, 'v.exv'), ...workload];
      const r = spawnSync(process.execPath, ['-e', script], { env: { ...env, WORKLOAD: JSON.stringify(argv) }, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`code cache workload "vault ${workload[0]}" failed: ${r.stderr}`);
      copyFileSync(out, join(dirname(bin), '..', 'dist', `${bundle}.cache`));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
