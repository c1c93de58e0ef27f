// Fault injection with strace: count the system calls a CLI run makes, then run it again
// with one call made to fail (`-e inject=SYSCALL:error=ERRNO:when=N`), and report what was
// hit. Used by test/adversarial/faults.test.ts.
//
// Which calls are aimed at: those of the vault's own main thread (where every synchronous
// file operation runs) on files under the test's folder, on standard output and error, and
// on sockets (a hook's or program's standard input, D-Bus). Not aimed at: libuv's internal
// wake-ups (eventfd and self-pipe writes). Those cannot fail with ENOSPC, EIO and the like in
// reality (an eventfd write fails only with EAGAIN), and libuv aborts, or loses a child's
// exit notification, by design when they do: that is what the exit 134 and the hung rotate
// of the outside review were. Counting is per thread (strace's rule), so with -f the same
// call number also fails in other threads and in child processes; a case whose only abort
// comes from such a collateral hit on a libuv wake-up is reported apart, never as a pass.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CLI } from './cli';

export const STRACE = '/usr/bin/strace';
export const FAULT_SYSCALLS = ['write', 'fsync', 'fdatasync', 'rename', 'link', 'openat'] as const;
export type FaultSyscall = (typeof FAULT_SYSCALLS)[number];
/** Also injectable on purpose (a lock's removal at release), traced only when aimed at. */
export type InjectSyscall = FaultSyscall | 'unlink';

export interface Call {
  tid: number;
  syscall: string;
  /** 1-based number of this call among the same thread's calls of the same syscall. */
  n: number;
  /** The fd's annotation (-y) or the path argument. */
  target: string;
  line: string;
}

const LINE = /^(\d+) +(\w+)\((.*)$/;

function targetOf(syscall: string, args: string): string {
  if (syscall === 'openat') return /^[^,]*, "([^"]*)"/.exec(args)?.[1] ?? '';
  if (syscall === 'rename' || syscall === 'link' || syscall === 'unlink') return /^"([^"]*)"/.exec(args)?.[1] ?? '';
  return /^(\d+<[^>]*>)/.exec(args)?.[1] ?? '';
}

/** Calls in an strace -f -y log, numbered per thread and syscall, in order. */
export function parseTrace(text: string): Call[] {
  const counts = new Map<string, number>();
  const out: Call[] = [];
  for (const line of text.split('\n')) {
    const m = LINE.exec(line);
    if (!m || line.includes('<... ')) continue;
    const tid = Number(m[1]);
    const syscall = m[2]!;
    const key = `${tid}:${syscall}`;
    const n = (counts.get(key) ?? 0) + 1;
    counts.set(key, n);
    out.push({ tid, syscall, n, target: targetOf(syscall, m[3]!), line });
  }
  return out;
}

/** A libuv wake-up (eventfd, or a pipe that is not standard input, output or error). */
export function isInternal(call: Pick<Call, 'syscall' | 'target'>): boolean {
  if (call.syscall !== 'write') return false;
  return /<anon_inode:\[eventfd\]>/.test(call.target) || (/^(\d+)<pipe:/.test(call.target) && Number(/^(\d+)/.exec(call.target)![1]) > 2);
}

/** The calls worth failing: see the header comment. */
export function aimable(calls: Call[], mainTid: number, root: string): Call[] {
  return calls.filter((c) => {
    if (c.tid !== mainTid || isInternal(c)) return false;
    if (c.syscall === 'openat' || c.syscall === 'rename' || c.syscall === 'link') return c.target.startsWith(root);
    if (c.syscall === 'write') return c.target.includes(root) || /^[12]</.test(c.target) || c.target.includes('<socket:');
    return true;
  });
}

export interface StraceRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** The strace log (-o), for counting and for what was injected. */
  log: string;
  /** The first thread's id: the vault process's main thread. */
  mainTid: number;
}

export interface StraceOptions {
  env: Record<string, string>;
  cwd: string;
  input?: string;
  /** One call made to fail with errno, or (retval) to claim it wrote that many bytes without writing any. */
  inject?: { syscall: InjectSyscall; errno?: string; retval?: number; n: number };
  /** Syscalls traced besides FAULT_SYSCALLS (to count the calls of one outside that list). */
  alsoTrace?: InjectSyscall[];
  timeoutMs: number;
  logFile: string;
}

