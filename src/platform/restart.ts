// Running a restart command after a rotation: a program and its arguments, without a shell
// (nothing in them is interpreted), with no secret anywhere (the bot it restarts gets the
// new key because it runs under vault exec). Its output goes to our standard error; it is
// bounded in time like the hooks.
import { spawn } from 'node:child_process';
import * as os from 'node:os';
import { EXIT } from '../errors';
import { Masker } from '../domain/masker';

export const RESTART_TIMEOUT_MS = 5 * 60_000;

export interface RestartResult {
  /** Exit status; 128+N when killed by signal N; null when it could not start. */
  status: number | null;
  timedOut: boolean;
}

/** `masker`: the entry's keys, old and new. A restart is given none, but what it restarts may
 *  print its environment (pm2 describes a process with the env it was started with). */
export function runRestart(argv: string[], masker: Masker, timeoutMs = RESTART_TIMEOUT_MS): Promise<RestartResult> {
  return new Promise((resolve) => {
    const env = { ...process.env };
    // Unlock variables are for us, not for what we start.
    for (const k of Object.keys(env)) if (k.startsWith('EXVAULT_')) delete env[k];
    // Its own process group: a timeout stops what it started too (a shell script's children),
    // not only the command itself.
    const child = spawn(argv[0]!, argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'], shell: false, detached: true });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, timeoutMs);
    // Our standard output is for the command's own report (JSON); the restart talks on stderr.
    const forOut = new Masker(masker);
    const forErr = new Masker(masker);
    child.stdout.on('data', (d: Buffer) => process.stderr.write(forOut.push(d)));
    child.stderr.on('data', (d: Buffer) => process.stderr.write(forErr.push(d)));
    child.on('error', () => {
      clearTimeout(timer);
      resolve({ status: null, timedOut });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      process.stderr.write(Buffer.concat([forOut.flush(), forErr.flush()]));
      resolve({ status: signal ? EXIT.signalBase + (os.constants.signals[signal] ?? 0) : code, timedOut });
    });
  });
}
