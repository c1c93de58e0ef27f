// Fleet scale (issue 16): a vault of 10,000 entries in 10 scopes with 100 recipients (X25519
// slots; one granted every scope, the others one scope each), synced through a bare git
// repository (file://) between three homes: the admin (passphrase), "ops" (an identity granted
// every scope: it can write, so it merges) and a reader (an identity granted one scope). Times
// (medians of alternating runs) of: a sync with nothing to do, against a bare `git fetch` of the
// same remote (the floor: sync fetches, then compares); the admin pushing one changed entry; the
// reader pulling it (a fast-forward); ops merging its own change with the admin's; opening the
// vault (`get` of one value) on the reader and on the admin; and what each host stores.
// Instructions (callgrind, the node process only, not git) beside the wall times.
// Usage: node bench/sync.mjs [--quick]   (bench/run.mjs runs it as "sync")
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { BenchHome, CLI, ROOT, cleanEnv, compare, instructions, mInstr, median, ms, ratio, timeOnce } from './lib/harness.mjs';
import { exportText, makeEntries } from './lib/fixtures.mjs';
import { main } from './lib/report.mjs';

const ENTRIES = 10_000;
const RECIPIENTS = 100;
const SCOPES = 10;
const EXTERNAL = ['libsodium-wrappers-sumo', '@napi-rs/keyring', '@node-rs/argon2'];
const CLEARED = ['NODE_EXTRA_CA_CERTS', 'NODE_OPTIONS', 'DBUS_SESSION_BUS_ADDRESS'];
const NEW_ENTRY = JSON.stringify({ apiKey: 'A'.repeat(64), apiSecret: 'B'.repeat(64) });

function du(path) {
  let n = 0;
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) return 0;
  if (!st.isDirectory()) return st.size;
  for (const e of readdirSync(path)) n += du(join(path, e));
  return n;
}
const MiB = (b) => `${(b / 1048576).toFixed(1)} MiB`;

function home(tag) {
  const h = new BenchHome(tag).withoutKeychain();
  for (const k of CLEARED) delete h.env[k];
  return h;
}

