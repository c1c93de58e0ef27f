// `vault exec ENTRY -- true` unlocked by the keychain, against `node -e 0`: time (ratio of
// medians of alternating runs) and peak resident memory.
// Usage: node bench/exec.mjs [--quick]
import { writeFileSync } from 'node:fs';
import { BenchHome, compare, ensureKeyring, ms, peakRssMiB, ratio, timeOnce, CLI, median } from './lib/harness.mjs';
import { exportText, makeEntries } from './lib/fixtures.mjs';
import { main } from './lib/report.mjs';

export async function run({ quick = false } = {}) {
  const runs = quick ? 10 : 40;
  const home = new BenchHome('exec');
  try {
    home.vault(['init', '--keychain']);
    const fixture = `${home.dir}/entries.json`;
    writeFileSync(fixture, exportText(makeEntries(10)));
    home.vault(['import', 'json', fixture, '--yes']);
    // The keychain path: no passphrase anywhere in the environment.
    delete home.env.EXVAULT_PASSPHRASE_FILE;
    const node = () => timeOnce(process.execPath, ['-e', '0'], home.env);
    const exec = () => timeOnce(process.execPath, [CLI, 'exec', 'bot-00001', '--', 'true'], home.env);
    const t = compare(exec, node, runs, 3);
    const rssRuns = quick ? 3 : 7;
    const rssExec = median(Array.from({ length: rssRuns }, () => peakRssMiB([CLI, 'exec', 'bot-00001', '--', 'true'], home.env)));
    const rssNode = median(Array.from({ length: rssRuns }, () => peakRssMiB(['-e', '0'], home.env)));
    // The same through an unlock cached in the kernel keyring (`vault unlock --for`, Linux),
    // with no D-Bus session at all, as under cron.
    let cached = null;
    if (process.platform === 'linux') {
      home.vault(['unlock', '--for', '10m', '--passphrase-file', home.passFile]);
      const noBus = { ...home.env };
      delete noBus.DBUS_SESSION_BUS_ADDRESS;
      try {
        cached = compare(() => timeOnce(process.execPath, [CLI, 'exec', 'bot-00001', '--', 'true'], noBus), () => timeOnce(process.execPath, ['-e', '0'], noBus), runs, 3);
      } finally {
        home.vault(['lock']);
      }
    }
    return {
      title: 'vault exec start-up (keychain unlock)',
      intro: `\`vault exec bot-00001 -- true\` on a 10-entry vault opened through the Secret Service, against \`node -e 0\`; ${runs} alternating runs each, after 3 warm-up runs. Peak memory: VmHWM of the process (worker threads and WASM included), median of ${rssRuns} runs.`,
      head: ['measure', 'vault exec', 'node -e 0', 'ratio', 'target'],
      rows: [
        ['wall time, median', ms(t.a), ms(t.b), ratio(t.ratio), '≤ 1.8×'],
        ...(cached ? [['wall time, median, unlocked by `vault unlock --for` (kernel keyring, no D-Bus)', ms(cached.a), ms(cached.b), ratio(cached.ratio), '']] : []),
        ['peak resident memory', `${rssExec.toFixed(1)} MiB`, `${rssNode.toFixed(1)} MiB`, ratio(rssExec / rssNode), '< 100 MiB'],
      ],
      checks: [
        { what: 'exec time vs node -e 0', value: ratio(t.ratio), target: '≤ 1.8×', ok: t.ratio <= 1.8 },
        { what: 'exec peak memory (keychain path)', value: `${rssExec.toFixed(1)} MiB`, target: '< 100 MiB', ok: rssExec < 100 },
      ],
    };
  } finally {
    home.cleanup();
  }
}

main(import.meta.url, run, ensureKeyring);
