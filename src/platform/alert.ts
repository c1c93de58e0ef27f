// Running the user's alert command: through sh -c (it may be a pipeline such as
// `mail -s exvault me`), the event as JSON on stdin, bounded in time, never fatal.
import { spawn } from 'node:child_process';

export const ALERT_TIMEOUT_MS = 10_000;

/** Resolves to the command's exit status, or null when it could not run or timed out. */
export function runAlert(command: string, event: object): Promise<number | null> {
  return new Promise((resolve) => {
    const env = { ...process.env };
    for (const k of Object.keys(env)) if (k.startsWith('EXVAULT_')) delete env[k];
    let child;
    try {
      child = spawn('/bin/sh', ['-c', command], { env, stdio: ['pipe', 'ignore', 'inherit'] });
    } catch {
      return resolve(null);
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), ALERT_TIMEOUT_MS);
    child.on('error', () => resolve(null));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(`${JSON.stringify(event)}\n`);
  });
}
