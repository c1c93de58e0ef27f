// `vault exec ENTRY -- true` against `node -e 0`, in wall time (ratio of medians of alternating
// runs) and in instructions (callgrind, when valgrind is installed), with the variables that
// change Node's start removed from both sides' environment: through the keychain, through an
// unlock cached by `vault unlock --for` (no D-Bus), and the floor (bench/lib/floor.cjs: Node,
// the keychain addon, one item read, `true` spawned). Also the peak resident memory.
// Output goes to /dev/null unless said (the program's output is then not masked: nothing is
// kept); one row writes it to a file instead, which is masked. Also: where exec's instructions
// go (callgrind dumps at the D-Bus connect, the audit fsync and the spawn), and what setpriv
// adds to a spawn in wall time.
// Usage: node bench/exec.mjs [--quick]
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BenchHome, compare, ensureKeyring, ms, peakRssMiB, ratio, CLI, median, ROOT } from './lib/harness.mjs';
import { exportText, makeEntries } from './lib/fixtures.mjs';
import { main } from './lib/report.mjs';

const FLOOR = join(ROOT, 'bench/lib/floor.cjs');
const TARGET = 2.0;
/** Variables that change how Node starts (extra certificates read, flags, caches, OpenSSL's config). */
const STARTUP_VAR = /^(NODE_|UV_|OPENSSL_)/;

/** The environment without the variables that change Node's start, and the names removed. */
function cleanEnv(env) {
  const out = { ...env };
  const cleared = Object.keys(out).filter((k) => STARTUP_VAR.test(k)).sort();
  for (const k of cleared) delete out[k];
  return { env: out, cleared };
}

