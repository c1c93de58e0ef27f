// Fault injection: every writing command (add, edit, rotate through its hooks, passwd, import,
// restore, keychain enable, and the audit append of exec and get) run under strace with one
// write, fsync, fdatasync, rename, link or open failing, at each call number the command
// makes (counted by a plain strace run first). After each case: the vault is byte-identical
// (old state) or opens with exactly the new state, and the exit status says which (0 = new;
// a documented error = old; a folder sync failure after the rename = new + a warning); the
// audit chain verifies; no temp or lock file is left; nothing hangs (60 s) or aborts.
// CI size: a spread of call numbers per command and syscall; `--long`: every call number
// with every errno. See test/helpers/faults.ts for which calls are aimed at, and why.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AuthError } from '../../src/errors';
import { VaultDoc } from '../../src/domain/document';
import { decodeFile } from '../../src/format/header';
import { CANARY } from '../helpers/canary';
import { BINANCE_JSON, OKX_JSON, Sandbox } from '../helpers/cli';
import { LONG, openVaultFile, timeLimit } from '../helpers/adversarial';
import { aimable, Call, FaultSyscall, FAULT_SYSCALLS, injectedCalls, isInternal, parseTrace, restoreSnapshot, snapshot, spread, straceRun, StraceRun } from '../helpers/faults';

const HOOK = `${process.execPath} ${path.resolve(__dirname, '../fixtures/rotate-hook.js')}`;
const OTHER_PASSPHRASE = 'the other passphrase of the fault suite 7730';
const CASE_BOUND_MS = 60_000;
const DOCUMENTED = new Set([1, 2, 3, 4, 5, 6, 7, 8, 9]);

const ERRNOS: Record<FaultSyscall, string[]> = {
  write: ['ENOSPC', 'EIO', 'EDQUOT'],
  fsync: ['EIO', 'ENOSPC'],
  fdatasync: ['EIO', 'ENOSPC'],
  rename: ['EIO', 'EROFS'],
  link: ['ENOSPC', 'EIO'],
  openat: ['EACCES', 'EMFILE', 'ENOSPC', 'EROFS'],
};
/** CI size: this many call numbers per command and syscall, spread over the run. */
const CI_PICKS: Record<FaultSyscall, number> = { write: 4, fsync: 3, fdatasync: 2, rename: 3, link: 3, openat: 4 };

let sb: Sandbox;
let dir: string;
let base: Map<string, { data: Buffer; mode: number }>;
let passB: string;
let backupFile: string;
let importFile: string;
let marker: string;
let before: VaultDoc;

interface Command {
  args: () => string[];
  input?: string;
  /** The vault after a success; throws (expect) when it is not exactly the new state. */
  isNew?: (doc: VaultDoc, bytes: Buffer) => void;
  /** exec and get: the vault is not written; what is released must have been recorded first. */
  release?: (run: StraceRun) => boolean;
}

const COMMANDS: Record<string, Command> = {
  add: { args: () => ['add', 'fresh', '--exchange', 'okx'], input: OKX_JSON, isNew: (d) => expect([...d.entries.keys()].sort()).toEqual([...before.entries.keys(), 'fresh'].sort()) },
  edit: { args: () => ['edit', 'e1', '--label', 'changed'], isNew: (d) => expect(d.entries.get('e1')!.label).toBe('changed') },
  // A failed store after the rotation journal's first note leaves only that note (the old key
  // active), which the next rotate --due acts on: judged as the old state plus the note.
  rotate: {
    args: () => ['rotate', 'rot'],
    isNew: (d) => {
      const r = d.entries.get('rot')!;
      const want = (before.entries.get('rot')!.version ?? 1) + (r.rotating ? 0 : 1);
      if ((r.version ?? 1) !== want) throw new Error(`version ${r.version}, expected ${want}${r.rotating ? ' (rotation noted)' : ''}`);
    },
  },
  passwd: { args: () => ['passwd', '--new-passphrase-file', passB], isNew: (d) => expect(d.entries.size).toBe(before.entries.size) },
  import: { args: () => ['import', 'json', importFile, '--yes'], isNew: (d) => expect(d.entries.has('imported')).toBe(true) },
  restore: { args: () => ['restore', backupFile, '--yes'], isNew: (_d, bytes) => expect(bytes.equals(fs.readFileSync(backupFile))).toBe(true) },
  keychain: { args: () => ['keychain', 'enable'], isNew: (_d, bytes) => expect(decodeFile(new Uint8Array(bytes)).header.slots.some((s) => s.type === 'keychain')).toBe(true) },
  exec: { args: () => ['exec', 'e1', '--', '/usr/bin/touch', marker], release: () => fs.existsSync(marker) },
  get: { args: () => ['get', 'e1', 'apiKey'], release: (r) => r.stdout.includes(CANARY.apiKey) },
};

