// vault exec under real process trees, through the built CLI: the wrapper ends when the
// program ends although processes it left behind hold its output; signals and the grace
// period reach the program's whole process group; a reader that goes away reaches the
// program; the status is the program's in every case, masked (output piped through the
// wrapper) and unmasked (--no-mask). Each run is bounded: BOUND_MS only catches a hang,
// the processes left behind live far longer (LEFT_BEHIND_S).
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BINANCE_JSON, CLI, Sandbox } from '../helpers/cli';
import { CANARY, findCanary } from '../helpers/canary';
import { injectedCalls, parseTrace, straceRun } from '../helpers/faults';
import { node22 } from '../helpers/node22';
import { Terminal } from '../helpers/tmux';

const CHILD = path.resolve(__dirname, '../fixtures/child.js');
const BOUND_MS = 10_000;
const LEFT_BEHIND_S = 60;

let sb: Sandbox;
let env: Record<string, string>;
const outputs: string[] = [];
const leftBehind: number[] = [];

beforeAll(async () => {
  sb = new Sandbox();
  await sb.init();
  env = { ...sb.env, EXVAULT_PASSPHRASE_FILE: sb.passFile };
  expect((await sb.run(['add', 'bot', '--exchange', 'binance', '--permissions', 'reading,spot'], { env, input: BINANCE_JSON })).code).toBe(0);
});
afterAll(() => {
  for (const pid of leftBehind) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  expect(findCanary(outputs.join('\n'))).toBeNull();
  sb.assertNoCanary();
  sb.cleanup();
});

const tmp = (name: string) => path.join(sb.root, 'tmp', name);

interface Run {
  child: ChildProcess;
  /** The wrapper's end: resolves on its exit, not on its pipes closing (a process left behind may hold them). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
  stdout: () => string;
  stderr: () => string;
}

/** Starts `vault exec bot [opts] -- cmd...` with stdin, stdout and stderr on pipes (no terminal). */
function launch(opts: string[], cmd: string[]): Run {
  const t0 = Date.now();
  const child = spawn(process.execPath, [CLI, 'exec', 'bot', ...opts, '--', ...cmd], { env, cwd: sb.root, stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout!.on('data', (d) => out.push(d));
  child.stderr!.on('data', (d) => err.push(d));
  child.stdout!.on('error', () => undefined);
  child.stdin!.end();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      // What arrived by now; anything later came from a process left behind.
      setTimeout(() => {
        outputs.push(Buffer.concat(out).toString(), Buffer.concat(err).toString());
        // A process left behind may hold these pipes: do not let it keep the test alive.
        child.stdout!.destroy();
        child.stderr!.destroy();
        resolve({ code, signal, ms: Date.now() - t0 });
      }, 100);
    });
  });
  return { child, exited, stdout: () => Buffer.concat(out).toString(), stderr: () => Buffer.concat(err).toString() };
}

