// Reading and writing the vault file's bytes: ssh-style permission checks, symlink refusal,
// a size cap before reading, and crash-safe writes that keep one previous copy as a backup.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CorruptError, StorageError, UsageError, VaultError } from '../errors';
import { MAX_FILE_BYTES } from '../format/limits';
import { FileBytes, fsyncDir, O_NOFOLLOW, removeQuietly, writeAll, writeFileAtomic, WriteOutcome } from './atomic-write';
import { describeErrno, shortWrite, storageError } from './io-error';
import { backupPath } from './paths';

export interface StoreOptions {
  /** Accept a vault path that is a symbolic link (the user asked for it). */
  allowSymlink?: boolean;
}

const isWindows = process.platform === 'win32';

function mode(st: fs.Stats): string {
  return (st.mode & 0o7777).toString(8).padStart(3, '0');
}

/** Refuses a vault that others could read or replace, like ssh does with private keys. */
export function checkVaultFile(file: string, opts: StoreOptions = {}): fs.Stats {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new VaultError(`no vault at ${file}`, ['create one with: vault init', 'or point to yours with --vault PATH or EXVAULT_FILE']);
    }
    throw new VaultError(`cannot read the vault at ${file} (${(err as NodeJS.ErrnoException).code ?? 'i/o error'})`);
  }
  if (st.isSymbolicLink()) {
    if (!opts.allowSymlink) {
      throw new UsageError(`the vault path ${file} is a symbolic link`, ['pass --allow-symlink if that is intended, or use the real path']);
    }
    st = fs.statSync(file);
  }
  if (!st.isFile()) throw new UsageError(`${file} is not a regular file`);
  if (!isWindows) {
    if (st.mode & 0o077) {
      throw new UsageError(`the vault ${file} is accessible by other users (mode ${mode(st)})`, [`fix it with: chmod 600 ${file}`]);
    }
    if (st.uid !== myUid()) {
      throw new UsageError(`the vault ${file} belongs to another user`);
    }
    checkFolder(path.dirname(file));
  }
  if (st.size > MAX_FILE_BYTES) throw new CorruptError(`the vault file is too large (${st.size} bytes; at most ${MAX_FILE_BYTES})`);
  return st;
}

const myUid = (): number => (typeof process.getuid === 'function' ? process.getuid() : -1);

/**
 * The vault's folder, and every folder above it, as ssh's StrictModes checks a home: whoever
 * can write or replace any of them can swap the vault for an older copy (`mv vault.exv.bak
 * vault.exv`) or plant links beside it. The folder itself must be ours and writable by no one
 * else. Each parent must belong to us or to root, and be writable by no one else unless it
 * is root's and sticky (as /tmp is: others may create names there but not rename ours).
 */
const SHARED_SYSTEM_FOLDERS = new Set(['/', '/tmp', '/var/tmp', '/dev/shm', '/run/lock']);
const OWN_FOLDER_HINT = 'keep the vault in a folder of its own, e.g. --vault ~/.local/share/exvault/vault.exv (the default), or mkdir -m 700 a private folder for it; do not chmod a shared folder';

/** A folder others share on purpose: telling the user to chmod it would break the system. */
function systemFolder(p: string, st: fs.Stats): boolean {
  return SHARED_SYSTEM_FOLDERS.has(p) || (st.mode & 0o1000) !== 0 || st.uid !== myUid();
}

export function checkFolder(dir: string): void {
  if (isWindows) return;
  const uid = myUid();
  const real = fs.realpathSync(dir);
  const st = fs.statSync(real);
  if (st.uid !== uid) {
    throw new UsageError(`the vault's folder ${dir} belongs to another user (uid ${st.uid})`, ['keep the vault in a folder of your own (mode 700), e.g. the default one']);
  }
  // Anyone who can write the folder can swap the vault for one of their own.
  if (st.mode & 0o022) {
    throw new UsageError(`the vault's folder ${dir} is writable by other users (mode ${mode(st)})`, [systemFolder(real, st) ? OWN_FOLDER_HINT : `fix it with: chmod 700 ${dir}`]);
  }
  for (let p = path.dirname(real); ; p = path.dirname(p)) {
    const ps = fs.statSync(p);
    const sticky = (ps.mode & 0o1000) !== 0;
    if (ps.uid !== uid && ps.uid !== 0) {
      throw new UsageError(`the folder ${p} above the vault belongs to another user (uid ${ps.uid})`, ['that user could replace the vault; move it (--vault PATH) under folders only you and root own']);
    }
    if (ps.mode & 0o022 && !(sticky && ps.uid === 0)) {
      const hints = systemFolder(p, ps) ? [OWN_FOLDER_HINT] : [`fix it with: chmod go-w ${p}`, 'or move the vault (--vault PATH) under folders only you and root can write'];
      throw new UsageError(`the folder ${p} above the vault is writable by other users (mode ${mode(ps)})`, hints);
    }
    if (p === path.dirname(p)) break;
  }
}

