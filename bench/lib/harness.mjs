// What every benchmark shares: a throw-away vault home, timing of whole processes, medians
// of alternating runs against a baseline, and peak memory of a process.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
export const CLI = join(ROOT, 'bin/vault.js');
const PEAK_RSS = join(ROOT, 'bench/lib/peak-rss.cjs');
export const PASSPHRASE = 'benchmark passphrase 1234';

/** Keychain benchmarks need a Secret Service: without a D-Bus session, re-run under one. */
export function ensureKeyring() {
  if (process.env.DBUS_SESSION_BUS_ADDRESS) return;
  const r = spawnSync(join(ROOT, 'scripts/with-keyring.sh'), [process.execPath, ...process.argv.slice(1)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** A vault in its own temporary home; `vault` runs the built CLI there. */
export class BenchHome {
  constructor(tag) {
    this.dir = mkdtempSync(join(tmpdir(), `exvault-bench-${tag}-`));
    this.passFile = join(this.dir, 'pass');
    writeFileSync(this.passFile, `${PASSPHRASE}\n`, { mode: 0o600 });
    this.env = {
      ...cleanEnv(process.env),
      HOME: this.dir,
      XDG_DATA_HOME: join(this.dir, 'data'),
      XDG_CONFIG_HOME: join(this.dir, 'config'),
      XDG_CACHE_HOME: join(this.dir, 'cache'),
      EXVAULT_PASSPHRASE_FILE: this.passFile,
    };
    this.vaultFile = join(this.dir, 'data/exvault/vault.exv');
  }
  /** Unlock with the passphrase file only, never the keychain. */
  withoutKeychain() {
    delete this.env.DBUS_SESSION_BUS_ADDRESS;
    return this;
  }
  vault(args, input) {
    return execFileSync(process.execPath, [CLI, ...args], { env: this.env, input, stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  }
  cleanup() {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Wall time of one process in ms; an exit status not in `ok` is an error, never a figure. */
export function timeOnce(cmd, args, env, input, ok = [0]) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env, input, stdio: [input === undefined ? 'ignore' : 'pipe', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (!ok.includes(r.status)) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}: ${String(r.stderr).slice(0, 300)}`);
  return ms;
}

/**
 * Runs a and b alternately (after warm-up runs of each) so both see the same machine
 * state, and returns the median of each and their ratio.
 */
export function compare(a, b, runs, warmup = 2) {
  for (let i = 0; i < warmup; i++) {
    a(i);
    b(i);
  }
  const ta = [];
  const tb = [];
  for (let i = 0; i < runs; i++) {
    ta.push(a(i));
    tb.push(b(i));
  }
  const ma = median(ta);
  const mb = median(tb);
  return { a: ma, b: mb, ratio: ma / mb };
}

/** Peak resident memory (MiB) of one process, read from /proc by a preloaded module. */
export function peakRssMiB(nodeArgs, env, input) {
  const out = join(mkdtempSync(join(tmpdir(), 'exvault-rss-')), 'rss');
  const r = spawnSync(process.execPath, ['-r', PEAK_RSS, ...nodeArgs], { env: { ...env, EXVAULT_BENCH_RSS_FILE: out }, input, stdio: [input === undefined ? 'ignore' : 'pipe', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`node ${nodeArgs.join(' ')} exited ${r.status ?? r.signal}: ${String(r.stderr).slice(0, 300)}`);
  const kib = Number(readFileSync(out, 'utf8'));
  rmSync(join(out, '..'), { recursive: true, force: true });
  return kib / 1024;
}

export const ms = (x) => `${x.toFixed(x < 10 ? 1 : 0)} ms`;
export const ratio = (x) => `${x.toFixed(2)}×`;

/** Variables every Node side of a comparison runs without, so both start alike and as a user's
 *  would (DESIGN.md: with NODE_EXTRA_CA_CERTS, Node parses certificates at every start);
 *  printed with the figures. */
export const CLEARED_ENV = ['NODE_EXTRA_CA_CERTS', 'NODE_OPTIONS'];

/** The environment with CLEARED_ENV removed. */
export function cleanEnv(env) {
  const out = { ...env };
  for (const k of CLEARED_ENV) delete out[k];
  return out;
}

/** Instructions (millions) one run of the command executes under callgrind, or null without
 *  valgrind: repeatable where wall time on a shared machine is not. */
export function instructions(cmd, args, env, input) {
  if (spawnSync('valgrind', ['--version']).status !== 0) return null;
  const dir = mkdtempSync(join(tmpdir(), 'exvault-callgrind-'));
  try {
    const r = spawnSync('valgrind', ['--tool=callgrind', `--callgrind-out-file=${join(dir, 'out')}`, cmd, ...args], { env, input, stdio: [input === undefined ? 'ignore' : 'pipe', 'ignore', 'pipe'], maxBuffer: 64 << 20 });
    const m = /Collected : (\d+)/.exec(String(r.stderr));
    return m ? Number(m[1]) / 1e6 : null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const mInstr = (x) => (x === null ? 'n/a' : `${x.toFixed(0)}M`);