async function waitFor<T>(what: string, get: () => T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = get();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const readIf = (f: string) => (fs.existsSync(f) && fs.readFileSync(f, 'utf8').endsWith('\n') ? fs.readFileSync(f, 'utf8') : undefined);
/** Pids a shell wrote, one a line, once the file is complete. */
async function pidsFrom(f: string, n: number): Promise<number[]> {
  const text = await waitFor(f, () => {
    const t = readIf(f);
    return t && t.trim().split('\n').length >= n ? t : undefined;
  });
  const pids = text.trim().split('\n').map(Number);
  leftBehind.push(...pids);
  return pids;
}

/** Running or stopped (not gone, not a zombie). */
function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function gone(pid: number): Promise<boolean> {
  await waitFor(`pid ${pid} to end`, () => (alive(pid) ? undefined : true), 5000).catch(() => undefined);
  return !alive(pid);
}

/** No canary on the command line of any of these processes. */
function cmdlinesClean(pids: number[]): void {
  for (const pid of pids) {
    try {
      expect(findCanary(fs.readFileSync(`/proc/${pid}/cmdline`))).toBeNull();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}

const MODES: [string, string[]][] = [
  ['masked', []],
  ['unmasked', ['--no-mask']],
];

describe.each(MODES)('%s', (mode, maskOpt) => {
  it(`ends with the program although a process it left behind holds stdout and stderr for ${LEFT_BEHIND_S} s`, async () => {
    const f = tmp(`left-${mode}`);
    // Only the masked run prints the secret: unmasked, it would be the canary in the clear.
    const say = mode === 'masked' ? 'key: $BOT_API_SECRET' : 'key: ${#BOT_API_SECRET} characters';
    const r = launch(maskOpt, ['sh', '-c', `sleep ${LEFT_BEHIND_S} & echo $! > ${f}; echo "${say}"; exit 3`]);
    const [sleeper] = await pidsFrom(f, 1);
    const end = await r.exited;
    expect(end.code).toBe(3);
    expect(end.ms).toBeLessThan(BOUND_MS);
    expect(alive(sleeper!)).toBe(true);
    if (mode === 'masked') expect(r.stdout()).toBe('key: <concealed:BOT_API_SECRET>\n');
    else expect(r.stdout()).toBe(`key: ${CANARY.apiSecret.length} characters\n`);
  });

  it('ends with the program although a process it left behind holds stderr only', async () => {
    const f = tmp(`left-err-${mode}`);
    const r = launch(maskOpt, ['sh', '-c', `sleep ${LEFT_BEHIND_S} >/dev/null & echo $! > ${f}; echo done >&2; exit 4`]);
    await pidsFrom(f, 1);
    const end = await r.exited;
    expect(end.code).toBe(4);
    expect(end.ms).toBeLessThan(BOUND_MS);
    expect(r.stderr()).toBe('done\n');
  });

  it('SIGTERM reaches every process of the program: the wrapper ends with it, nothing is left', async () => {
    const f = tmp(`term-${mode}`);
    const r = launch(maskOpt, ['sh', '-c', `sleep ${LEFT_BEHIND_S} & echo $! > ${f}; sleep ${LEFT_BEHIND_S + 1} & echo $! >> ${f}; wait`]);
    const pids = await pidsFrom(f, 2);
    cmdlinesClean([r.child.pid!, ...pids]);
    const t0 = Date.now();
    r.child.kill('SIGTERM');
    const end = await r.exited;
    expect(end.code).toBe(143);
    expect(Date.now() - t0).toBeLessThan(BOUND_MS);
    for (const pid of pids) expect(await gone(pid)).toBe(true);
  });

  it('a program that traps SIGTERM and exits 7 gives 7, at once', async () => {
    const f = tmp(`trap-${mode}`);
    const r = launch(maskOpt, ['sh', '-c', `trap "exit 7" TERM; sleep ${LEFT_BEHIND_S} & echo $! > ${f}; wait`]);
    await pidsFrom(f, 1);
    const t0 = Date.now();
    r.child.kill('SIGTERM');
    const end = await r.exited;
    expect(end.code).toBe(7);
    expect(Date.now() - t0).toBeLessThan(BOUND_MS);
  });

  it('a program ignoring SIGTERM, without --grace, gets its time: the wrapper waits', async () => {
    const f = tmp(`ignore-${mode}`);
    const r = launch(maskOpt, ['sh', '-c', `trap "" TERM; sleep ${LEFT_BEHIND_S} & echo $! > ${f}; wait $!`]);
    const [sleeper] = await pidsFrom(f, 1);
    r.child.kill('SIGTERM');
    await new Promise((res) => setTimeout(res, 1500));
    expect(r.child.exitCode).toBeNull();
    expect(alive(sleeper!)).toBe(true);
    process.kill(sleeper!, 'SIGKILL');
    // The shell's `wait $!` gives 128+9 for the killed sleep, and that is the shell's status.
    expect((await r.exited).code).toBe(137);
  });

  it('--grace: a program ignoring SIGTERM and its own processes are SIGKILLed when the grace is up', async () => {
    const f = tmp(`grace-${mode}`);
    const r = launch([...maskOpt, '--grace', '1s'], ['sh', '-c', `trap "" TERM; sleep ${LEFT_BEHIND_S} & echo $! > ${f}; wait`]);
    const [sleeper] = await pidsFrom(f, 1);
    const t0 = Date.now();
    r.child.kill('SIGTERM');
    const end = await r.exited;
    expect(end.code).toBe(137);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect(Date.now() - t0).toBeLessThan(BOUND_MS);
    expect(await gone(sleeper!)).toBe(true);
  });

  it('--grace: a process left behind that ignores SIGTERM is SIGKILLed when the grace is up; the status stays the program\'s', async () => {
    const f = tmp(`grace-left-${mode}`);
    const r = launch([...maskOpt, '--grace', '1s'], ['sh', '-c', `(trap "" TERM; exec sleep ${LEFT_BEHIND_S}) & echo $! > ${f}; trap "exit 7" TERM; wait`]);
    const [sleeper] = await pidsFrom(f, 1);
    const t0 = Date.now();
    r.child.kill('SIGTERM');
    const end = await r.exited;
    expect(end.code).toBe(7);
    expect(Date.now() - t0).toBeLessThan(BOUND_MS);
    expect(await gone(sleeper!)).toBe(true);
  });

  it('a reader that goes away reaches the program (SIGPIPE); its stderr still flows', async () => {
    const r = launch(maskOpt, ['sh', '-c', 'while :; do echo x; sleep 0.05; done']);
    r.child.stdout!.once('data', () => r.child.stdout!.destroy());
    const end = await r.exited;
    expect(end.code).toBe(128 + 13);
    const r2 = launch(maskOpt, ['sh', '-c', 'yes; echo after >&2; exit 9']);
    r2.child.stdout!.once('data', () => r2.child.stdout!.destroy());
    const end2 = await r2.exited;
    expect(end2.code).toBe(9);
    expect(end2.ms).toBeLessThan(BOUND_MS);
    expect(r2.stderr()).toMatch(/after\n$/);
  });

  it.each([0, 1, 2, 3, 42, 64, 125, 126, 127, 128, 129, 200, 254, 255])('exit status %i passes through', async (n) => {
    expect((await launch(maskOpt, ['sh', '-c', `exit ${n}`]).exited).code).toBe(n);
  });

  it('killed by signal N gives 128+N', async () => {
    for (const [sig, n] of [['HUP', 1], ['INT', 2], ['QUIT', 3], ['ABRT', 6], ['KILL', 9], ['USR1', 10], ['SEGV', 11], ['PIPE', 13], ['TERM', 15]] as const) {
      expect([sig, (await launch(maskOpt, ['sh', '-c', `kill -${sig} $$`]).exited).code]).toEqual([sig, 128 + n]);
    }
  });

  it('forwards SIGQUIT SIGWINCH SIGINT SIGTERM to the program and its processes, SIGHUP SIGUSR1 SIGUSR2 (reload) to the program only', async () => {
    const f = tmp(`signals-${mode}`);
    const r = launch(maskOpt, [process.execPath, CHILD, 'tree', f]);
    const ready = await waitFor('ready', () => (fs.existsSync(`${f}.ready`) ? fs.readFileSync(`${f}.ready`, 'utf8') : undefined));
    const [program, grand] = ready.split(' ').map(Number);
    cmdlinesClean([r.child.pid!, program!, grand!]);
    expect(findCanary(fs.readFileSync(`/proc/${program}/environ`))).not.toBeNull();
    const sent = ['SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH', 'SIGINT', 'SIGTERM'] as const;
    const toTree = new Set(['SIGQUIT', 'SIGWINCH', 'SIGINT', 'SIGTERM']);
    const logged = (file: string, s: string) => (fs.existsSync(file) && fs.readFileSync(file, 'utf8').includes(s) ? true : undefined);
    for (const s of sent) {
      r.child.kill(s);
      await waitFor(`${s} to arrive`, () => logged(f, s));
      // The next signal only once the grandchild has logged this one too: both receive each
      // signal, but on a busy machine the grandchild could log two in the other order.
      if (toTree.has(s)) await waitFor(`${s} to reach the grandchild`, () => logged(`${f}.grand`, s));
    }
    const end = await r.exited;
    expect(end.code).toBe(0);
    expect(fs.readFileSync(f, 'utf8').trim().split('\n')).toEqual([...sent]);
    expect(fs.readFileSync(`${f}.grand`, 'utf8').trim().split('\n')).toEqual(['SIGQUIT', 'SIGWINCH', 'SIGINT', 'SIGTERM']);
  });
});

describe('on a terminal (the program shares the terminal\'s foreground job)', () => {
  it('--grace SIGKILLs the program and the processes it started, found in /proc; the program can still read the terminal', async () => {
    const f = tmp('tty-grace');
    const t = new Terminal(env);
    try {
      // read proves the terminal is still the program's: a background job would be stopped.
      t.start([process.execPath, CLI, 'exec', 'bot', '--grace', '1s', '--', 'sh', '-c', `read line; echo "got $line"; trap "" TERM; sleep ${LEFT_BEHIND_S} & echo $PPID > ${f}; echo $! >> ${f}; wait $!`], sb.root);
      await new Promise((r) => setTimeout(r, 500));
      t.type('hello');
      await t.waitFor(/got hello/);
      const [wrapper, sleeper] = await pidsFrom(f, 2);
      leftBehind.pop();
      leftBehind.pop();
      leftBehind.push(sleeper!);
      process.kill(wrapper!, 'SIGTERM');
      expect(await t.exitCode()).toBe(137);
      expect(await gone(sleeper!)).toBe(true);
    } finally {
      t.close();
    }
  });
});

/** Some process listens on 127.0.0.1:9229 or [::1]:9229 (Node's inspector): port 0x2411 in state LISTEN (0A). */
function inspectorListening(): boolean {
  return ['/proc/net/tcp', '/proc/net/tcp6'].some((t) => {
    const rows = fs.existsSync(t) ? fs.readFileSync(t, 'utf8').split('\n').slice(1) : [];
    return rows.some((row) => {
      const [, local, , state] = row.trim().split(/\s+/);
      return local?.endsWith(':2411') && state === '0A';
    });
  });
}

describe('SIGUSR1 during the unlock', () => {
  it('does not open Node\'s inspector (secrets readable on port 9229); it is dropped, the program runs and its status is kept', async () => {
    expect(inspectorListening()).toBe(false);
    // The unlock waits for the passphrase, read from a FIFO: the signal surely arrives during
    // it (as it would during a KDF that takes seconds: both run on the main thread).
    const fifo = path.join(sb.root, 'tmp', 'pass.fifo');
    expect(spawnSync('mkfifo', ['-m', '600', fifo]).status).toBe(0);
    const f = tmp('usr1-unlock');
    const program = `trap 'echo USR1 >> ${f}' USR1; touch ${f}.ready; while [ ! -e ${f}.go ]; do sleep 0.1; done; exit 5`;
    const child = spawn(process.execPath, [CLI, '--passphrase-file', fifo, 'exec', 'bot', '--', 'sh', '-c', program], { env: sb.env, cwd: sb.root, stdio: ['ignore', 'pipe', 'pipe'] });
    const err: Buffer[] = [];
    child.stderr!.on('data', (d) => err.push(d));
    child.stdout!.resume();
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    try {
      // The wrapper is blocked opening the FIFO, well past Node's start.
      await waitFor('the unlock', () => (fs.readFileSync(`/proc/${child.pid}/wchan`, 'utf8') === 'wait_for_partner' ? true : undefined), 30_000);
      child.kill('SIGUSR1');
      await new Promise((r) => setTimeout(r, 1000));
      fs.writeFileSync(fifo, fs.readFileSync(sb.passFile));
      await waitFor('the program', () => (fs.existsSync(`${f}.ready`) ? true : undefined), 30_000);
      // Node announces an inspector it opens on stderr; give it time to do so.
      await new Promise((r) => setTimeout(r, 1000));
      expect(Buffer.concat(err).toString()).not.toMatch(/Debugger listening/);
      expect(inspectorListening()).toBe(false);
      fs.writeFileSync(`${f}.go`, '');
      expect(await exited).toBe(5);
      expect(fs.existsSync(f)).toBe(false); // dropped, not delivered late
    } finally {
      clearTimeout(killer);
      child.kill('SIGKILL');
    }
    outputs.push(Buffer.concat(err).toString());
  });
});

describe('the audit record of the end', () => {
  it('an injected EIO on its fsync is reported on stderr; the status stays the program\'s', async () => {
    const args = ['exec', 'bot', '--', 'sh', '-c', 'exit 4'];
    const o = { env, cwd: sb.root, timeoutMs: 60_000, logFile: tmp('fsyncs') };
    // The end record is the last fsync of the audit log by the main thread (not a later one
    // of other files, nor one made at exit): found by name in a plain traced run.
    const plain = await straceRun(args, o);
    expect(plain.code).toBe(4);
    const end = parseTrace(plain.log).filter((c) => c.tid === plain.mainTid && c.syscall === 'fsync' && /vault\.exv\.audit>$/.test(c.target)).pop();
    expect(end).toBeDefined();
    const r = await straceRun(args, { ...o, inject: { syscall: 'fsync', errno: 'EIO', n: end!.n } });
    outputs.push(r.stdout, r.stderr);
    expect(injectedCalls(r).find((c) => c.main)?.target).toMatch(/vault\.exv\.audit>$/);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^vault: warning: the end of the program \(exit status 4\) was not recorded in the audit log: could not write the audit log .*vault\.exv\.audit \(input\/output error\)\n$/);
  });
});

describe('--no-wrapper', () => {
  it('on this Node.js (no process.execve) is refused before anything runs, naming the version needed', async () => {
    expect(typeof (process as unknown as { execve?: unknown }).execve).toBe('undefined');
    const marker = tmp('no-wrapper-ran');
    const r = await sb.run(['exec', 'bot', '--no-wrapper', '--', 'touch', marker], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`vault: error: --no-wrapper needs Node.js 22.15 (or 23.11) or later; this is ${process.version}\nvault: hint: run without --no-wrapper, or with a newer Node.js\n`);
    expect(fs.existsSync(marker)).toBe(false);
  });

  it.each([
    ['--mask', /--no-wrapper cannot mask output/],
    ['--grace=5s', /--no-wrapper has no --grace/],
  ])('with %s is refused', async (opt, message) => {
    const r = await sb.run(['exec', 'bot', '--no-wrapper', opt, '--', 'true'], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('on Node.js 22 the vault becomes the program: same pid, default SIGPIPE, blocking stdio, its status; the start is logged as having no wrapper', async () => {
    const node = node22();
    const f = tmp('no-wrapper.txt');
    // The program reports what it inherited: its pid, ignored signals, O_NONBLOCK on fd 0-2.
    const script = `echo $$ > ${f}; grep SigIgn /proc/$$/status >> ${f}; for fd in 0 1 2; do grep flags /proc/$$/fdinfo/$fd >> ${f}; done; echo "\${#BOT_API_SECRET}" >> ${f}; exit 42`;
    const child = spawn(node, [CLI, 'exec', 'bot', '--no-wrapper', '--', 'sh', '-c', script], { env, cwd: sb.root, stdio: ['pipe', 'pipe', 'pipe'] });
    const err: Buffer[] = [];
    child.stderr!.on('data', (d) => err.push(d));
    child.stdout!.resume();
    child.stdin!.end();
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    outputs.push(Buffer.concat(err).toString());
    expect(code).toBe(42);
    const [pid, sigIgn, ...rest] = fs.readFileSync(f, 'utf8').trim().split('\n');
    expect(Number(pid)).toBe(child.pid);
    // Node ignores SIGPIPE and SIGXFSZ for itself; the program must not inherit that.
    expect(sigIgn).toBe('SigIgn:\t0000000000000000');
    const flags = rest.slice(0, 3).map((l) => parseInt(l.split(/\s+/)[1]!, 8));
    for (const fl of flags) expect(fl & 0o4000).toBe(0);
    expect(Number(rest[3])).toBe(CANARY.apiSecret.length);
    const audit = await sb.run(['audit', '--json'], { env });
    const last = JSON.parse(audit.stdout).pop();
    expect(last).toMatchObject({ cmd: 'exec', program: 'sh', result: 'no wrapper, no end record' });
    expect((await sb.run(['audit'], { env })).stdout).toMatch(/no wrapper, no end record +bot\(apiKey,apiSecret\)\n$/);
  }, 300_000);
});
