// Scale (format 2): vaults of 10 and 50,000 entries (a quarter with multi-line PEM keys), the
// big one built in one write through the format library (bench/lib/fill-entries.ts), both
// unlocked through a passphrase file with the weakest KDF the format accepts (19 MiB, 2
// passes): the same constant cost on both sides, kept small so the ratio shows the format.
// Each command on the 50,000-entry vault runs alternately with the same command on the
// 10-entry vault; the ratio is of medians. Then instructions counted by callgrind for exec,
// get and add at both sizes (repeatable where wall time on a shared machine is not), the file
// size against the same entries as plain JSON, and `vault audit verify` over 100,000 records.
// Usage: node bench/scale-v2.mjs [--quick]   (bench/run.mjs runs it as "scale")
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { BenchHome, CLI, ROOT, compare, ms, ratio } from './lib/harness.mjs';
import { exportText, makeEntries } from './lib/fixtures.mjs';
import { main } from './lib/report.mjs';

const SIZES = [10, 50_000];
const AUDIT_RECORDS = 100_000;
const NEW_ENTRY = JSON.stringify({ apiKey: 'A'.repeat(64), apiSecret: 'B'.repeat(64) });
const TARGETS = { 'exec one entry': 1.3, 'get one value': 1.3, add: 1.5 };
/** Cleared for every process the bench starts: a CA bundle read at start-up (and any
 *  options) would be a constant cost that is not the vault's; no keychain, the passphrase file unlocks. */
const CLEARED = ['NODE_EXTRA_CA_CERTS', 'NODE_OPTIONS', 'DBUS_SESSION_BUS_ADDRESS'];
const EXTERNAL = ['libsodium-wrappers-sumo', '@napi-rs/keyring', '@node-rs/argon2'];