beforeAll(async () => {
  sb = new Sandbox();
  await sb.init();
  dir = path.dirname(sb.vault);
  passB = sb.secretFile('pass-b', `${OTHER_PASSPHRASE}\n`);
  marker = path.join(sb.root, 'tmp', 'exec-ran');
  expect((await sb.vaultCmd(['add', 'e1', '--exchange', 'binance'], { input: BINANCE_JSON })).code).toBe(0);
  expect((await sb.vaultCmd(['add', 'rot', '--exchange', 'bitmex'], { input: BINANCE_JSON })).code).toBe(0);
  expect((await sb.vaultCmd(['edit', 'rot', '--rotate-hook', `${HOOK} rotate`, '--revoke-hook', `${HOOK} revoke`])).code).toBe(0);
  backupFile = path.join(sb.root, 'home', 'backup.exv');
  expect((await sb.vaultCmd(['backup', backupFile])).code).toBe(0);
  // The vault moves on after the backup, so a restore is a visible change.
  expect((await sb.vaultCmd(['add', 'after-backup', '--exchange', 'okx'], { input: OKX_JSON })).code).toBe(0);
  importFile = sb.secretFile('import.json', JSON.stringify({ format: 'exvault-export', version: 1, entries: [{ name: 'imported', exchange: 'okx', secrets: JSON.parse(OKX_JSON) }] }));
  base = snapshot(dir);
  before = await openVaultFile(sb.vault, CANARY.vaultPassphrase);
}, 120_000);
afterAll(() => {
  sb.assertNoCanary();
  sb.cleanup();
});

// The V8 code cache in bin/vault.js is left out: a failed open of it made the CLI exit 1 with a
// raw stack (found by this suite); the cache itself is being redone under issue 11's other half.
const envFor = () => ({ ...sb.env, EXVAULT_NO_CODE_CACHE: '1' }) as Record<string, string>;
const cliArgs = (c: Command) => ['--passphrase-file', sb.passFile, ...c.args()];

async function openEither(): Promise<{ doc: VaultDoc; withNew: boolean }> {
  try {
    return { doc: await openVaultFile(sb.vault, CANARY.vaultPassphrase), withNew: false };
  } catch (err) {
    if (!(err instanceof AuthError)) throw err;
    return { doc: await openVaultFile(sb.vault, OTHER_PASSPHRASE), withNew: true };
  }
}

type Tally = Record<string, { cases: number; old: number; new: number; warned: number; collateral: number; offTarget: number }>;
const tally: Tally = {};
const failures: string[] = [];

