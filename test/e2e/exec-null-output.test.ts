// vault exec masks the program's output by default when it is not a terminal, except an
// output that is the null device: nothing written there is kept, so the program gets it
// directly, without the masking pipe (it costs the start of every bot). Each stream is decided
// on its own, and --mask / --no-mask still force it.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BINANCE_JSON, CLI, HANG_MS, Sandbox } from '../helpers/cli';
import { CANARY, findCanary } from '../helpers/canary';

let sb: Sandbox;
let n = 0;

beforeAll(async () => {
  sb = new Sandbox();
  await sb.init();
  expect((await sb.run(['add', 'bin', '--exchange', 'binance'], { env: { EXVAULT_PASSPHRASE_FILE: sb.passFile }, input: BINANCE_JSON })).code).toBe(0);
}, 120_000);
afterAll(() => {
  sb.assertNoCanary();
  sb.cleanup();
});

/** Runs `vault exec [flags] bin -- sh -c script` with stdout and stderr on the given paths; returns what the program's fds 1 and 2 were, and the files' contents. */
function run(flags: string[], stdoutPath: string, stderrPath: string, script = ''): { fd1: string; fd2: string; out: string; err: string } {
  const tag = `${n++}`;
  const f1 = path.join(sb.root, 'tmp', `fd1-${tag}`);
  const f2 = path.join(sb.root, 'tmp', `fd2-${tag}`);
  const o = fs.openSync(stdoutPath, 'a', 0o600);
  const e = fs.openSync(stderrPath, 'a', 0o600);
  try {
    const r = spawnSync(process.execPath, [CLI, 'exec', ...flags, 'bin', '--', 'sh', '-c', `a=$(readlink /proc/$$/fd/1); b=$(readlink /proc/$$/fd/2); printf %s "$a" > "$1"; printf %s "$b" > "$2"; ${script}`, 'sh', f1, f2], {
      env: { ...sb.env, EXVAULT_PASSPHRASE_FILE: sb.passFile },
      cwd: sb.root,
      stdio: ['ignore', o, e],
      timeout: HANG_MS,
    });
    expect(r.status).toBe(0);
  } finally {
    fs.closeSync(o);
    fs.closeSync(e);
  }
  const read = (p: string) => (p === '/dev/null' ? '' : fs.readFileSync(p, 'utf8'));
  return { fd1: fs.readFileSync(f1, 'utf8').trim(), fd2: fs.readFileSync(f2, 'utf8').trim(), out: read(stdoutPath), err: read(stderrPath) };
}

const pipe = /^socket:\[\d+\]$/;

test('output to /dev/null reaches the program directly, unmasked (nothing is kept)', () => {
  const r = run([], '/dev/null', '/dev/null');
  expect(r.fd1).toBe('/dev/null');
  expect(r.fd2).toBe('/dev/null');
});

test('output to a file goes through the masking pipe, and secrets are masked', () => {
  const log = path.join(sb.root, 'tmp', 'bot.log');
  const r = run([], log, log, 'echo "key=$BIN_API_KEY"; echo "secret=$BIN_API_SECRET" >&2');
  expect(r.fd1).toMatch(pipe);
  expect(r.fd2).toMatch(pipe);
  expect(r.out).toContain('key=<concealed:BIN_API_KEY>');
  expect(r.out).toContain('secret=<concealed:BIN_API_SECRET>');
  expect(findCanary(r.out)).toBeNull();
});

test('each stream on its own: stdout to /dev/null, stderr to a file is still masked', () => {
  const log = path.join(sb.root, 'tmp', 'err.log');
  const r = run([], '/dev/null', log, 'echo "$BIN_API_SECRET"; echo "secret=$BIN_API_SECRET" >&2');
  expect(r.fd1).toBe('/dev/null');
  expect(r.fd2).toMatch(pipe);
  expect(r.err).toContain('secret=<concealed:BIN_API_SECRET>');
  expect(r.err).not.toContain(CANARY.apiSecret);
});

test('--mask still masks /dev/null; --no-mask gives a file directly', () => {
  expect(run(['--mask'], '/dev/null', '/dev/null').fd1).toMatch(pipe);
  const log = path.join(sb.root, 'tmp', 'plain.log');
  const r = run(['--no-mask'], log, log);
  expect(r.fd1).toBe(log);
  expect(r.fd2).toBe(log);
});