async function bundle(dir, entry) {
  const out = join(dir, entry.replace(/^.*\//, '').replace(/\.ts$/, '.cjs'));
  await build({ entryPoints: [join(ROOT, entry)], outfile: out, bundle: true, platform: 'node', format: 'cjs', external: EXTERNAL, nodePaths: [join(ROOT, 'node_modules')], logLevel: 'error' });
  return out;
}

function helper(v, file, args) {
  const r = spawnSync(process.execPath, [file, ...args], { env: { ...v.home.env, NODE_PATH: join(ROOT, 'node_modules') }, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`${file} failed`);
}

async function makeVault(n) {
  const home = new BenchHome(`scale-${n}`).withoutKeychain();
  for (const k of CLEARED) delete home.env[k];
  home.vault(['init', '--kdf-memory', '19', '--kdf-passes', '2', '--allow-weak-kdf']);
  const fixture = join(home.dir, 'entries.json');
  const text = exportText(makeEntries(n));
  writeFileSync(fixture, text);
  const v = { n, home, adds: { update: [], whole: [] } };
  helper(v, await bundle(home.dir, 'bench/lib/fill-entries.ts'), [home.vaultFile, home.passFile, fixture]);
  // "Plain JSON": the entries as `vault export --format json` would write them, compact.
  return { ...v, plain: Buffer.byteLength(text), fileBytes: statSync(home.vaultFile).size };
}

/** Wall time of one process, standard output a pipe. */
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
    // Whether each add appended an update or rewrote the file whole (a new file: another inode).
    add: () => {
      const ino = statSync(v.home.vaultFile).ino;
      const t = run(['add', `new-${added++}`, '--exchange', 'binance'], NEW_ENTRY)();
      (statSync(v.home.vaultFile).ino === ino ? v.adds.update : v.adds.whole).push(t);
      return t;
    },
    list: run(['list']),
    // check exits 10/11 when keys are due: a status, not a failure.
    check: run(['check'], undefined, [0, 10, 11]),
  };
}

// In this order: `scope add` changes the header, so it rewrites the file whole (what an add
// costs when it compacts), and leaves the file just written whole, so the add counted next is
// an update (what an add costs until updates have doubled the file).
const CALLGRIND_ARGS = {
  'exec one entry': ['exec', 'bot-00001', '--', 'true'],
  'get one value': ['get', 'bot-00001', 'apiKey'],
  'scope add (a whole rewrite)': ['scope', 'add', 'counted'],
  add: ['add', 'counted', '--exchange', 'binance'],
};

/** Instructions (millions) of one run of the CLI under callgrind, or null without valgrind. */
function instructions(v, name) {
  const ino = statSync(v.home.vaultFile).ino;
  const dir = mkdtempSync(join(tmpdir(), 'exvault-callgrind-'));
  try {
    const args = ['--tool=callgrind', '--trace-children=no', `--callgrind-out-file=${join(dir, 'out')}`, process.execPath, CLI, ...CALLGRIND_ARGS[name]];
    const r = spawnSync('valgrind', args, { env: v.home.env, input: name === 'add' ? NEW_ENTRY : undefined, stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 64 << 20, timeout: 900_000 });
    if (r.status !== 0) throw new Error(`valgrind ${CALLGRIND_ARGS[name].join(' ')} exited ${r.status ?? r.signal}: ${String(r.stderr).slice(-300)}`);
    const m = /Collected : (\d+)/.exec(String(r.stderr));
    if (name === 'add') v.countedAdd = statSync(v.home.vaultFile).ino === ino ? 'an update' : 'a whole rewrite';
    return m ? Number(m[1]) / 1e6 : null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function auditBench(v, runs) {
  helper(v, await bundle(v.home.dir, 'bench/lib/fill-audit.ts'), [v.home.vaultFile, v.home.passFile, String(AUDIT_RECORDS)]);
  const log = `${v.home.vaultFile}.audit`; // storage/paths.ts auditPath
  const lines = readFileSync(log, 'utf8').split('\n').filter(Boolean).length;
  const t = compare(
    () => timeOnce(process.execPath, [CLI, 'audit', 'verify'], v.home.env),
    () => timeOnce(process.execPath, [join(ROOT, 'bench/lib/hmac-baseline.cjs'), log], v.home.env),
    runs,
    1,
  );
  return { lines, bytes: statSync(log).size, t };
}

const mean = (xs) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
const M = (x) => (x === null ? 'n/a' : `${x.toFixed(0)}M`);

export async function run({ quick = false } = {}) {
  const runs = quick ? 5 : 11;
  const vaults = [];
  try {
    for (const n of SIZES) vaults.push(await makeVault(n));
    const [small, big] = vaults;
    const a = commands(big);
    const b = commands(small);
    const rows = [];
    const checks = [];
    for (const name of Object.keys(a)) {
      const heavy = name === 'list' || name === 'check';
      const t = compare(a[name], b[name], heavy ? Math.min(runs, 5) : runs, heavy ? 1 : 2);
      rows.push([name, ms(t.a), ms(t.b), ratio(t.ratio)]);
      if (TARGETS[name]) checks.push({ what: `${name} at 50,000 entries vs 10`, value: ratio(t.ratio), target: `≤ ${TARGETS[name]}×`, ok: t.ratio <= TARGETS[name] });
    }
    const valgrind = spawnSync('valgrind', ['--version']).status === 0;
    const counted = valgrind
      ? Object.keys(CALLGRIND_ARGS).map((name) => {
          const [x, y] = [instructions(big, name), instructions(small, name)];
          return [name, M(x), M(y), x && y ? ratio(x / y) : 'n/a'];
        })
      : [];
    // Format 1's target, kept in view: format 2 pays per record for its nonce, tag and index row.
    const bigSize = big.fileBytes / big.plain;
    checks.push({ what: 'file size at 50,000 entries vs plain JSON', value: ratio(bigSize), target: '≤ 1.3×', ok: bigSize <= 1.3 });
    const sizeRows = vaults.map((v) => [v.n.toLocaleString('en'), `${(v.fileBytes / 1024).toFixed(1)} KiB`, `${(v.plain / 1024).toFixed(1)} KiB`, ratio(v.fileBytes / v.plain)]);
    const audit = await auditBench(small, quick ? 3 : 7);
    return {
      title: 'Scale (format 2)',
      intro: `Vaults of 10 and 50,000 entries in format 2 (Binance, OKX, Coinbase CDP with a multi-line PEM key, Kraken, in turn), unlocked through a passphrase file with the weakest KDF allowed (19 MiB, 2 passes). Each command on the 50,000-entry vault ran alternately with the same command on the 10-entry vault (${runs} runs, list and check 5, after warm-up); medians. \`add\` writes a new entry each run (appended as an update, or the file rewritten whole when updates have doubled it; see below). Environment cleared for every process: ${CLEARED.join(', ')}.`,
      head: ['command', '50,000 entries', '10 entries', 'ratio'],
      rows,
      checks,
      notes: [
        valgrind
          ? `Instructions of one run, counted by \`valgrind --tool=callgrind --trace-children=no node bin/vault.js ...\` (environment cleared: ${CLEARED.join(', ')}; all threads of the process, the KDF's included):`
          : 'Instructions: valgrind is not installed, not counted.',
        '',
        ...(valgrind ? ['| command | 50,000 entries | 10 entries | ratio |', '|---|---|---|---|', ...counted.map((r) => `| ${r.join(' | ')} |`), ''] : []),
        `\`add\` appends an update (new record, the index pages it falls in, meta record, index roots, trailer) and rewrites the file whole (compaction, checking every record it carries, rotating the backup) once updates have doubled it: ${vaults.map((v) => `at ${v.n.toLocaleString('en')} entries ${v.adds.update.length} updates (mean ${ms(mean(v.adds.update))}) and ${v.adds.whole.length} whole rewrites (mean ${ms(mean(v.adds.whole))})`).join('; ')}; mean of every add ${vaults.map((v) => `${ms(mean([...v.adds.update, ...v.adds.whole]))} at ${v.n.toLocaleString('en')}`).join(', ')} (${ratio(mean([...big.adds.update, ...big.adds.whole]) / mean([...small.adds.update, ...small.adds.whole]))}). The add counted by callgrind was ${vaults.map((v) => `${v.countedAdd ?? 'not run'} at ${v.n.toLocaleString('en')}`).join(', ')}; \`scope add\` before it rewrote the file whole.`,
        '',
        'File size against the same entries as plain JSON (per record: 24-byte nonce, 16-byte tag, 64-byte index row and the name):',
        '',
        '| entries | vault file | plain JSON | ratio |',
        '|---|---|---|---|',
        ...sizeRows.map((r) => `| ${r.join(' | ')} |`),
        '',
        `\`vault audit verify\` over ${audit.lines.toLocaleString('en')} records (${(audit.bytes / 1048576).toFixed(1)} MiB of log): median ${ms(audit.t.a)}, against ${ms(audit.t.b)} for a bare Node process that reads the same log, parses each line and computes one HMAC-SHA256 per record (${ratio(audit.t.ratio)}; the vault also opens itself, checks sequence numbers, chain links and the head it remembers).`,
      ],
      audit,
    };
  } finally {
    for (const v of vaults) v.home.cleanup();
  }
}

main(import.meta.url, run);
