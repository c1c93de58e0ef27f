// Core dumps off for the vault's own process, before any secret is read: a core of a running
// `vault exec` held the passphrase and every injected secret several times over. Node has no
// setrlimit or prctl, so libc is called through koffi (an FFI addon shipped prebuilt per
// platform). Its native part is loaded directly: koffi's JavaScript wrapper costs more start-up
// (about 23M instructions) than the addon itself (about 8M), and this runs on every `vault`.
// Called once, at start, from the composition root.

import * as fs from 'node:fs';
import * as tty from 'node:tty';

const RLIMIT_CORE = 4; // Linux and macOS alike
const PR_SET_DUMPABLE = 4; // Linux

export interface CoreDumpState {
  /** The soft RLIMIT_CORE is 0 (the hard limit is left as it was, so a child may raise its own). */
  limited: boolean;
  /** Linux: the process is not dumpable (no core even through a core_pattern pipe, no ptrace by
   *  the same user, /proc/PID/mem and environ unreadable by others). Reset for a child by execve. */
  undumpable: boolean;
}

type Koffi = {
  load(name: string | null): { func(decl: string): (...args: unknown[]) => number };
  struct(name: string, def: Record<string, string>): unknown;
};

function loadKoffi(): Koffi | null {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const req = require as NodeJS.Require;
  // koffi's optional dependency for this platform, named as koffi itself finds it.
  const pkg = `@koromix/koffi-${process.platform}-${process.arch}`;
  for (const abi of process.platform === 'linux' ? ['linux', 'musl'] : [process.platform]) {
    try {
      return req(`${pkg}/${abi}_${process.arch}/koffi.node`) as Koffi;
    } catch {
      // The other C library's build, or none for this platform.
    }
  }
  return null;
}

let nativeLoaded = false;

/**
 * Called as the process exits, after every result is written (and synced by the caller).
 * koffi's native part has an exit-time destructor that fsyncs fds 1 and 2 and logs a failure
 * to stderr: on stderr's own failure it logs under the lock it already holds (a deadlock:
 * the process hangs), on stdout's it prints its own raw text. With fds 1 and 2 closed its
 * sync fails with EBADF, its log cannot be written, and it gives up quietly. Terminals are
 * left open: Node restores their modes after this, and their sync cannot fail for real. Other
 * character devices are closed: fsync of /dev/null fails (EINVAL), and with stdout there and
 * stderr a pipe the process hung at exit.
 */
export function detachStdioFromNativeExit(): void {
  if (!nativeLoaded) return;
  for (const fd of [2, 1]) {
    try {
      // A terminal only: /dev/null is a character device too, and its sync fails (EINVAL),
      // which deadlocked `vault list >/dev/null` (README's cron line) in koffi's exit-time log.
      if (!tty.isatty(fd)) fs.closeSync(fd);
    } catch {
      // Nothing more can be done this late; the exit status is already decided.
    }
  }
}

export function disableCoreDumps(): CoreDumpState {
  const state: CoreDumpState = { limited: false, undumpable: false };
  if (process.platform !== 'linux' && process.platform !== 'darwin') return state;
  const koffi = loadKoffi();
  if (!koffi) return state;
  nativeLoaded = true;
  try {
    const libc = koffi.load(null);
    koffi.struct('exvault_rlimit', { cur: 'uint64_t', max: 'uint64_t' });
    const getrlimit = libc.func('int getrlimit(int, _Out_ exvault_rlimit *)');
    const setrlimit = libc.func('int setrlimit(int, const exvault_rlimit *)');
    const lim: { cur?: number | bigint; max?: number | bigint } = {};
    if (getrlimit(RLIMIT_CORE, lim) === 0) state.limited = setrlimit(RLIMIT_CORE, { cur: 0, max: lim.max }) === 0;
    if (process.platform === 'linux') {
      const prctl = libc.func('int prctl(int, unsigned long, unsigned long, unsigned long, unsigned long)');
      state.undumpable = prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) === 0;
    }
  } catch {
    // An unexpected libc: the command still runs; `vault doctor` reports the state.
  }
  return state;
}