function vault(h, args, input, ok = [0]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { env: h.env, input, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  if (!ok.includes(r.status)) throw new Error(`vault ${args.join(' ')} exited ${r.status}: ${String(r.stderr).slice(0, 300)}`);
  return String(r.stdout);
}

export async function run({ quick = false } = {}) {
  const runs = quick ? 3 : 7;
  const work = mkdtempSync(join(tmpdir(), 'exvault-bench-sync-'));
  const homes = [];
  try {
    const admin = home('sync-admin');
    const ops = home('sync-ops');
    const reader = home('sync-reader');
    homes.push(admin, ops, reader);
    // The identities, not a passphrase, unlock ops and the reader.
    delete ops.env.EXVAULT_PASSPHRASE_FILE;
    delete reader.env.EXVAULT_PASSPHRASE_FILE;
    ops.env.EXVAULT_IDENTITY_FILE = join(ops.dir, 'identity.txt');
    reader.env.EXVAULT_IDENTITY_FILE = join(reader.dir, 'identity.txt');
    admin.vault(['init', '--kdf-memory', '19', '--kdf-passes', '2', '--allow-weak-kdf']);
    const fixture = join(admin.dir, 'entries.json');
    writeFileSync(fixture, exportText(makeEntries(ENTRIES)));
    const helper = join(work, 'fill-fleet.cjs');
    await build({ entryPoints: [join(ROOT, 'bench/lib/fill-fleet.ts')], outfile: helper, bundle: true, platform: 'node', format: 'cjs', external: EXTERNAL, nodePaths: [join(ROOT, 'node_modules')], logLevel: 'error' });
    execFileSync(process.execPath, [helper, admin.vaultFile, admin.passFile, fixture, String(RECIPIENTS), String(SCOPES), ops.env.EXVAULT_IDENTITY_FILE, reader.env.EXVAULT_IDENTITY_FILE], { env: { ...admin.env, NODE_PATH: join(ROOT, 'node_modules') }, stdio: 'inherit' });
    const bare = join(work, 'fleet.git');
    execFileSync('git', ['init', '--bare', '-q', '-b', 'main', bare]);
    const url = `file://${bare}`;
    for (const h of [admin, ops, reader]) vault(h, ['remote', 'add', url]);
    const first = { push: timeOnce(process.execPath, [CLI, 'sync'], admin.env) };
    first.opsJoin = timeOnce(process.execPath, [CLI, 'sync'], ops.env);
    first.readerJoin = timeOnce(process.execPath, [CLI, 'sync'], reader.env);

    // Nothing to do, against the floor: a bare git fetch of the same remote.
    const scratch = join(work, 'scratch.git');
    execFileSync('git', ['init', '--bare', '-q', scratch]);
    const idle = compare(
      () => timeOnce(process.execPath, [CLI, 'sync'], reader.env),
      () => timeOnce('git', ['--git-dir', scratch, 'fetch', '-q', url, '+refs/heads/main:refs/remotes/origin/main'], cleanEnv(process.env)),
      runs,
      1,
    );
    // One change pushed by the admin, pulled by the reader; ops merges its own with the admin's.
    const push = [];
    const pull = [];
    const merge = [];
    for (let i = 0; i < runs; i++) {
      // A new entry (default scope: the reader, granted s1, cannot read it, yet pulls the file).
      vault(admin, ['add', `push-${i}`, '--exchange', 'binance'], NEW_ENTRY);
      push.push(timeOnce(process.execPath, [CLI, 'sync'], admin.env));
      pull.push(timeOnce(process.execPath, [CLI, 'sync'], reader.env));
      vault(admin, ['edit', 'bot-00002', '--notes', `admin ${i}`]);
      vault(admin, ['sync']);
      vault(ops, ['edit', 'bot-00003', '--notes', `ops ${i}`]);
      merge.push(timeOnce(process.execPath, [CLI, 'sync'], ops.env));
      vault(admin, ['sync']);
      vault(reader, ['sync']);
    }
    const open = compare(
      () => timeOnce(process.execPath, [CLI, 'get', 'bot-00001', 'apiKey'], reader.env),
      () => timeOnce(process.execPath, [CLI, 'get', 'bot-00001', 'apiKey'], admin.env),
      runs,
      1,
    );
    const counted = {
      'sync, nothing to do (reader)': instructions(process.execPath, [CLI, 'sync'], reader.env),
      'get one value (reader, identity)': instructions(process.execPath, [CLI, 'get', 'bot-00001', 'apiKey'], reader.env),
    };
    const sizes = [admin, ops, reader].map((h, i) => {
      const v = h.vaultFile;
      return [['admin (passphrase)', 'ops (identity, every scope)', 'reader (identity, one scope)'][i], MiB(du(v)), MiB(du(`${v}.bak`)), MiB(du(`${v}.git`))];
    });
    const header = Number(execFileSync('node', ['-e', `const b=require('fs').readFileSync(${JSON.stringify(admin.vaultFile)});process.stdout.write(String(b.readUInt32BE(10)))`]).toString());
    return {
      title: 'Fleet sync (100 recipients, 10,000 entries)',
      intro: `A vault of ${ENTRIES.toLocaleString('en')} entries in ${SCOPES} scopes with ${RECIPIENTS} X25519 recipients (header ${(header / 1024).toFixed(1)} KiB), synced through a bare git repository over file:// between three homes: the admin (passphrase file, 19 MiB KDF), ops (an identity granted every scope) and a reader (an identity granted one scope). ${runs} runs each, medians. Environment cleared for every process: ${CLEARED.join(', ')}. First push ${ms(first.push)}; joining (sync with no vault here: fetch and take the file) ${ms(first.opsJoin)} for ops, ${ms(first.readerJoin)} for the reader.`,
      head: ['step', 'median', 'baseline', 'ratio'],
      rows: [
        ['sync, nothing to do (reader)', ms(idle.a), `${ms(idle.b)} (git fetch alone)`, ratio(idle.ratio)],
        ['sync: push one new entry (admin)', ms(median(push)), '', ''],
        ['sync: pull it, fast-forward (reader, no key needed)', ms(median(pull)), '', ''],
        ['sync: merge its own change with the admin\'s (ops, identity)', ms(median(merge)), '', ''],
        ['get one value (reader, identity among 100 slots)', ms(open.a), `${ms(open.b)} (admin, passphrase)`, ratio(open.ratio)],
      ],
      notes: [
        'Instructions of one run (callgrind, the node process only; git runs in children not counted):',
        '',
        '| command | instructions |',
        '|---|---|',
        ...Object.entries(counted).map(([k, v]) => `| ${k} | ${mInstr(v)} |`),
        '',
        'What each host stores (the vault, the backup the last write kept, the sync repository with its history):',
        '',
        '| host | vault.exv | vault.exv.bak | vault.exv.git |',
        '|---|---|---|---|',
        ...sizes.map((r) => `| ${r.join(' | ')} |`),
        '',
        `Every host stores the whole encrypted file (the reader cannot decrypt the other scopes' records, but holds them). Each synced version enters the sync repository as a whole loose object; \`vault sync\` packs them once about ten versions are loose, and packed versions are deltas of each other (records are copied byte for byte between versions), so the repository's size above depends on where in that cycle the run ended.`,
      ],
    };
  } finally {
    for (const h of homes) h.cleanup();
    rmSync(work, { recursive: true, force: true });
  }
}

main(import.meta.url, run);
