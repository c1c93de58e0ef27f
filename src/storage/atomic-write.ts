// Crash-safe replacement of a file: exclusive create of a 0600 temp file in the same folder
// (never through a symbolic link), write every byte, fsync, check the size on the open
// descriptor, rename over the target, fsync the folder. A reader (or a crash) sees the old
// file or the new one, never a mix; a failure before the rename changes nothing and leaves
// no temp file. After the rename the change is made: a folder that cannot be synced is a
// warning for the caller to pass on, not a failure.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { describeErrno, shortWrite, storageError } from './io-error';

const { O_WRONLY, O_CREAT, O_EXCL } = fs.constants;
/** Not defined on Windows, where symbolic links beside the vault need privileges anyway. */
export const O_NOFOLLOW = fs.constants.O_NOFOLLOW ?? 0;

/** What a completed write has to tell the user: the change is made, but not everything went well. */
export interface WriteOutcome {
  warnings: string[];
}

export interface AtomicWriteOptions {
  /** Mode of the new file (default 0600); set on the temp file, never on the path afterwards. */
  mode?: number;
  /** What is being written, for messages ("the vault /x/vault.exv"); the path by default. */
  what?: string;
  /** Runs once the temp file is complete and synced, just before the rename (the vault's backup). */
  beforeCommit?: () => void;
  /** What a failure leaves as it was, for messages (default "nothing was changed"). */
  unchanged?: string;
}

/** write(2) until every byte is written: a short write is not an error, so it must be looped. */
export function writeAll(fd: number, data: Uint8Array, position: number | null = null): void {
  let off = 0;
  while (off < data.length) {
    const n = fs.writeSync(fd, data, off, data.length - off, position === null ? null : position + off);
    if (n <= 0) throw shortWrite();
    off += n;
  }
}

/** The file behind fd holds exactly `size` bytes (a write that lost bytes unreported is caught here). */
function checkSize(fd: number, size: number): void {
  if (fs.fstatSync(fd).size !== size) throw shortWrite();
}

/** Removes a file if it is there; used on failure paths, where a second error must not hide the first. */
export function removeQuietly(file: string): void {
  try {
    fs.rmSync(file, { force: true });
  } catch {
    // The caller is already reporting a failure.
  }
}

/** The bytes of a file, whole or as pieces written one after another (a 24 MB vault written
 *  from the pieces it is built of is not first copied into one buffer). */
export type FileBytes = Uint8Array | readonly Uint8Array[];

/**
 * Creates `file` exclusively (never through a link) holding exactly `data`, or throws and
 * leaves nothing behind. With `sync`, the bytes are on disk before it returns.
 */
export function writeNewFile(file: string, data: FileBytes, opts: { mode?: number; sync?: boolean } = {}): void {
  const fd = fs.openSync(file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, opts.mode ?? 0o600);
  try {
    try {
      // The umask may have taken bits away; the mode asked for is the mode given.
      if (opts.mode !== undefined && process.platform !== 'win32') fs.fchmodSync(fd, opts.mode);
      const pieces = data instanceof Uint8Array ? [data] : data;
      for (const piece of pieces) writeAll(fd, piece);
      if (opts.sync) fs.fsyncSync(fd);
      checkSize(fd, pieces.reduce((n, p) => n + p.length, 0));
    } finally {
      fs.closeSync(fd);
    }
  } catch (err) {
    removeQuietly(file);
    throw err;
  }
}

export function tempPathFor(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
}

export function writeFileAtomic(target: string, data: FileBytes, opts: AtomicWriteOptions = {}): WriteOutcome {
  const dir = path.dirname(target);
  const what = opts.what ?? target;
  const tmp = tempPathFor(target);
  try {
    writeNewFile(tmp, data, { mode: opts.mode ?? 0o600, sync: true });
    opts.beforeCommit?.();
    fs.renameSync(tmp, target);
  } catch (err) {
    removeQuietly(tmp);
    throw storageError(err, what, opts.unchanged ?? 'nothing was changed');
  }
  return { warnings: syncAfterCommit(dir, what) };
}

export function fsyncDir(dir: string): void {
  // Directories cannot be opened for fsync on Windows; rename is already durable there.
  if (process.platform === 'win32') return;
  const dfd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  try {
    fs.fsyncSync(dfd);
  } finally {
    fs.closeSync(dfd);
  }
}

/** Folder sync once the change is made: its failure is reported, never thrown. */
export function syncAfterCommit(dir: string, what: string): string[] {
  try {
    fsyncDir(dir);
    return [];
  } catch (err) {
    return [`${what} was saved, but the folder ${dir} could not be synced (${describeErrno(err)}): durability not guaranteed if the machine stops now`];
  }
}
