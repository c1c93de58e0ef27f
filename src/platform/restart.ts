// Running a restart command after a rotation: a program and its arguments, without a shell
// (nothing in them is interpreted), with no secret anywhere (the bot it restarts gets the
// new key because it runs under vault exec). Its output goes to our standard error once it
// has ended; it is bounded in time like the hooks.
import { Masker } from '../domain/masker';
import { runBounded, showOutput } from './bounded-run';

export const RESTART_TIMEOUT_MS = 5 * 60_000;
const UNLOCK_VARIABLES = ['EXVAULT_PASSPHRASE_FILE', 'EXVAULT_IDENTITY_FILE', 'EXVAULT_HOST_NAME'];

export interface RestartResult {
  /** Exit status; 128+N when killed by signal N; null when it could not start. */
  status: number | null;
  timedOut: boolean;
}

/** `masker`: the entry's keys, old and new. A restart is given none, but what it restarts may
 *  print its environment (pm2 describes a process with the env it was started with). */
export async function runRestart(argv: string[], masker: Masker, timeoutMs = RESTART_TIMEOUT_MS): Promise<RestartResult> {
  const env = { ...process.env };
  // A restart starts `vault exec` again, which must unlock as this run did: the unlock
  // variables that name a file (no secret in them) go along; the rest are ours.
  for (const k of Object.keys(env)) if (k.startsWith('EXVAULT_') && !UNLOCK_VARIABLES.includes(k)) delete env[k];
  const r = await runBounded(argv[0]!, argv.slice(1), { env, timeoutMs });
  // Our standard output is for the command's own report (JSON); the restart talks on stderr.
  showOutput(new Masker(masker), r.stdout, r.stdoutCut, "the restart's");
  showOutput(new Masker(masker), r.stderr, r.stderrCut, "the restart's");
  return { status: r.status, timedOut: r.timedOut };
}