export function vaultExists(file: string): boolean {
  try {
    fs.lstatSync(file);
    return true;
  } catch {
    return false;
  }
}

/** A failed read of the vault (out of file descriptors, an I/O error): exit 9, with the reason. */
function readError(err: unknown, file: string): VaultError {
  if (err instanceof VaultError) return err;
  return new StorageError(`could not read the vault ${file} (${describeErrno(err)})`, 'nothing was changed');
}

export function readVaultBytes(file: string, opts: StoreOptions = {}): Uint8Array {
  checkVaultFile(file, opts);
  let data: Buffer;
  try {
    data = fs.readFileSync(file);
  } catch (err) {
    throw readError(err, file);
  }
  if (data.length > MAX_FILE_BYTES) throw new CorruptError('the vault file is too large');
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** The first `bytes` bytes of the vault (all of it when shorter), after the same checks. */
export function readVaultStart(file: string, bytes: number, opts: StoreOptions = {}): Uint8Array {
  checkVaultFile(file, opts);
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    throw readError(err, file);
  }
  try {
    const buf = Buffer.alloc(bytes);
    const n = fs.readSync(fd, buf, 0, bytes, 0);
    return new Uint8Array(buf.buffer, buf.byteOffset, n);
  } finally {
    fs.closeSync(fd);
  }
}

/** Reads parts of the vault by position (format 2 reads one entry without the whole file). */
export interface VaultReader {
  size: number;
  read(off: number, len: number): Uint8Array;
  file: { dev: number; ino: number; links: number; size: number };
}

/**
 * Opens the vault for positioned reads, after the same checks. The descriptor stays open for
 * the process's life: later reads see the file as it was opened, even once a writer has
 * renamed a new one over it.
 */
export function openVaultReader(file: string, opts: StoreOptions = {}): VaultReader {
  checkVaultFile(file, opts);
  let fd: number;
  let st: fs.Stats;
  try {
    fd = fs.openSync(file, 'r');
    st = fs.fstatSync(fd);
  } catch (err) {
    throw readError(err, file);
  }
  const size = st.size;
  if (size > MAX_FILE_BYTES) throw new CorruptError('the vault file is too large');
  return {
    size,
    file: { dev: st.dev, ino: st.ino, links: st.nlink, size },
    read(off, len) {
      if (off + len > size) throw new CorruptError('the vault file is truncated');
      // Every byte is read into it below, or it is dropped: no need to zero megabytes first.
      const buf = Buffer.allocUnsafeSlow(len);
      let got = 0;
      try {
        while (got < len) {
          const n = fs.readSync(fd, buf, got, len - got, off + got);
          if (n === 0) throw new CorruptError('the vault file is truncated');
          got += n;
        }
      } catch (err) {
        throw readError(err, file);
      }
      return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    },
  };
}

/** Creates the vault's folder with mode 0700 when it does not exist yet, and checks it. */
export function ensureVaultFolder(file: string): void {
  const dir = path.dirname(file);
  if (!fs.existsSync(dir)) {
    try {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    } catch (err) {
      throw storageError(err, `the vault's folder ${dir}`, 'nothing was changed');
    }
  }
  checkFolder(dir);
}

/**
 * Temp files left by writers killed mid-write (they hold ciphertext only). Only the holder of
 * the vault lock writes temp files, and the caller holds it: any temp file here is stale.
 * (Checking the writer's pid instead fails when the pid has been reused.)
 */
function removeStaleTemps(target: string): void {
  const dir = path.dirname(target);
  const base = path.basename(target);
  for (const name of fs.readdirSync(dir)) {
    const m = /^(?:\.(.+)\.tmp-|(.+)\.bak\.tmp-)(\d+)(?:-[0-9a-f]+)?$/.exec(name);
    if (m && (m[1] ?? m[2]) === base) fs.rmSync(path.join(dir, name), { force: true });
  }
}

/**
 * The current vault becomes the backup: a hard link renamed into place, so the backup is
 * always a complete earlier vault. Runs once the new vault's temp file is complete, so a full
 * disk never gets this far.
 */
function keepBackup(target: string): void {
  const bak = backupPath(target);
  const tmp = `${bak}.tmp-${process.pid}`;
  try {
    fs.rmSync(tmp, { force: true });
    fs.linkSync(target, tmp);
    fs.renameSync(tmp, bak);
    // When the backup already is this very file (a writer was killed between its two
    // renames), rename() between two links of one file does nothing and leaves tmp behind.
    fs.rmSync(tmp, { force: true });
    fsyncDir(path.dirname(target));
  } catch (err) {
    removeQuietly(tmp);
    throw storageError(err, `the backup ${bak}`, 'the vault was not changed');
  }
}

