// Scale: vaults of 10, 1,000 and 10,000 entries (a quarter with multi-line PEM keys), all
// opened through the keychain as a bot host would. Each command at 1,000 and 10,000 entries
// runs alternately with the same command on the 10-entry vault; the ratio is of medians.
// Also: file size against the same entries as plain JSON. (`vault audit verify` over 100,000
// records: bench/audit.mjs.)
// Usage: node bench/scale.mjs [--quick]
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BenchHome, CLI, cleanEnv, compare, ensureKeyring, ms, ratio, timeOnce } from './lib/harness.mjs';
import { exportText, makeEntries } from './lib/fixtures.mjs';
import { main } from './lib/report.mjs';

const SIZES = [10, 1_000, 10_000];
const NEW_ENTRY = JSON.stringify({ apiKey: 'A'.repeat(64), apiSecret: 'B'.repeat(64) });

function makeVault(n) {
  const home = new BenchHome(`scale-${n}`);
  home.vault(['init', '--keychain', '--kdf', 'interactive']);
  const fixture = join(home.dir, 'entries.json');
  writeFileSync(fixture, exportText(makeEntries(n)));
  home.vault(['import', 'json', fixture, '--yes']);
  // From here on, unlock through the keychain only.
  const passFile = home.env.EXVAULT_PASSPHRASE_FILE;
  delete home.env.EXVAULT_PASSPHRASE_FILE;
  // "Plain JSON": what `vault export` writes, without its indentation.
  const plain = JSON.stringify(JSON.parse(home.vault(['export', '--all', '--format', 'json', '--yes']).toString())).length;
  // Measured now, before the timed `add` runs grow the vault.
  return { n, home, passFile, plain, fileBytes: statSync(home.vaultFile).size };
}

function commands(v) {
  let added = 0;
  const env = cleanEnv(v.home.env);
  const run = (args, input) => () => timeOnce(process.execPath, [CLI, ...args], env, input);
  return {
    'exec one entry': run(['exec', 'bot-00001', '--', 'true']),
    add: () => run(['add', `new-${added++}`, '--exchange', 'binance'], NEW_ENTRY)(),
    list: run(['list']),
    check: run(['check']),
  };
}

export async function run({ quick = false } = {}) {
  const runs = quick ? 5 : 15;
  const vaults = SIZES.map(makeVault);
  try {
    const base = vaults[0];
    const baseCmds = commands(base);
    const rows = [];
    const checks = [];
    for (const v of vaults.slice(1)) {
      const cmds = commands(v);
      for (const name of Object.keys(cmds)) {
        const t = compare(cmds[name], baseCmds[name], runs, 2);
        rows.push([name, v.n.toLocaleString('en'), ms(t.a), ms(t.b), ratio(t.ratio)]);
        if (v.n === 10_000 && (name === 'exec one entry' || name === 'add')) checks.push({ what: `${name} at 10,000 entries vs 10`, value: ratio(t.ratio), target: '≤ 1.5×', ok: t.ratio <= 1.5 });
      }
    }
    const sizeRows = vaults.map((v) => [v.n.toLocaleString('en'), `${(v.fileBytes / 1024).toFixed(1)} KiB`, `${(v.plain / 1024).toFixed(1)} KiB`, ratio(v.fileBytes / v.plain)]);
    const bigRatio = vaults[2].fileBytes / vaults[2].plain;
    checks.push({ what: 'file size at 10,000 entries vs plain JSON', value: ratio(bigRatio), target: '≤ 1.3×', ok: bigRatio <= 1.3 });
    return {
      title: 'Scale',
      intro: `Vaults of 10, 1,000 and 10,000 entries (Binance, OKX, Coinbase CDP with a multi-line PEM key, Kraken, in turn), each opened through the Secret Service. Every command at 1,000 and 10,000 entries ran alternately with the same command on the 10-entry vault: ${runs} runs each after 2 warm-up runs; medians. \`add\` writes a new entry each run (re-encrypting and fsyncing the whole vault).`,
      head: ['command', 'entries', 'median', 'same command, 10 entries', 'ratio'],
      rows,
      checks,
      notes: [
        'File size against the same entries as plain JSON (`vault export --format json`, without indentation):',
        '',
        '| entries | vault file | plain JSON | ratio |',
        '|---|---|---|---|',
        ...sizeRows.map((r) => `| ${r.join(' | ')} |`),
        '',
        '`vault audit verify` over 100,000 records: its own section (bench/audit.mjs).',
      ],
    };
  } finally {
    for (const v of vaults) v.home.cleanup();
  }
}

main(import.meta.url, run, ensureKeyring);
