// Opening a vault with a passphrase at each KDF preset: wall time and peak memory of
// `vault list`, against a bare Node process deriving one Argon2id key with the same
// libsodium build and parameters; libsodium's own published figures for context.
// Usage: node bench/kdf.mjs [--quick]
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { BenchHome, CLI, ROOT, compare, median, ms, peakRssMiB, ratio, timeOnce } from './lib/harness.mjs';
import { main } from './lib/report.mjs';

const BASELINE = join(ROOT, 'bench/lib/argon-baseline.cjs');
// libsodium's documentation (password_hashing/default_phf), measured with native code on a
// 2.8 GHz Core i7; it gives no time for the interactive preset.
const PRESETS = [
  { name: 'interactive', mib: 64, ops: 2, published: 'no time published' },
  { name: 'moderate', mib: 256, ops: 3, published: '≈ 0.7 s' },
  { name: 'sensitive', mib: 1024, ops: 4, published: '≈ 3.5 s' },
];

export async function run({ quick = false } = {}) {
  const rows = [];
  const checks = [];
  for (const p of PRESETS) {
    const runs = quick ? 3 : p.mib >= 1024 ? 5 : 9;
    const home = new BenchHome(`kdf-${p.name}`).withoutKeychain();
    try {
      home.vault(['init', '--kdf', p.name]);
      const open = () => timeOnce(process.execPath, [CLI, 'list'], home.env);
      const bare = () => timeOnce(process.execPath, [BASELINE, String(p.ops), String(p.mib)], home.env);
      const t = compare(open, bare, runs, 1);
      // The derivation alone, timed inside the baseline process.
      const derive = median(Array.from({ length: Math.min(runs, 5) }, () => Number(spawnSync(process.execPath, [BASELINE, String(p.ops), String(p.mib)], { env: { ...home.env, EXVAULT_BENCH_PRINT: '1' } }).stdout)));
      const memOpen = median(Array.from({ length: 3 }, () => peakRssMiB([CLI, 'list'], home.env)));
      const memBare = median(Array.from({ length: 3 }, () => peakRssMiB([BASELINE, String(p.ops), String(p.mib)], home.env)));
      rows.push([`${p.name} (${p.mib} MiB, t=${p.ops})`, ms(t.a), ms(t.b), ratio(t.ratio), ms(derive), p.published, `${memOpen.toFixed(0)} MiB`, `${memBare.toFixed(0)} MiB`]);
      checks.push({ what: `open at ${p.name} vs bare Argon2id (our own bar)`, value: ratio(t.ratio), target: '≤ 1.3×', ok: t.ratio <= 1.3 });
    } finally {
      home.cleanup();
    }
  }
  return {
    title: 'Opening with a passphrase, per KDF preset',
    intro: '`vault list` on a one-entry vault unlocked by `--passphrase-file`, against a bare Node process that loads the same libsodium (WASM) and derives one key with the same parameters; alternating runs, medians. "Argon2id alone" is the derivation timed inside that process. Peak memory is VmHWM, median of 3 runs.',
    head: ['preset', 'vault open', 'bare Argon2id process', 'ratio', 'Argon2id alone', 'libsodium published (native, 2.8 GHz i7)', 'peak memory, vault', 'peak memory, bare'],
    rows,
    checks,
    notes: ['The derivation is nearly all of the time: the vault adds Node start-up of its own code, the file read and the AEAD. WebAssembly Argon2id is slower than libsodium\'s native figures, the price of a dependency that installs without a compiler.'],
  };
}

main(import.meta.url, run);