/**
 * Replaces the vault; the caller holds the vault lock. The new bytes go to a complete,
 * synced temp file; then the current file becomes the backup; then the rename commits.
 * Returns warnings for the user (the folder could not be synced after the commit).
 */
export function writeVaultBytes(file: string, data: FileBytes, opts: StoreOptions = {}): WriteOutcome {
  let target = file;
  if (opts.allowSymlink && fs.lstatSync(file, { throwIfNoEntry: false })?.isSymbolicLink()) target = fs.realpathSync(file);
  ensureVaultFolder(target);
  try {
    removeStaleTemps(target);
  } catch {
    // Tidying up is best effort; a failing folder shows again in the write itself.
  }
  const exists = fs.existsSync(target);
  return writeFileAtomic(target, data, { what: `the vault ${file}`, ...(exists && { beforeCommit: () => keepBackup(target) }) });
}

/** Refuses, before any work a write would lose, a vault the next write cannot replace: its
 *  folder not writable, on a read-only file system, or the file immutable (chattr +i, which
 *  access() reports as EPERM). A file that is only mode 0400 is not refused: the write replaces
 *  it by rename, which its mode does not stop. */
export function checkVaultWritable(file: string, opts: StoreOptions = {}): void {
  let target = file;
  if (opts.allowSymlink && fs.lstatSync(file, { throwIfNoEntry: false })?.isSymbolicLink()) target = fs.realpathSync(file);
  const unchanged = 'nothing was asked or changed';
  try {
    fs.accessSync(path.dirname(target), fs.constants.W_OK);
  } catch (err) {
    throw storageError(err, `the vault ${file} (its folder is not writable)`, unchanged);
  }
  try {
    fs.accessSync(target, fs.constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EPERM' || code === 'EROFS') throw storageError(err, `the vault ${file}`, unchanged);
  }
}

/**
 * Appends a format 2 update to the vault in place; the caller holds the vault lock and read
 * `at` (this very file, at this size). Cuts off what an unfinished earlier update left after
 * `end`, writes the body, syncs, writes the trailer (the commit), syncs. Any failure cuts the
 * file back to `end`: readers go by the last complete trailer, so until the trailer is in, the
 * vault reads as it was. The backup is another file and is not touched.
 */
export function appendVaultBytes(file: string, at: { dev: number; ino: number; links: number; size: number }, end: number, body: readonly Uint8Array[], trailer: Uint8Array, opts: StoreOptions = {}): WriteOutcome {
  let target = file;
  if (opts.allowSymlink && fs.lstatSync(file, { throwIfNoEntry: false })?.isSymbolicLink()) target = fs.realpathSync(file);
  checkVaultFile(target);
  const what = `the vault ${file}`;
  let fd: number;
  try {
    // O_APPEND: every write lands at the end (after the cut below), as plain write(2) calls.
    fd = fs.openSync(target, fs.constants.O_WRONLY | fs.constants.O_APPEND | O_NOFOLLOW);
  } catch (err) {
    throw storageError(err, what, 'nothing was changed');
  }
  try {
    const st = fs.fstatSync(fd);
    if (st.dev !== at.dev || st.ino !== at.ino || st.size !== at.size || st.nlink !== 1 || end > st.size) {
      throw new StorageError(`${what} was changed by something else while this command held its lock`, 'nothing was changed');
    }
    let pos = end;
    try {
      if (st.size !== end) fs.ftruncateSync(fd, end);
      for (const piece of body) {
        writeAll(fd, piece);
        pos += piece.length;
      }
      fs.fsyncSync(fd);
      // The body must be all there before the trailer commits it.
      if (fs.fstatSync(fd).size !== pos) throw shortWrite();
      writeAll(fd, trailer);
      pos += trailer.length;
      fs.fsyncSync(fd);
      if (fs.fstatSync(fd).size !== pos) throw shortWrite();
    } catch (err) {
      try {
        fs.ftruncateSync(fd, end);
        fs.fsyncSync(fd);
      } catch {
        // Readers go by the last complete trailer: an update without one is ignored, and cut off by the next write.
      }
      throw storageError(err, what, 'nothing was changed');
    }
  } finally {
    fs.closeSync(fd);
  }
  return { warnings: [] };
}

/** First write of a new vault: fails if a vault is already there. */
export function createVaultFile(file: string, data: Uint8Array): WriteOutcome {
  ensureVaultFolder(file);
  if (vaultExists(file)) throw new UsageError(`a vault already exists at ${file}`, ['use --vault PATH for a second vault']);
  return writeFileAtomic(file, data, { what: `the vault ${file}` });
}
