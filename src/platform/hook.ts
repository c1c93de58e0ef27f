// Running a rotation hook: `sh -c CMD`, a credential as JSON on stdin (never argv), its
// stdout captured (the new credential), its stderr passed through with secrets masked.
import { spawn } from 'node:child_process';
import * as os from 'node:os';
import { EXIT } from '../errors';
import { Masker } from '../domain/masker';

export const HOOK_TIMEOUT_MS = 5 * 60_000;
const MAX_OUTPUT = 1024 * 1024;

export interface HookResult {
  /** Exit status; 128+N when killed by signal N; null when it could not start. */
  status: number | null;
  stdout: string;
  timedOut: boolean;
}

/**
 * `masker`: masks stderr as it comes. Or a function of the hook's stdout: stderr is then held
 * (up to 1 MiB) until the hook exits and masked with what it printed too, so a hook that echoes
 * the new key it is about to return (unknown until then) does not show it.
 */
export function runHook(command: string, input: string, masker: Masker | ((stdout: string) => Masker), timeoutMs = HOOK_TIMEOUT_MS): Promise<HookResult> {
  return new Promise((resolve) => {
    const env = { ...process.env };
    for (const k of Object.keys(env)) if (k.startsWith('EXVAULT_')) delete env[k];
    const child = spawn('/bin/sh', ['-c', command], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let size = 0;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (d: Buffer) => {
      size += d.length;
      if (size <= MAX_OUTPUT) out.push(d);
    });
    const held: Buffer[] = [];
    let heldSize = 0;
    child.stderr.on('data', (d: Buffer) => {
      if (masker instanceof Masker) {
        process.stderr.write(masker.push(d));
      } else if (heldSize < MAX_OUTPUT) {
        held.push(d.subarray(0, MAX_OUTPUT - heldSize));
        heldSize += d.length;
      }
    });
    child.on('error', () => resolve({ status: null, stdout: '', timedOut }));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdout = size > MAX_OUTPUT ? '' : Buffer.concat(out).toString('utf8');
      if (masker instanceof Masker) {
        process.stderr.write(masker.flush());
      } else {
        const m = masker(Buffer.concat(out).toString('utf8'));
        process.stderr.write(Buffer.concat([m.push(Buffer.concat(held)), m.flush()]));
        if (heldSize > MAX_OUTPUT) process.stderr.write('(the hook\'s error output was cut at 1 MiB)\n');
      }
      const status = signal ? EXIT.signalBase + (os.constants.signals[signal] ?? 0) : code;
      resolve({ status, stdout, timedOut });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}
