// Opening a vault with a passphrase at each KDF preset, through the native Argon2id and through
// the WebAssembly fallback: wall time and peak memory of `vault list`, and of a bare Node
// process deriving one key with the same implementation and parameters. Then format v2's
// presets (KDF_PRESETS: more passes, 4 lanes; new vaults use them): bare derivations, against
// format 1's through WebAssembly (what unlocking cost before).
// Usage: node bench/kdf.mjs [--quick]
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { BenchHome, CLI, ROOT, compare, median, ms, peakRssMiB, ratio, timeOnce } from './lib/harness.mjs';
import { main } from './lib/report.mjs';

const WASM = join(ROOT, 'bench/lib/argon-baseline.cjs');
const NATIVE = join(ROOT, 'bench/lib/argon-native.cjs');
// napi-rs's loader tries only this path when it is set: the vault falls back to libsodium.
const NO_NATIVE = { NAPI_RS_NATIVE_LIBRARY_PATH: '/nonexistent/argon2.node' };
// Mirrors src/format/limits.ts (KDF_PRESETS_V1 and KDF_PRESETS).
const PRESETS = [
  { name: 'interactive', mib: 64, ops: 2, v2: { ops: 4, lanes: 4 } },
  { name: 'moderate', mib: 256, ops: 3, v2: { ops: 6, lanes: 4 } },
  { name: 'sensitive', mib: 1024, ops: 4, v2: { ops: 8, lanes: 4 } },
];

const bareArgs = (impl, ops, mib, lanes) => (impl === 'wasm' ? [WASM, String(ops), String(mib)] : [NATIVE, String(ops), String(mib), String(lanes)]);

export async function run({ quick = false } = {}) {
  const rows = [];
  const checks = [];
  for (const p of PRESETS) {
    const runs = quick ? 3 : p.mib >= 1024 ? 3 : 7;
    const home = new BenchHome(`kdf-${p.name}`).withoutKeychain();
    try {
      // One lane, as format 1's presets: the WebAssembly fallback opens only one-lane vaults.
      home.vault(['init', '--kdf-memory', String(p.mib), '--kdf-passes', String(p.ops)]);
      const wasmEnv = { ...home.env, ...NO_NATIVE };
      // The vault through each implementation, alternating.
      const t = compare(() => timeOnce(process.execPath, [CLI, 'list'], home.env), () => timeOnce(process.execPath, [CLI, 'list'], wasmEnv), runs, 1);
      const bare = (impl, ops, lanes) => compare(() => timeOnce(process.execPath, bareArgs(impl, ops, p.mib, lanes), home.env), () => 0, runs, 1).a;
      const rss = (args, env) => median(Array.from({ length: 3 }, () => peakRssMiB(args, env)));
      const wasmBare = bare('wasm', p.ops, 1);
      const nativeBare = bare('native', p.ops, 1);
      const v2Bare = bare('native', p.v2.ops, p.v2.lanes);
      const cost = (mib, ops) => `${mib * ops} MiB·passes`;
      rows.push([`v1 ${p.name}: ${p.mib} MiB, t=${p.ops}, 1 lane`, 'WebAssembly', cost(p.mib, p.ops), ms(t.b), ms(wasmBare), `${rss([CLI, 'list'], wasmEnv).toFixed(0)} MiB`, `${rss(bareArgs('wasm', p.ops, p.mib, 1), home.env).toFixed(0)} MiB`]);
      rows.push([`v1 ${p.name}: ${p.mib} MiB, t=${p.ops}, 1 lane`, 'native', cost(p.mib, p.ops), ms(t.a), ms(nativeBare), `${rss([CLI, 'list'], home.env).toFixed(0)} MiB`, `${rss(bareArgs('native', p.ops, p.mib, 1), home.env).toFixed(0)} MiB`]);
      rows.push([`v2 ${p.name}: ${p.mib} MiB, t=${p.v2.ops}, ${p.v2.lanes} lanes`, 'native', cost(p.mib, p.v2.ops), '(needs format v2)', ms(v2Bare), '', `${rss(bareArgs('native', p.v2.ops, p.mib, p.v2.lanes), home.env).toFixed(0)} MiB`]);
      checks.push({ what: `open at ${p.name} (native) vs bare native Argon2id (our own bar)`, value: ratio(t.a / nativeBare), target: '≤ 1.3×', ok: t.a / nativeBare <= 1.3 });
      checks.push({ what: `v2 ${p.name} (native, ${p.v2.lanes} lanes) vs v1 ${p.name} through WebAssembly, bare derivation`, value: ratio(v2Bare / wasmBare), target: '≤ 1.0×', ok: v2Bare <= wasmBare });
      checks.push({ what: `attacker cost, v2 ${p.name} vs v1 (memory × passes)`, value: ratio(p.v2.ops / p.ops), target: '≥ 2×', ok: p.v2.ops / p.ops >= 2 });
    } finally {
      home.cleanup();
    }
  }
  return {
    title: 'Opening with a passphrase, per KDF preset and Argon2id implementation',
    intro: '`vault list` on a one-entry vault unlocked by `--passphrase-file`, through the native Argon2id (@node-rs/argon2) and through the WebAssembly fallback (libsodium, forced by making the native addon unloadable), alternating runs, medians; "bare derivation" is a Node process that loads only that implementation and derives one key (start-up included). Peak memory is VmHWM, median of 3 runs. Format v2\'s presets cannot be written into a v1 vault, so only their bare derivation is timed.',
    head: ['preset', 'Argon2id', 'attacker cost', 'vault open', 'bare derivation', 'peak memory, vault', 'peak memory, bare'],
    rows,
    checks,
    notes: [`Machine: ${spawnSync('nproc').stdout.toString().trim()} cores. Lanes run in parallel natively (libuv thread pool, 4 threads by default), so the v2 presets' extra passes are paid for by the cores a single-lane derivation leaves idle; an attacker pays memory × passes whatever the lanes.`],
  };
}

main(import.meta.url, run);
