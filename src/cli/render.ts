// All terminal output goes through here: results to stdout, everything else to stderr as
// "vault: error: ..." / "vault: hint: ..." / "vault: warning: ...". Colour only on a terminal.
import * as fs from 'node:fs';
import { VaultError } from '../errors';
import { writeAll } from '../storage/atomic-write';
import { storageError } from '../storage/io-error';
import { stderrIsTerminal } from '../platform/terminal';

export interface OutputOptions {
  color: boolean;
  quiet: boolean;
}

const settings: OutputOptions = { color: false, quiet: false };

/**
 * Whether to colour, by the ecosystem's conventions in Node's own order (tty.getColorDepth):
 * --no-color; then FORCE_COLOR (0 or false: off; anything else: on, into a pipe too, as CI
 * logs want); then NO_COLOR (non-empty: off); then TERM=dumb (off); else on a terminal only.
 */
export function colorWanted(noColorFlag: boolean, isTerminal: boolean, env: NodeJS.ProcessEnv = process.env): boolean {
  if (noColorFlag) return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return !['0', 'false'].includes(force.toLowerCase());
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  return isTerminal;
}

/** Spinners and progress lines redraw with \r and ESC[K: a terminal that can, and not TERM=dumb. */
export function canAnimate(): boolean {
  return process.stderr.isTTY === true && process.env.TERM !== 'dumb';
}

let forced = false;

export function configureOutput(opts: { noColor?: boolean; quiet?: boolean }): void {
  settings.quiet = Boolean(opts.quiet);
  settings.color = colorWanted(Boolean(opts.noColor), stderrIsTerminal());
  forced = settings.color && process.env.FORCE_COLOR !== undefined;
}

let exitOnBrokenPipe = true;
/**
 * A reader that goes away ends most commands at once (vault list | head). vault exec turns
 * that off while its program runs: the program must learn of it itself, and the wrapper
 * still reports its status and records its end.
 */
export function keepRunningOnBrokenPipe(): void {
  exitOnBrokenPipe = false;
}
export const exitsOnBrokenPipe = (): boolean => exitOnBrokenPipe;

const CODES = { red: [31, 39], yellow: [33, 39], green: [32, 39], dim: [2, 22], bold: [1, 22] } as const;
export type Style = keyof typeof CODES;

export function paint(style: Style, text: string, stream: NodeJS.WriteStream = process.stdout): string {
  if (!settings.color || (!stream.isTTY && !forced)) return text;
  const [on, off] = CODES[style];
  return `\u001b[${on}m${text}\u001b[${off}m`;
}

let stdoutIsFile: boolean | undefined;

/**
 * Results to stdout. Into a file (`vault get x y > key`), every byte is written or the command
 * fails with a storage error: Node's own stream would drop the rest of a short write on a
 * full disk and still exit 0. Pipes and terminals go through the stream (errors: main.ts).
 */
export function writeStdout(text: string): void {
  stdoutIsFile ??= (() => {
    try {
      return fs.fstatSync(1).isFile();
    } catch {
      return false;
    }
  })();
  if (!stdoutIsFile) {
    process.stdout.write(text);
    return;
  }
  try {
    writeAll(1, Buffer.from(text));
  } catch (err) {
    throw outputFailure(err);
  }
}

// Whether this process changed the vault: a report that cannot be written afterwards must not
// read as if nothing had happened (the status is 9 either way).
let vaultChanged = false;

export function noteVaultChanged(): void {
  vaultChanged = true;
}

/** Standard output could not be written: exit 9, saying whether the vault was changed before. */
export function outputFailure(err: unknown): VaultError {
  return storageError(err, 'the output (standard output)', vaultChanged ? 'the vault was changed; only this report is incomplete' : 'it is incomplete');
}

/**
 * Results written into a file are synced before the command reports success: an I/O error
 * (the disk, NFS) is then exit 9 with one line, never a success whose output is lost.
 * Standard error is not synced: its failure could not be reported anywhere.
 */
export function syncStdout(): void {
  if (!stdoutIsFile) return;
  try {
    fs.fsyncSync(1);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EINVAL') return; // a file that cannot be synced (a special file system)
    throw storageError(err, 'the output (standard output)', vaultChanged ? 'the vault was changed; only this report may be incomplete' : 'it may be incomplete');
  }
}

export function line(text = ''): void {
  writeStdout(`${text}\n`);
}

/** The shape version of --json output: raised when a field changes meaning or goes away. */
export const JSON_SCHEMA = 1;

/** A --json result. An object carries "schema" first; a list stays a bare array (scripts index
 *  it), each of its objects carrying "schema" first. */
export function json(value: unknown): void {
  const stamp = (v: unknown): unknown => (v !== null && typeof v === 'object' && !Array.isArray(v) ? { schema: JSON_SCHEMA, ...v } : v);
  const versioned = Array.isArray(value) ? value.map(stamp) : stamp(value);
  writeStdout(`${JSON.stringify(versioned, null, 2)}\n`);
}

export function warn(message: string): void {
  process.stderr.write(`vault: ${paint('yellow', 'warning', process.stderr)}: ${message}\n`);
}

export function info(message: string): void {
  if (!settings.quiet) process.stderr.write(`vault: ${message}\n`);
}

/** A result line for people (e.g. "added binance-main"); silent with --quiet. */
export function done(message: string): void {
  if (!settings.quiet) process.stderr.write(`${message}\n`);
}

/** One error line and its hints. Unknown errors never show their (library) message. */
export function renderError(err: unknown, debug: boolean): void {
  if (err instanceof VaultError) {
    process.stderr.write(`vault: ${paint('red', 'error', process.stderr)}: ${err.message}\n`);
    for (const h of err.hints) process.stderr.write(`vault: hint: ${h}\n`);
    return;
  }
  process.stderr.write(`vault: ${paint('red', 'error', process.stderr)}: an unexpected internal error occurred\n`);
  const e = err as NodeJS.ErrnoException | undefined;
  if (e?.code && /^E[A-Z]+$/.test(e.code)) process.stderr.write(`vault: hint: system error ${e.code}${e.syscall ? ` in ${e.syscall}` : ''}\n`);
  // Stack frames name functions and files only; the message line (which may quote data) is dropped.
  if (debug && e?.stack) process.stderr.write(`${e.stack.split('\n').filter((l) => l.trimStart().startsWith('at ')).join('\n')}\n`);
  else process.stderr.write('vault: hint: run again with --debug for where it happened\n');
}

export function table(headers: string[], rows: string[][]): void {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  line(paint('bold', fmt(headers)));
  for (const r of rows) line(fmt(r));
}
