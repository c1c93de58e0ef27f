// Format 2 at scale: vaults of 10 and 50,000 entries (a quarter with multi-line PEM keys),
// the big one built in one write through the format library (bench/lib/fill-entries.ts), both
// unlocked through a passphrase file with the weakest KDF the format accepts (19 MiB, 2
// passes): the same constant cost on both sides, kept small so the ratio shows the format. Each command on the 50,000-entry vault runs
// alternately with the same command on the 10-entry vault; the ratio is of medians. Also the
// file size against the same entries as plain JSON.
// Usage: node bench/scale-v2.mjs [--quick]
import { spawnSync } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { BenchHome, CLI, ROOT, compare, ms, ratio } from './lib/harness.mjs';
import { exportText, makeEntries } from './lib/fixtures.mjs';
import { main } from './lib/report.mjs';

const SIZES = [10, 50_000];
const NEW_ENTRY = JSON.stringify({ apiKey: 'A'.repeat(64), apiSecret: 'B'.repeat(64) });

async function filler(dir) {
  const out = join(dir, 'fill-entries.cjs');
  await build({ entryPoints: [join(ROOT, 'bench/lib/fill-entries.ts')], outfile: out, bundle: true, platform: 'node', format: 'cjs', external: ['libsodium-wrappers-sumo', '@napi-rs/keyring', '@node-rs/argon2'], nodePaths: [join(ROOT, 'node_modules')], logLevel: 'error' });
  return out;
}

async function makeVault(n) {
  const home = new BenchHome(`scale2-${n}`).withoutKeychain();
  home.vault(['init', '--kdf-memory', '19', '--kdf-passes', '2', '--allow-weak-kdf']);
  const entries = makeEntries(n);
  const fixture = join(home.dir, 'entries.json');
  const text = exportText(entries);
  writeFileSync(fixture, text);
  const r = spawnSync(process.execPath, [await filler(home.dir), home.vaultFile, home.passFile, fixture], { env: { ...home.env, NODE_PATH: join(ROOT, 'node_modules') }, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('filling the vault failed');
  // "Plain JSON": the entries as `vault export --format json` would write them, compact.
  return { n, home, plain: Buffer.byteLength(text), fileBytes: statSync(home.vaultFile).size };
}

/** As harness timeOnce, but with standard output a pipe: `vault exec` with its standard output
 *  on /dev/null and standard error a pipe does not return (seen on main too; see notes/fmt.md). */
function timeOnce(cmd, args, env, input, ok = [0]) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env, input, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], maxBuffer: 256 << 20, timeout: 300_000 });
  const t = Number(process.hrtime.bigint() - t0) / 1e6;
  if (!ok.includes(r.status)) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}: ${String(r.stderr).slice(0, 300)}`);
  return t;
}

function commands(v) {
  let added = 0;
  const run = (args, input, ok) => () => timeOnce(process.execPath, [CLI, ...args], v.home.env, input, ok);
  return {
    'exec one entry': run(['exec', 'bot-00001', '--', 'true']),
    'get one value': run(['get', 'bot-00001', 'apiKey']),
    add: () => run(['add', `new-${added++}`, '--exchange', 'binance'], NEW_ENTRY)(),
    list: run(['list']),
    // check exits 10/11 when keys are due: a status, not a failure.
    check: run(['check'], undefined, [0, 10, 11]),
  };
}

export async function run({ quick = false } = {}) {
  const runs = quick ? 5 : 11;
  const vaults = [];
  for (const n of SIZES) vaults.push(await makeVault(n));
  try {
    const [small, big] = vaults;
    const a = commands(big);
    const b = commands(small);
    const rows = [];
    const checks = [];
    const targets = { 'exec one entry': 1.3, 'get one value': 1.3, add: 1.5 };
    for (const name of Object.keys(a)) {
      const heavy = name === 'list' || name === 'check';
      const t = compare(a[name], b[name], heavy ? Math.min(runs, 5) : runs, heavy ? 1 : 2);
      rows.push([name, ms(t.a), ms(t.b), ratio(t.ratio)]);
      if (targets[name]) checks.push({ what: `${name} at 50,000 entries vs 10`, value: ratio(t.ratio), target: `≤ ${targets[name]}×`, ok: t.ratio <= targets[name] });
    }
    const sizeRows = vaults.map((v) => [v.n.toLocaleString('en'), `${(v.fileBytes / 1024).toFixed(1)} KiB`, `${(v.plain / 1024).toFixed(1)} KiB`, ratio(v.fileBytes / v.plain)]);
    return {
      title: 'Scale (format 2)',
      intro: `Vaults of 10 and 50,000 entries in format 2, unlocked through a passphrase file with the weakest KDF allowed (19 MiB, 2 passes). Each command on the 50,000-entry vault ran alternately with the same command on the 10-entry vault (${runs} runs, list and check 5, after warm-up); medians. \`add\` writes a new entry each run.`,
      head: ['command', '50,000 entries', '10 entries', 'ratio'],
      rows,
      checks,
      notes: ['File size against the same entries as plain JSON:', '', '| entries | vault file | plain JSON | ratio |', '|---|---|---|---|', ...sizeRows.map((r) => `| ${r.join(' | ')} |`)],
    };
  } finally {
    for (const v of vaults) v.home.cleanup();
  }
}

main(import.meta.url, run);