/** Checks one injected run against the rules; returns problems (empty when it passed). */
async function judge(name: string, cmd: Command, run: StraceRun, aimed: Call): Promise<string[]> {
  const problems: string[] = [];
  const hit = injectedCalls(run);
  const aborted = run.timedOut || run.signal !== null || run.code === 134 || run.code === null;
  const key = `${name} ${aimed.syscall}`;
  const t = (tally[key] ??= { cases: 0, old: 0, new: 0, warned: 0, collateral: 0, offTarget: 0 });
  t.cases++;
  // Call numbers can move a little between runs; a hit outside the aimed set (Node loading
  // bin/vault.js or dist/cli.js itself, before any of our code runs) is judged on the state
  // only: the program never started, so there is no message of ours to check.
  const mainHit = hit.find((c) => c.main);
  const onTarget = !mainHit || aimable([mainHit], run.mainTid, sb.root).length > 0;
  if (!onTarget) t.offTarget++;
  if (aborted) {
    // Only a libuv wake-up hit (collateral of per-thread counting) may explain an abort.
    if (hit.some((c) => isInternal(c))) {
      t.collateral++;
      return [];
    }
    return [`${run.timedOut ? 'hung (killed after 60 s)' : `aborted (code ${run.code}, signal ${run.signal})`}; injected: ${hit.map((c) => c.line.slice(0, 100)).join(' | ')}`];
  }
  if (/unexpected internal error/.test(run.stderr)) problems.push(`"unexpected internal error": ${run.stderr.split('\n')[0]}`);
  const left = fs.readdirSync(dir).filter((f) => !['vault.exv', 'vault.exv.bak', 'vault.exv.audit', 'vault.exv.audit-head', 'vault.exv.runs'].includes(f));
  // The run records' folder stays; a run that ended leaves nothing in it.
  if (fs.existsSync(`${sb.vault}.runs`)) left.push(...fs.readdirSync(`${sb.vault}.runs`).map((f) => `vault.exv.runs/${f}`));
  if (left.length) problems.push(`left behind: ${left.join(', ')}`);
  const bytes = fs.readFileSync(sb.vault);
  const old = bytes.equals(base.get('vault.exv')!.data);
  const warned = /was saved, but the folder .* could not be synced \(.*\): durability not guaranteed/.test(run.stderr);
  if (warned) t.warned++;
  if (onTarget && run.code !== 0 && !(DOCUMENTED.has(run.code!) && /^vault: error: /m.test(run.stderr)) && !(name === 'exec' && /touch: /.test(run.stderr))) {
    problems.push(`exit ${run.code} without a documented error: ${run.stderr.trim().split('\n')[0] ?? ''}`);
  }
  if (cmd.release) {
    if (!old) problems.push('the vault changed');
    const released = cmd.release(run);
    const logNow = fs.existsSync(`${sb.vault}.audit`) ? fs.statSync(`${sb.vault}.audit`).size : 0;
    const grew = logNow > (base.get('vault.exv.audit')?.data.length ?? 0);
    if (released && !grew) problems.push('released without a record in the audit log');
    if (name === 'get' && run.code === 0 && !released) problems.push('exit 0 but the value was not printed');
    (released ? t.new++ : t.old++);
  } else if (old) {
    t.old++;
    if (run.code === 0) problems.push('exit 0 but the vault is unchanged');
  } else if (name === 'rotate' && run.code !== 0 && /the current key stays active/.test(run.stderr) && !/the rotation is noted in the vault/.test(run.stderr)) {
    // The journal's note was written, then taken back when the hook failed and said so: the
    // bytes differ, the state is the old one (same version, no note), and the status says so.
    t.old++;
    const { doc } = await openEither();
    const r = doc.entries.get('rot')!;
    if ((r.version ?? 1) !== (before.entries.get('rot')!.version ?? 1) || r.rotating) problems.push(`said the current key stays active, but the state is not the old one: version ${r.version}${r.rotating ? ', rotation noted' : ''}`);
  } else {
    t.new++;
    const noted = name === 'rotate' && /the rotation is noted in the vault and vault rotate --due starts it again/.test(run.stderr);
    // A report that could not be written after the change says the vault was changed (exit 9).
    const reportLost = run.code === 9 && /the output \(standard output\).*: the vault was changed; only this report (is|may be) incomplete/.test(run.stderr);
    const committed = run.code === 0 || (name === 'rotate' && /the new key is stored/.test(run.stderr)) || noted || reportLost;
    if (!committed) problems.push(`the vault changed but exit ${run.code}: ${run.stderr.trim().split('\n')[0]}`);
    try {
      const { doc, withNew } = await openEither();
      if (withNew !== (name === 'passwd')) problems.push(`opens with the ${withNew ? 'new' : 'old'} passphrase`);
      cmd.isNew!(doc, bytes);
      if (name === 'rotate' && doc.entries.get('rot')!.rotating && !noted) problems.push('a rotation note left without the message saying so');
    } catch (err) {
      problems.push(`not exactly the new state: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  if (warned && (old || run.code !== 0)) problems.push('a durability warning without the change made');
  // The audit chain verifies (with whichever passphrase opens the vault now).
  const pass = name === 'passwd' && !old ? passB : sb.passFile;
  const verify = await sb.run(['--passphrase-file', pass, 'audit', 'verify']);
  if (verify.code !== 0) problems.push(`audit verify: exit ${verify.code}: ${verify.stderr.split('\n')[0]}`);
  return problems;
}

const logFile = () => path.join(sb.root, 'tmp', 'strace.log');

it.each(Object.keys(COMMANDS))(
  'injected failures during %s: old or new state, the status says which, chain intact, nothing left, no abort or hang',
  async (name) => {
    const cmd = COMMANDS[name]!;
    restoreSnapshot(dir, base);
    fs.rmSync(marker, { force: true });
    const plain = await straceRun(cliArgs(cmd), { env: envFor(), cwd: sb.root, input: cmd.input, timeoutMs: CASE_BOUND_MS, logFile: logFile() });
    expect(plain.code).toBe(0);
    const targets = aimable(parseTrace(plain.log), plain.mainTid, sb.root);
    let ran = 0;
    for (const sc of FAULT_SYSCALLS) {
      const mine = targets.filter((c) => c.syscall === sc);
      const picks = LONG ? mine : spread(mine, CI_PICKS[sc]);
      const errnos = ERRNOS[sc];
      for (let i = 0; i < picks.length; i++) {
        for (const errno of LONG ? errnos : [errnos[i % errnos.length]!]) {
          const aimed = picks[i]!;
          restoreSnapshot(dir, base);
          fs.rmSync(marker, { force: true });
          const run = await straceRun(cliArgs(cmd), { env: envFor(), cwd: sb.root, input: cmd.input, timeoutMs: CASE_BOUND_MS, logFile: logFile(), inject: { syscall: sc, errno, n: aimed.n } });
          const problems = await judge(name, cmd, run, aimed);
          ran++;
          const actual = injectedCalls(run).find((c) => c.main)?.target ?? 'nothing';
          for (const p of problems) failures.push(`${name}: ${sc}=${errno} #${aimed.n} (aimed at ${aimed.target.slice(0, 80)}, hit ${actual.slice(0, 80)}): ${p}`);
        }
      }
    }
    restoreSnapshot(dir, base);
    expect(ran).toBeGreaterThan(0);
    expect(failures.filter((f) => f.startsWith(`${name}:`))).toEqual([]);
  },
  timeLimit(1_200_000),
);

afterAll(() => {
  process.stderr.write(`fault injection: ${JSON.stringify(tally)}\n`);
});
