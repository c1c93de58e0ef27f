// Running a command exvault does not control (a rotation hook, a restart): in its own process
// group, its output held (bounded) until it ends, a time limit that stops everything it
// started, and an end that does not wait for a process it left holding its output open.
import { spawn } from 'node:child_process';
import * as os from 'node:os';
import { EXIT } from '../errors';
import { Masker, withoutControls } from '../domain/masker';

/** Output kept per stream; the rest is counted and dropped. */
export const MAX_OUTPUT = 1024 * 1024;
/** After the command exits, how long a process it left behind may keep its output open. */
const DRAIN_MS = 5_000;

export interface BoundedResult {
  /** Exit status; 128+N when killed by signal N; null when it could not start. */
  status: number | null;
  stdout: Buffer;
  stderr: Buffer;
  /** Whether a stream went past MAX_OUTPUT (what is kept is its start). */
  stdoutCut: boolean;
  stderrCut: boolean;
  timedOut: boolean;
}

export function runBounded(file: string, args: string[], opts: { env: NodeJS.ProcessEnv; input?: string; timeoutMs: number }): Promise<BoundedResult> {
  return new Promise((resolve) => {
    const child = spawn(file, args, { env: opts.env, stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], detached: true });
    const keep = () => {
      const parts: Buffer[] = [];
      let size = 0;
      return {
        parts,
        add(d: Buffer) {
          if (size < MAX_OUTPUT) parts.push(d.subarray(0, MAX_OUTPUT - size));
          size += d.length;
        },
        get cut() {
          return size > MAX_OUTPUT;
        },
      };
    };
    const out = keep();
    const err = keep();
    let timedOut = false;
    let status: number | null = null;
    let finished = false;
    let drain: NodeJS.Timeout | undefined;
    const killGroup = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, opts.timeoutMs);
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      clearTimeout(drain);
      child.stdout?.destroy();
      child.stderr?.destroy();
      resolve({ status, stdout: Buffer.concat(out.parts), stderr: Buffer.concat(err.parts), stdoutCut: out.cut, stderrCut: err.cut, timedOut });
    };
    child.stdout?.on('data', (d: Buffer) => out.add(d));
    child.stderr?.on('data', (d: Buffer) => err.add(d));
    child.on('error', () => {
      status = null;
      finish();
    });
    child.on('exit', (code, signal) => {
      status = signal ? EXIT.signalBase + (os.constants.signals[signal] ?? 0) : code;
      // Its output may still be arriving; a process it started may hold it open for good.
      drain = setTimeout(finish, DRAIN_MS);
    });
    child.on('close', finish);
    if (child.stdin) {
      child.stdin.on('error', () => undefined);
      child.stdin.end(opts.input);
    }
  });
}

/** Writes a command's held output to our stderr: controls removed, masked, ending a line. */
export function showOutput(m: Masker, bytes: Buffer, cut: boolean, whose: string): void {
  if (!bytes.length) return;
  const shown = Buffer.concat([m.push(withoutControls(bytes)), m.flush()]);
  process.stderr.write(shown);
  if (shown.length && shown[shown.length - 1] !== 0x0a) process.stderr.write('\n');
  if (cut) process.stderr.write(`(${whose} output was cut at 1 MiB)\n`);
}
