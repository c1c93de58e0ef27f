// Running the program `vault exec` wraps: directly (no shell), in a process group of its own
// when there is no terminal to share, with signals forwarded, its exit status passed
// through, and its output optionally masked. The process model is stated in README.md.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EXIT } from '../errors';
import { Masker } from '../domain/masker';
import { MaskedOutput } from './child-output';
import { descendants, groupAlive, signalQuietly } from './process-tree';


/** Forwarded as they arrive. */
const FORWARDED: NodeJS.Signals[] = ['SIGTERM', 'SIGHUP', 'SIGUSR1', 'SIGUSR2'];
/**
 * Signals a terminal sends to its whole foreground group (Ctrl-C, Ctrl-\, a resize): on a
 * terminal the child is in that group and gets them from the terminal, so forwarding them
 * would deliver them twice. The wrapper itself must survive them to report the status.
 */
const FROM_TERMINAL: NodeJS.Signals[] = ['SIGINT', 'SIGQUIT', 'SIGWINCH'];

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
  /** After a forwarded SIGTERM, SIGKILL everything the child started when it has not ended within this time. */
  graceMs?: number;
  /**
   * Standard input is a terminal: the child stays in the wrapper's process group, the
   * terminal's foreground job, so it can read the terminal and Ctrl-C, Ctrl-\ and resizes
   * reach it (once, from the terminal: SIGINT, SIGQUIT and SIGWINCH are then not forwarded). Otherwise the child gets a process
   * group (a session) of its own, and signals go to that whole group.
   */
  terminal: boolean;
}

/**
 * Signals that end or resize a job go to the whole group, as a terminal or a shell sends them.
 * SIGHUP does not: without a terminal it means "reload" (systemd's ExecReload=kill -HUP
 * $MAINPID, pm2), and its default action would kill workers that do not handle it.
 */
const TO_GROUP = new Set<NodeJS.Signals>(['SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGWINCH', 'SIGKILL']);
const GROUP_POLL_MS = 50;

/**
 * Runs the child to its end and returns the status the wrapper should exit with: the
 * child's own, 128+N when signal N ended it. The wrapper ends when the child ends (after a
 * bounded drain of masked output), never waiting for a process the child left behind,
 * except that after a forwarded SIGTERM with a grace period it waits for the child's
 * process group to empty, and SIGKILLs what is left when the grace is up.
 */
export async function runChild(o: RunOptions): Promise<number> {
  // A signal that arrived while the main thread was busy unlocking (reading the passphrase,
  // the KDF) is dispatched on the event loop's next turn. Let that turn pass before the
  // forwarding handlers exist, so it reaches only the listeners installed at start (a
  // SIGUSR1 is dropped there: bin/vault.js) and not a program that has just started and has
  // no handler of its own yet, which the signal's default action would kill.
  await new Promise((resolve) => setImmediate(resolve));
  return started(o);
}

function started(o: RunOptions): Promise<number> {
  const viaSetpriv = orphanProtection();
  const file = viaSetpriv ? SETPRIV : o.file;
  const args = viaSetpriv ? ['--pdeathsig', 'TERM', '--', o.file, ...o.args] : o.args;
  // Node offers setsid() (detached) but not setpgid(): a new session is the child's own
  // process group, and it has no controlling terminal, which is why it is used only when
  // standard input is not a terminal.
  const ownGroup = !o.terminal && process.platform !== 'win32';
  // The handlers go in before the spawn, in the same tick: once the child runs it may be
  // signalled through us at once, and a wrapper without its handlers would simply die
  // (seen under load: the program wrote its pid before the wrapper had listened).
  // They run only on a later turn of the event loop, when `child` exists.
  let exited = false;
  let graceTimer: NodeJS.Timeout | undefined;
  let graceUp: () => void = () => undefined;
  const graceOver = new Promise<void>((resolve) => (graceUp = resolve));

  const send = (sig: NodeJS.Signals) => {
    const pid = child.pid;
    if (pid === undefined) return;
    if (ownGroup && TO_GROUP.has(sig)) return signalQuietly(-pid, sig);
    if (exited) return;
    if (sig === 'SIGKILL') {
      // Sharing the terminal's group, the child's own processes are found by their parents.
      for (const p of [pid, ...descendants(pid)]) signalQuietly(p, sig);
      return;
    }
    signalQuietly(pid, sig);
  };
  const forward = (sig: NodeJS.Signals) => () => {
    send(sig);
    if (sig === 'SIGTERM' && o.graceMs !== undefined && !graceTimer) {
      graceTimer = setTimeout(() => {
        send('SIGKILL');
        graceUp();
      }, o.graceMs);
    }
  };
  const handlers = new Map<NodeJS.Signals, () => void>();
  for (const sig of FORWARDED) handlers.set(sig, forward(sig));
  for (const sig of FROM_TERMINAL) handlers.set(sig, o.terminal ? () => undefined : forward(sig));
  for (const [sig, h] of handlers) process.on(sig, h);
  const child = spawn(file, args, {
    env: o.env,
    stdio: ['inherit', o.maskStdout ? 'pipe' : 'inherit', o.maskStderr ? 'pipe' : 'inherit'],
    argv0: viaSetpriv ? 'setpriv' : o.argv0,
    detached: ownGroup,
  });
  // The wrapper must outlive a closed reader to report the child's status.
  for (const s of [process.stdout, process.stderr]) s.on('error', () => undefined);
  const outputs: MaskedOutput[] = [];
  if (o.maskStdout && child.stdout) outputs.push(new MaskedOutput(child.stdout, process.stdout, o.maskStdout));
  if (o.maskStderr && child.stderr) outputs.push(new MaskedOutput(child.stderr, process.stderr, o.maskStderr));


  /** After the child: with a grace period running, the rest of its group gets until its end. */
  const groupSettled = async (): Promise<void> => {
    if (!graceTimer || !ownGroup || child.pid === undefined) return;
    const pgid = child.pid;
    let poll: NodeJS.Timeout | undefined;
    const empty = new Promise<void>((resolve) => {
      poll = setInterval(() => {
        if (!groupAlive(pgid)) resolve();
      }, GROUP_POLL_MS);
    });
    await Promise.race([empty, graceOver]);
    clearInterval(poll);
  };

  return new Promise((resolve) => {
    let settled = false;
    const end = async (status: number) => {
      if (settled) return;
      settled = true;
      exited = true;
      await Promise.all(outputs.map((out) => out.drain()));
      await groupSettled();
      clearTimeout(graceTimer);
      for (const [sig, h] of handlers) process.removeListener(sig, h);
      resolve(status);
    };
    child.on('error', (err: NodeJS.ErrnoException) => {
      // Only a failed start: the child never ran.
      if (child.pid === undefined) void end(err.code === 'ENOENT' ? EXIT.commandNotFound : EXIT.notExecutable);
    });
    child.on('exit', (code, signal) => {
      void end(signal ? EXIT.signalBase + (os.constants.signals[signal] ?? 0) : (code ?? EXIT.failure));
    });
  });
}
