// `vault scan` over a generated tree of 10,000 files (source-like text, 1-8 KiB each) with a
// vault of 50 entries, against GNU grep searching the same tree for the same raw values
// (`grep -rFf -`, patterns on standard input): wall medians of alternating runs, and
// instructions counted by callgrind (one run each) when valgrind is installed.
// Usage: node bench/scan.mjs [--quick]   (run with `env -u NODE_EXTRA_CA_CERTS`)
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BenchHome, CLEARED_ENV, CLI, cleanEnv, compare, instructions, mInstr, ms, ratio, timeOnce } from './lib/harness.mjs';
import { main } from './lib/report.mjs';

const FILES = 10_000;

export async function run({ quick = false } = {}) {
  const runs = quick ? 3 : 7;
  const home = new BenchHome('scan').withoutKeychain();
  try {
    home.vault(['init', '--kdf-memory', '19', '--kdf-passes', '2', '--allow-weak-kdf']);
    const entries = Array.from({ length: 50 }, (_, i) => ({ name: `e${i}`, exchange: 'okx', secrets: { apiKey: `key-${i}-${'k'.repeat(30)}`, apiSecret: `sec-${i}-${'s'.repeat(40)}`, passphrase: `pass-${i}-xyz` } }));
    writeFileSync(join(home.dir, 'import.json'), JSON.stringify({ format: 'exvault-export', version: 1, entries }));
    home.vault(['import', 'json', join(home.dir, 'import.json'), '--yes']);
    const tree = join(home.dir, 'tree');
    const line = 'def handler(event, context):  # a line of ordinary source code, nothing secret here\n';
    for (let i = 0; i < FILES; i++) {
      const sub = join(tree, `d${i % 100}`);
      if (i < 100) mkdirSync(sub, { recursive: true });
      writeFileSync(join(sub, `f${i}.py`), line.repeat(12 + (i % 84)));
    }
    const patterns = entries.flatMap((e) => Object.values(e.secrets)).join('\n');
    // grep exits 1 when nothing matches, the expected result here; 2 is an error.
    const env = cleanEnv(home.env);
    const cleared = CLEARED_ENV.filter((k) => process.env[k] !== undefined);
    const grep = () => timeOnce('grep', ['-rFqf', '-', tree], env, patterns, [0, 1]);
    const t = compare(() => timeOnce(process.execPath, [CLI, 'scan', tree], env), grep, runs, 1);
    const iv = instructions(process.execPath, [CLI, 'scan', tree], env);
    const ig = instructions('grep', ['-rFqf', '-', tree], env, patterns);
    return {
      title: 'vault scan',
      intro: `\`vault scan\` over ${FILES.toLocaleString('en')} files (1-8 KiB of source-like text in 100 folders) with a 50-entry vault (150 secret values, looked for raw, URL-encoded and inside base64 and base64url text at every alignment), unlocked by a passphrase file at the KDF floor (19 MiB, t=2); against \`grep -rFqf -\` with the 150 raw values over the same tree. ${runs} alternating runs; medians. Instructions: one run each under callgrind. \`vault scan\` runs without ${cleared.length ? cleared.map((k) => `\`${k}\``).join(', ') : `(none of ${CLEARED_ENV.join(', ')} was set)`}.`,
      head: ['files', 'vault scan', 'grep -rF (raw values only)', 'ratio', 'files per second', 'instructions, scan', 'instructions, grep', 'instruction ratio'],
      rows: [[FILES.toLocaleString('en'), ms(t.a), ms(t.b), ratio(t.ratio), Math.round(FILES / (t.a / 1000)).toLocaleString('en'), mInstr(iv), mInstr(ig), iv && ig ? ratio(iv / ig) : 'n/a']],
      notes: ['grep looks for the 150 raw values only; the scan also for every encoding of each (about 790 texts), opens the vault (Argon2id at the floor) and starts Node.'],
      checks: [],
    };
  } finally {
    home.cleanup();
  }
}

main(import.meta.url, run);