/** Runs the built CLI under strace -f (tracing only the fault syscalls), optionally failing one call. */
export function straceRun(args: string[], o: StraceOptions): Promise<StraceRun> {
  const sargs = ['-f', '-qq', '-y', '-o', o.logFile, '-e', `trace=${[...FAULT_SYSCALLS, ...(o.alsoTrace ?? [])].join(',')}`];
  if (o.inject) sargs.push('-e', `inject=${o.inject.syscall}:${o.inject.retval !== undefined ? `retval=${o.inject.retval}` : `error=${o.inject.errno}`}:when=${o.inject.n}`);
  fs.rmSync(o.logFile, { force: true });
  return new Promise((resolve, reject) => {
    const child = spawn(STRACE, [...sargs, process.execPath, CLI, ...args], { env: o.env, cwd: o.cwd, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    child.stdout!.on('data', (d) => out.push(d));
    child.stderr!.on('data', (d) => err.push(d));
    // A hang is a failure, reached only by a real hang: kill strace and everything under it.
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, o.timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const log = fs.existsSync(o.logFile) ? fs.readFileSync(o.logFile, 'utf8') : '';
      const mainTid = Number(/^(\d+) /.exec(log)?.[1] ?? 0);
      resolve({ code, signal, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), timedOut, log, mainTid });
    });
    child.stdin!.on('error', () => undefined);
    child.stdin!.end(o.input ?? '');
  });
}

/** The calls strace reports as injected (a split "unfinished ... resumed" call counts by its start). */
export function injectedCalls(run: StraceRun): (Call & { main: boolean })[] {
  const calls = parseTrace(run.log);
  const lastOf = new Map<number, Call>();
  const hit: Call[] = [];
  let i = 0;
  for (const line of run.log.split('\n')) {
    const c = calls[i];
    if (c && c.line === line) {
      lastOf.set(c.tid, c);
      i++;
      if (line.includes('(INJECTED)')) hit.push(c);
      continue;
    }
    const resumed = /^(\d+) <\.\.\. \w+ resumed>.*\(INJECTED\)/.exec(line);
    if (resumed && lastOf.has(Number(resumed[1]))) hit.push(lastOf.get(Number(resumed[1]))!);
  }
  return hit.map((c) => ({ ...c, main: c.tid === run.mainTid }));
}

/** Evenly spread picks from a list (all of it when it is short enough). */
export function spread<T>(items: T[], k: number): T[] {
  if (items.length <= k) return items;
  const out: T[] = [];
  for (let i = 0; i < k; i++) out.push(items[Math.round((i * (items.length - 1)) / Math.max(1, k - 1))]!);
  return [...new Set(out)];
}

/** Copies a folder's regular files (with their modes) into a snapshot, and back. */
export function snapshot(dir: string): Map<string, { data: Buffer; mode: number }> {
  const m = new Map<string, { data: Buffer; mode: number }>();
  for (const name of fs.readdirSync(dir)) {
    const p = path.join(dir, name);
    const st = fs.lstatSync(p);
    if (st.isFile()) m.set(name, { data: fs.readFileSync(p), mode: st.mode & 0o777 });
  }
  return m;
}

export function restoreSnapshot(dir: string, snap: Map<string, { data: Buffer; mode: number }>): void {
  for (const name of fs.readdirSync(dir)) fs.rmSync(path.join(dir, name), { force: true, recursive: true });
  for (const [name, f] of snap) fs.writeFileSync(path.join(dir, name), f.data, { mode: f.mode });
}

/** One file in two runs: temp names carry the pid and random hex, descriptors may differ. */
const sameFile = (a: string, b: string) => {
  const norm = (t: string) => t.replace(/^\d+</, '<').replace(/\d+-[0-9a-f]{12}/g, 'P').replace(/\.tmp-\d+/g, '.tmp-P');
  return norm(a) === norm(b);
};

/**
 * Fails the call `pick` chooses from a plain run, and retries (up to 5 times) when call
 * numbers moved between runs and the injection hit something else. `reset` puts the files
 * back before each run.
 */
export async function injectInto(args: string[], o: Omit<StraceOptions, 'inject'>, syscall: InjectSyscall, errno: string | { retval: number }, pick: (calls: Call[]) => Call | undefined, reset: () => void): Promise<StraceRun> {
  for (let attempt = 0; ; attempt++) {
    reset();
    const o2 = FAULT_SYSCALLS.includes(syscall as FaultSyscall) ? o : { ...o, alsoTrace: [...(o.alsoTrace ?? []), syscall] };
    const plain = await straceRun(args, o2);
    if (plain.code !== 0) throw new Error(`the plain run failed: ${plain.stderr}`);
    const target = pick(parseTrace(plain.log).filter((c) => c.tid === plain.mainTid && c.syscall === syscall));
    if (!target) throw new Error('no such call in the plain run');
    reset();
    const run = await straceRun(args, { ...o2, inject: { syscall, n: target.n, ...(typeof errno === 'string' ? { errno } : errno) } });
    const hit = injectedCalls(run).find((c) => c.main);
    if ((hit && sameFile(hit.target, target.target)) || attempt >= 4) return run;
  }
}
