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

export function runHook(command: string, input: string, masker: Masker, timeoutMs = HOOK_TIMEOUT_MS): Promise<HookResult> {
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
    child.stderr.on('data', (d: Buffer) => process.stderr.write(masker.push(d)));
    child.on('error', () => resolve({ status: null, stdout: '', timedOut }));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      process.stderr.write(masker.flush());
      const status = signal ? EXIT.signalBase + (os.constants.signals[signal] ?? 0) : code;
      resolve({ status, stdout: size > MAX_OUTPUT ? '' : Buffer.concat(out).toString('utf8'), timedOut });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}
