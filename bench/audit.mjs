// `vault audit verify` over 100,000 records against the bare work of reading and HMAC-ing
// them (bench/lib/hmac-baseline.cjs: read, split, JSON.parse each line, HMAC-SHA256 over the
// bytes the verifier MACs, constant-time compare). Wall medians of alternating runs, and
// instructions counted by callgrind (one run each) when valgrind is installed.
// Usage: node bench/audit.mjs [--quick]   (run with `env -u NODE_EXTRA_CA_CERTS`)
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { BenchHome, CLEARED_ENV, CLI, ROOT, cleanEnv, compare, ensureKeyring, instructions, mInstr, ms, ratio, timeOnce } from './lib/harness.mjs';
import { main } from './lib/report.mjs';

const RECORDS = 100_000;
const BASELINE = join(ROOT, 'bench/lib/hmac-baseline.cjs');

export async function run({ quick = false } = {}) {
  const runs = quick ? 3 : 7;
  const home = new BenchHome('audit');
  try {
    home.vault(['init', '--keychain', '--kdf', 'interactive']);
    const helper = join(home.dir, 'fill-audit.cjs');
    await build({ entryPoints: [join(ROOT, 'bench/lib/fill-audit.ts')], outfile: helper, bundle: true, platform: 'node', format: 'cjs', external: ['libsodium-wrappers-sumo', '@napi-rs/keyring', '@node-rs/argon2'], nodePaths: [join(ROOT, 'node_modules')], logLevel: 'warning' });
    const r = spawnSync(process.execPath, [helper, home.vaultFile, home.passFile, String(RECORDS)], { env: { ...home.env, NODE_PATH: join(ROOT, 'node_modules') }, stdio: 'inherit' });
    if (r.status !== 0) throw new Error('filling the audit log failed');
    // From here on, unlock through the keychain only, as a bot host would.
    delete home.env.EXVAULT_PASSPHRASE_FILE;
    const env = cleanEnv(home.env);
    const cleared = CLEARED_ENV.filter((k) => process.env[k] !== undefined);
    const log = `${home.vaultFile}.audit`; // storage/paths.ts auditPath
    const lines = readFileSync(log, 'utf8').split('\n').filter(Boolean).length;
    const verify = [CLI, 'audit', 'verify'];
    const t = compare(() => timeOnce(process.execPath, verify, env), () => timeOnce(process.execPath, [BASELINE, log], env), runs, 1);
    const iv = instructions(process.execPath, verify, env);
    const ib = instructions(process.execPath, [BASELINE, log], env);
    const mib = (statSync(log).size / 1048576).toFixed(1);
    return {
      title: '`vault audit verify`',
      intro: `\`vault audit verify\` over ${lines.toLocaleString('en')} records (${mib} MiB of log; a 10-entry vault opened through the Secret Service), against a bare Node process that reads the same log, parses each line and computes one HMAC-SHA256 per record over the bytes the verifier MACs, comparing in constant time (bench/lib/hmac-baseline.cjs). ${runs} alternating runs after 1 warm-up; medians. Instructions: one run each under callgrind. Both sides run without ${cleared.length ? cleared.map((k) => `\`${k}\``).join(', ') : `(none of ${CLEARED_ENV.join(', ')} was set)`}.`,
      head: ['records', 'vault audit verify', 'bare read + parse + HMAC', 'ratio', 'instructions, verify', 'instructions, bare', 'instruction ratio'],
      rows: [[lines.toLocaleString('en'), ms(t.a), ms(t.b), ratio(t.ratio), mInstr(iv), mInstr(ib), iv && ib ? ratio(iv / ib) : 'n/a']],
      checks: [{ what: 'audit verify (100,000 records) vs bare read + parse + HMAC', value: ratio(t.ratio), target: '≤ 1.5×', ok: t.ratio <= 1.5 }],
      notes: ['The vault also opens itself, checks sequence numbers, chain links, failed-unlock shapes and both heads (head file and vault).'],
    };
  } finally {
    home.cleanup();
  }
}

main(import.meta.url, run, ensureKeyring);