/** Wall time (ms) of one process with its stdout and stderr on `out` (a descriptor; /dev/null when absent). */
function timeOnce(cmd, args, env, out) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env, stdio: ['ignore', out ?? 'ignore', out ?? 'ignore'] });
  const took = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) {
    const again = spawnSync(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}: ${String(again.stderr).slice(0, 300)}`);
  }
  return took;
}

const hasValgrind = () => spawnSync('valgrind', ['--version'], { stdio: 'ignore' }).status === 0;

/**
 * Instructions executed by the Node process (callgrind; its children are not counted), one
 * entry per run: the total, and the same split where each of `dumpBefore` (native functions,
 * in the order they are first called) is first called: callgrind dumps its counts just before.
 * The program's stdout and stderr go to /dev/null, as in the timed runs (a pipe there would be
 * masked: another code path); valgrind reports to a log file.
 */
function callgrind(args, env, runs, dumpBefore = []) {
  const out = [];
  for (let i = 0; i < runs; i++) {
    const dir = mkdtempSync(join(tmpdir(), 'exvault-callgrind-'));
    try {
      const log = join(dir, 'log');
      const r = spawnSync('valgrind', ['--tool=callgrind', `--callgrind-out-file=${join(dir, 'cg')}`, `--log-file=${log}`, ...dumpBefore.map((f) => `--dump-before=${f}`), process.execPath, ...args], { env, stdio: 'ignore' });
      if (r.status !== 0) throw new Error(`callgrind of node ${args.join(' ')} failed (${r.status}): ${readFileSync(log, 'utf8').slice(-300)}`);
      // Dumps are cg.1, cg.2, ... in order; cg is the last part, up to the exit.
      const parts = readdirSync(dir).filter((f) => /^cg(\.\d+)?$/.test(f)).sort((a, b) => Number(a.split('.')[1] ?? Infinity) - Number(b.split('.')[1] ?? Infinity));
      const stages = Array(dumpBefore.length + 1).fill(0);
      let stage = 0;
      for (const f of parts) {
        const text = readFileSync(join(dir, f), 'utf8');
        stages[stage] += Number(/^summary: (\d+)$/m.exec(text)?.[1] ?? NaN);
        // A dump triggered by the next stage's first call ends the current stage.
        const trigger = /^desc: Trigger: --dump-before=(\w+)$/m.exec(text)?.[1];
        if (trigger !== undefined && trigger === dumpBefore[stage]) stage++;
      }
      if (stage !== dumpBefore.length || stages.some((n) => !Number.isFinite(n))) throw new Error(`callgrind of node ${args.join(' ')}: expected calls of ${dumpBefore.join(', ')} in that order (reached ${stage})`);
      out.push({ total: stages.reduce((a, b) => a + b, 0), stages });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return out;
}

/** Median instructions of `runs` runs. */
const instructions = (args, env, runs) => median(callgrind(args, env, runs).map((r) => r.total));

/** Where exec's instructions go: before the first connect (the D-Bus session: everything before
 *  it is start-up), the first fsync (the audit record of the release: the keychain read, the
 *  vault opened, the plan made), and the spawn of the program (the record written, the run
 *  recorded); the rest is the program's run, the end record and the exit. */
const EXEC_STAGES = ['connect', 'fsync', 'uv_spawn'];

const mega = (n) => `${(n / 1e6).toFixed(1)}M`;

/** Wall time (ms) of spawning `true` from Node, directly or through setpriv as src/platform/child.ts does. */
function spawnTrue(viaSetpriv) {
  const t0 = process.hrtime.bigint();
  const r = viaSetpriv ? spawnSync('/usr/bin/setpriv', ['--pdeathsig', 'TERM', '--', '/usr/bin/true'], { stdio: 'ignore' }) : spawnSync('/usr/bin/true', [], { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`spawning true${viaSetpriv ? ' through setpriv' : ''} failed`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/** The keychain item's account (`vault init --keychain` wrote one), for the floor. */
function keychainAccount(env) {
  try {
    // secret-tool prints the attributes on stderr, the secret on stdout (not kept).
    const r = spawnSync('secret-tool', ['search', '--all', 'service', 'exvault'], { env, encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
    return /^attribute\.username = (.+)$/m.exec(r.stderr ?? '')?.[1];
  } catch {
    return undefined; // No secret-tool: the floor is left out, and the report says so.
  }
}

export async function run({ quick = false } = {}) {
  const runs = quick ? 10 : 40;
  const cgRuns = quick ? 1 : 3;
  const home = new BenchHome('exec');
  try {
    home.vault(['init', '--keychain']);
    const fixture = `${home.dir}/entries.json`;
    writeFileSync(fixture, exportText(makeEntries(10)));
    home.vault(['import', 'json', fixture, '--yes']);
    // The keychain path: no passphrase anywhere in the environment.
    delete home.env.EXVAULT_PASSPHRASE_FILE;
    const { env, cleared } = cleanEnv(home.env);
    const noBus = { ...env };
    delete noBus.DBUS_SESSION_BUS_ADDRESS;
    const account = keychainAccount(env);
    const execArgs = [CLI, 'exec', 'bot-00001', '--', 'true'];
    const nodeArgs = ['-e', '0'];
    const node = (e) => () => timeOnce(process.execPath, nodeArgs, e);
    const rows = [];
    const checks = [];
    const cg = hasValgrind();
    const row = (what, t, irA, irB, target) => {
      rows.push([`${what}: wall time, median`, ms(t.a), ms(t.b), ratio(t.ratio), target ?? '']);
      if (irA !== undefined) rows.push([`${what}: instructions (callgrind)`, mega(irA), mega(irB), ratio(irA / irB), target ?? '']);
    };
    const irNode = cg ? instructions(nodeArgs, env, cgRuns) : undefined;

    const t = compare(() => timeOnce(process.execPath, execArgs, env), node(env), runs, 3);
    // Exec's runs are split into stages as they are counted (EXEC_STAGES; rows below).
    const execRuns = cg ? callgrind(execArgs, env, cgRuns, EXEC_STAGES) : undefined;
    const irExec = execRuns && median(execRuns.map((r) => r.total));
    row('`vault exec` through the keychain', t, irExec, irNode, `≤ ${TARGET}×`);
    checks.push({ what: 'exec time vs node -e 0 (keychain)', value: ratio(t.ratio), target: `≤ ${TARGET}×`, ok: t.ratio <= TARGET });
    if (cg) checks.push({ what: 'exec instructions vs node -e 0 (keychain)', value: ratio(irExec / irNode), target: `≤ ${TARGET}×`, ok: irExec / irNode <= TARGET });

    // Output to a file: masked (the default when the output is not a terminal).
    const logFile = join(home.dir, 'bot.log');
    const fd = openSync(logFile, 'w', 0o600);
    try {
      const tf = compare(() => timeOnce(process.execPath, execArgs, env, fd), () => timeOnce(process.execPath, nodeArgs, env, fd), runs, 3);
      rows.push(['`vault exec` through the keychain, output to a file (masked): wall time, median', ms(tf.a), ms(tf.b), ratio(tf.ratio), '']);
    } finally {
      closeSync(fd);
    }

    if (account) {
      const floorArgs = [FLOOR, account];
      const tfl = compare(() => timeOnce(process.execPath, floorArgs, env), node(env), runs, 3);
      const irFloor = cg ? instructions(floorArgs, env, cgRuns) : undefined;
      row('floor (bench/lib/floor.cjs: keychain addon, one read, spawn `true`)', tfl, irFloor, irNode);
      rows.push(['`vault exec` (keychain) against the floor: wall time', ms(t.a), ms(tfl.a), ratio(t.a / tfl.a), '']);
      if (cg) rows.push(['`vault exec` (keychain) against the floor: instructions', mega(irExec), mega(irFloor), ratio(irExec / irFloor), '']);
    }

    // Where exec's instructions go, against node -e 0's (callgrind's dumps at native calls).
    if (execRuns) {
      const [startup, open, record, rest] = execRuns[0].stages.map((_, k) => median(execRuns.map((r) => r.stages[k])));
      const stageRows = [
        ['start-up: Node, the bundle, argument parsing, core dumps off, the vault file read (to the D-Bus connect)', startup],
        ['keychain read (D-Bus session, encrypted), key unwrapped, entry decrypted, plan made (to the audit fsync)', open],
        ['audit record written and synced, run recorded, child set up (to the spawn)', record],
        ['the program run, the end record, exit', rest],
      ];
      let sum = 0;
      for (const [what, n] of stageRows) {
        sum += n;
        rows.push([`instructions, ${what}`, mega(n), '', `cumulative ${ratio(sum / irNode)}`, '']);
      }
    }

    // setpriv (the program's parent-death signal on Linux) costs one more execve: measured alone.
    if (process.platform === 'linux' && existsSync('/usr/bin/setpriv')) {
      const ts = compare(() => spawnTrue(true), () => spawnTrue(false), runs, 3);
      rows.push(['spawn `true` from Node through `setpriv --pdeathsig TERM` vs directly: wall time, median', ms(ts.a), ms(ts.b), `+${ms(ts.a - ts.b)}`, '']);
    }

    // The same through an unlock cached in the kernel keyring (`vault unlock --for`, Linux),
    // with no D-Bus session at all, as under cron.
    if (process.platform === 'linux') {
      home.vault(['unlock', '--for', '10m', '--passphrase-file', home.passFile]);
      try {
        const tc = compare(() => timeOnce(process.execPath, execArgs, noBus), node(noBus), runs, 3);
        const irCached = cg ? instructions(execArgs, noBus, cgRuns) : undefined;
        row('`vault exec` unlocked by `vault unlock --for` (kernel keyring, no D-Bus)', tc, irCached, irNode, `≤ ${TARGET}×`);
      } finally {
        home.vault(['lock']);
      }
    }

    const rssRuns = quick ? 3 : 7;
    const rssExec = median(Array.from({ length: rssRuns }, () => peakRssMiB(execArgs, env)));
    const rssNode = median(Array.from({ length: rssRuns }, () => peakRssMiB(nodeArgs, env)));
    rows.push(['peak resident memory (keychain)', `${rssExec.toFixed(1)} MiB`, `${rssNode.toFixed(1)} MiB`, ratio(rssExec / rssNode), '< 100 MiB']);
    checks.push({ what: 'exec peak memory (keychain path)', value: `${rssExec.toFixed(1)} MiB`, target: '< 100 MiB', ok: rssExec < 100 });
    return {
      title: 'vault exec start-up',
      intro: `\`vault exec bot-00001 -- true\` on a 10-entry vault against \`node -e 0\`; wall time: ${runs} alternating runs each, after 3 warm-up runs; instructions: callgrind (valgrind --tool=callgrind; the Node process only, not \`true\`), median of ${cgRuns}. Output to /dev/null (not masked: nothing is kept) unless said. Both sides run without the variables that change Node's start (${STARTUP_VAR.source}); removed here: ${cleared.length ? cleared.join(', ') : 'none were set'}. Peak memory: VmHWM of the process, median of ${rssRuns} runs.`,
      head: ['measure', 'vault exec (or floor)', 'node -e 0 (or floor)', 'ratio', 'target'],
      rows,
      notes: [
        ...(cg ? [] : ['valgrind is not installed: no instruction counts.']),
        ...(account ? [] : ['secret-tool is not installed: no floor.']),
      ],
      checks,
    };
  } finally {
    home.cleanup();
  }
}

main(import.meta.url, run, ensureKeyring);
