// Running the program `vault exec` wraps: directly (no shell), with signals forwarded, its
// exit status passed through, and its output optionally masked.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Masker } from '../domain/masker';

export const EXIT_NOT_EXECUTABLE = 126;
export const EXIT_NOT_FOUND = 127;

/** Forwarded as they arrive. SIGINT is handled apart (see forwardSigint). */
const FORWARDED: NodeJS.Signals[] = ['SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];

export type Resolved = { file: string } | { problem: 'not-found' | 'not-executable'; file: string };

/** Finds the program as execvp would, using the child's PATH. */
export function resolveCommand(cmd: string, pathVar: string | undefined): Resolved {
  const candidates = cmd.includes('/') ? [cmd] : (pathVar ?? '/usr/local/bin:/usr/bin:/bin').split(':').map((d) => path.join(d || '.', cmd));
  let sawNonExecutable: string | undefined;
  for (const c of candidates) {
    let st: fs.Stats;
    try {
      st = fs.statSync(c);
    } catch {
      continue;
    }
    if (st.isDirectory()) {
      sawNonExecutable ??= c;
      continue;
    }
    try {
      fs.accessSync(c, fs.constants.X_OK);
      return { file: c };
    } catch {
      sawNonExecutable ??= c;
    }
  }
  return sawNonExecutable ? { problem: 'not-executable', file: sawNonExecutable } : { problem: 'not-found', file: cmd };
}

/**
 * On Linux the child is started through util-linux's setpriv with a parent-death signal,
 * so it gets SIGTERM (and can cancel its orders) if the wrapper is SIGKILLed, instead of
 * running on as an orphan. Elsewhere, and without setpriv, that cannot be arranged.
 */
const SETPRIV = '/usr/bin/setpriv';
export const orphanProtection = (): boolean => process.platform === 'linux' && fs.existsSync(SETPRIV);

export interface RunOptions {
  file: string;
  args: string[];
  /** argv[0] as the user typed it. */
  argv0: string;
  env: Record<string, string>;
  maskStdout?: Masker;
  maskStderr?: Masker;
  /** After a forwarded SIGTERM, SIGKILL the child when it has not ended within this time. */
  graceMs?: number;
  /** Forward SIGINT to the child: only when it did not already get it from the terminal. */
  forwardSigint: boolean;
}

function pipeMasked(from: NodeJS.ReadableStream, to: NodeJS.WriteStream, masker: Masker): Promise<void> {
  return new Promise((resolve) => {
    const write = (b: Buffer) => {
      if (b.length && !to.write(b)) {
        from.pause();
        to.once('drain', () => from.resume());
      }
    };
    from.on('data', (chunk: Buffer) => write(masker.push(chunk)));
    from.on('end', () => {
      write(masker.flush());
      resolve();
    });
    from.on('error', () => resolve());
  });
}

/** Runs the child to its end and returns the status the wrapper should exit with. */
export function runChild(o: RunOptions): Promise<number> {
  const viaSetpriv = orphanProtection();
  const file = viaSetpriv ? SETPRIV : o.file;
  const args = viaSetpriv ? ['--pdeathsig', 'TERM', '--', o.file, ...o.args] : o.args;
  const child = spawn(file, args, {
    env: o.env,
    stdio: ['inherit', o.maskStdout ? 'pipe' : 'inherit', o.maskStderr ? 'pipe' : 'inherit'],
    argv0: viaSetpriv ? 'setpriv' : o.argv0,
  });
  // Writing to a closed pipe must not kill the wrapper before it reports the child's status.
  for (const s of [process.stdout, process.stderr]) s.on('error', () => undefined);
  const piping: Promise<void>[] = [];
  if (o.maskStdout && child.stdout) piping.push(pipeMasked(child.stdout, process.stdout, o.maskStdout));
  if (o.maskStderr && child.stderr) piping.push(pipeMasked(child.stderr, process.stderr, o.maskStderr));

  let killTimer: NodeJS.Timeout | undefined;
  const handlers = new Map<NodeJS.Signals, () => void>();
  const forward = (sig: NodeJS.Signals) => () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(sig);
    if (sig === 'SIGTERM' && o.graceMs !== undefined && !killTimer) {
      killTimer = setTimeout(() => child.kill('SIGKILL'), o.graceMs);
    }
  };
  for (const sig of FORWARDED) handlers.set(sig, forward(sig));
  // Ctrl-C on a terminal reaches the whole foreground group, the child included: forwarding
  // it again would deliver it twice. The wrapper itself must survive it to report the status.
  handlers.set('SIGINT', o.forwardSigint ? forward('SIGINT') : () => undefined);
  for (const [sig, h] of handlers) process.on(sig, h);

  return new Promise((resolve) => {
    let spawnError: number | undefined;
    child.on('error', (err: NodeJS.ErrnoException) => {
      spawnError = err.code === 'ENOENT' ? EXIT_NOT_FOUND : EXIT_NOT_EXECUTABLE;
    });
    child.on('close', async (code, signal) => {
      await Promise.all(piping);
      clearTimeout(killTimer);
      for (const [sig, h] of handlers) process.removeListener(sig, h);
      if (spawnError !== undefined) return resolve(spawnError);
      if (signal) return resolve(128 + (os.constants.signals[signal] ?? 0));
      resolve(code ?? 1);
    });
  });
}
