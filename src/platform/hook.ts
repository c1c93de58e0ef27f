// Running a rotation hook: `sh -c CMD`, a credential as JSON on stdin (never argv), its
// stdout captured (the new credential), its stderr shown once it has ended, with terminal
// control sequences removed and secrets masked (the key it returned included).
import { Masker } from '../domain/masker';
import { runBounded, showOutput } from './bounded-run';

export const HOOK_TIMEOUT_MS = 5 * 60_000;

export interface HookResult {
  /** Exit status; 128+N when killed by signal N; null when it could not start. */
  status: number | null;
  stdout: string;
  timedOut: boolean;
}

/**
 * `masker`: the secrets to mask in its stderr, or a function of what it printed on stdout
 * (a hook that echoes the new key it is about to return shows it masked too).
 */
export async function runHook(command: string, input: string, masker: Masker | ((stdout: string) => Masker), timeoutMs = HOOK_TIMEOUT_MS): Promise<HookResult> {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('EXVAULT_')) delete env[k];
  const r = await runBounded('/bin/sh', ['-c', command], { env, input, timeoutMs });
  const printed = r.stdout.toString('utf8');
  // Over 1 MiB is not a credential; the start of it would not parse either (but is masked).
  const stdout = r.stdoutCut ? '' : printed;
  const m = masker instanceof Masker ? masker : masker(printed);
  showOutput(m, r.stderr, r.stderrCut, "the hook's");
  return { status: r.status, stdout, timedOut: r.timedOut };
}
