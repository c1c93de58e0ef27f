// Results redirected into files: when syncing them fails at exit (an I/O error on the disk
// holding the redirect), the command neither hangs (koffi's exit-time sync of fd 2 used to
// deadlock on its own log lock) nor prints raw library text; a failed sync of the results
// is exit 9 with one line, and a failure on stderr alone leaves the command's own status.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BINANCE_JSON, CLI, Sandbox } from '../helpers/cli';
import { findCanary } from '../helpers/canary';
import { parseTrace, STRACE } from '../helpers/faults';

let sb: Sandbox;
beforeAll(async () => {
  sb = new Sandbox();
  await sb.init();
  expect((await sb.vaultCmd(['add', 'e1', '--exchange', 'binance'], { input: BINANCE_JSON })).code).toBe(0);
}, 120_000);
afterAll(() => {
  sb.assertNoCanary();
  sb.cleanup();
});

interface Run { code: number | null; timedOut: boolean; out: string; err: string; log: string }

/** The CLI under strace with stdout and stderr redirected to regular files, as `> out 2> err`. */
function run(args: string[], input: string, inject?: string): Promise<Run> {
  const out = path.join(sb.root, 'tmp', 'out');
  const err = path.join(sb.root, 'tmp', 'err');
  const log = path.join(sb.root, 'tmp', 'strace.log');
  const fo = fs.openSync(out, 'w', 0o600);
  const fe = fs.openSync(err, 'w', 0o600);
  const sargs = ['-f', '-qq', '-y', '-o', log, '-e', 'trace=fsync', ...(inject ? ['-e', `inject=fsync:${inject}`] : [])];
  const child = spawn(STRACE, [...sargs, process.execPath, CLI, '--passphrase-file', sb.passFile, ...args], { env: sb.env, cwd: sb.root, stdio: ['pipe', fo, fe], detached: true });
  fs.closeSync(fo);
  fs.closeSync(fe);
  child.stdin!.on('error', () => undefined);
  child.stdin!.end(input);
  return new Promise((resolve, reject) => {
    let timedOut = false;
    // Only a real hang reaches this.
    const timer = setTimeout(() => {
      timedOut = true;
      process.kill(-child.pid!, 'SIGKILL');
    }, 90_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const r = { code, timedOut, out: fs.readFileSync(out, 'utf8'), err: fs.readFileSync(err, 'utf8'), log: fs.readFileSync(log, 'utf8') };
      // `get` prints a secret into out on purpose: it must not stay where the canary check looks;
      // stderr and the trace must never hold one.
      if (findCanary(r.err) || findCanary(r.log)) throw new Error('a canary secret appeared on stderr or in the trace');
      for (const f of [out, err, log]) fs.rmSync(f, { force: true });
      resolve(r);
    });
  });
}

const CASES: [string, string[], string][] = [
  ['add', ['add', 'k2', '--exchange', 'binance'], BINANCE_JSON],
  ['list', ['list'], ''],
  ['get', ['get', 'e1', 'apiKey'], ''],
];

const oneLineErrors = (err: string) => err.split('\n').filter(Boolean).every((l) => /^vault: /.test(l));

it.each(CASES)('%s: a failed sync of stdout or stderr at exit neither hangs nor prints raw text', async (name, args, input) => {
  const clean = await run(args, input);
  expect(clean.code).toBe(0);
  if (name === 'add') expect((await sb.vaultCmd(['rm', 'k2', '--yes'])).code).toBe(0);
  const stdio = parseTrace(clean.log).filter((c) => /^[12]</.test(c.target));
  // The results go to a file: something syncs it (before: koffi at exit; now: the command).
  // (add reports on stderr only: before, koffi synced fd 2 at exit, which hung on failure.)
  if (name !== 'add') expect(stdio.some((c) => c.target.startsWith('1<'))).toBe(true);
  for (const c of stdio) {
    const r = await run(args, input, `error=EIO:when=${c.n}`);
    if (name === 'add') await sb.vaultCmd(['rm', 'k2', '--yes']);
    const onStdout = c.target.startsWith('1<');
    expect({ name, call: c.n, fd: c.target[0], timedOut: r.timedOut, code: r.code, raw: /Failed to sync|Error:/.test(r.err), oneLine: oneLineErrors(r.err) })
      .toEqual({ name, call: c.n, fd: c.target[0], timedOut: false, code: onStdout ? 9 : 0, raw: false, oneLine: true });
    if (onStdout) expect(r.err).toMatch(/^vault: error: .*standard output.*i\/o error|^vault: error: .*standard output/m);
  }
  // Every sync from the first on stdio failing (the old code hung here).
  if (!stdio.length) return;
  const first = Math.min(...stdio.map((c) => c.n));
  const all = await run(args, input, `error=EIO:when=${first}+`);
  if (name === 'add') await sb.vaultCmd(['rm', 'k2', '--yes']);
  expect({ timedOut: all.timedOut, code: all.code, raw: /Failed to sync|Error:/.test(all.err) }).toEqual({ timedOut: false, code: 9, raw: false });
}, 600_000);

// fsync of /dev/null fails (EINVAL): with stdout there and stderr a pipe (`vault list >/dev/null`
// under a supervisor that reads stderr) koffi's exit-time sync used to deadlock the process.
it.each([
  ['stdout /dev/null, stderr a pipe', ['ignore', 'ignore', 'pipe']],
  ['stdout a pipe, stderr /dev/null', ['ignore', 'pipe', 'ignore']],
  ['both /dev/null', ['ignore', 'ignore', 'ignore']],
] as const)('%s: the command exits (no hang at exit)', async (_name, stdio) => {
  const child = spawn(process.execPath, [CLI, '--passphrase-file', sb.passFile, 'list'], { env: sb.env, cwd: sb.root, stdio: [...stdio] });
  child.stdout?.resume();
  child.stderr?.resume();
  const code = await new Promise<number | null>((resolve) => {
    // Only a real hang reaches this.
    const timer = setTimeout(() => child.kill('SIGKILL'), 40_000);
    child.on('close', (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  expect(code).toBe(0);
}, 60_000);
