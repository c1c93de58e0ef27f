// The one place where a system error from a write path becomes a message for people: what
// could not be written, why (in words, not an errno), and what is unchanged.
import * as os from 'node:os';
import { StorageError, VaultError } from '../errors';

const REASONS: Record<string, [string, string]> = {
  ENOSPC: ['no space left on device', 'free some space on that disk, then run the command again'],
  EDQUOT: ['disk quota exceeded', 'free some space within your quota, then run the command again'],
  EFBIG: ['file too large for the file system', 'free some space or move the vault (--vault PATH)'],
  EROFS: ['read-only file system', 'the file system is mounted read-only; remount it read-write or move the vault (--vault PATH)'],
  EIO: ['input/output error', 'the disk reported an error: check it (dmesg) and keep a backup (vault backup FILE) elsewhere'],
  EACCES: ['permission denied', 'check the owner and permissions of the folder and the file'],
  EPERM: ['operation not permitted', 'check the owner and permissions of the folder and the file (and any immutable attribute)'],
  EMFILE: ['too many open files', 'close some programs or raise the open-file limit (ulimit -n), then try again'],
  ENFILE: ['too many open files in the system', 'close some programs, then try again'],
  ENOMEM: ['out of memory', 'close some programs, then try again'],
  ENOENT: ['a file or folder vanished meanwhile', 'another program changed the folder; run the command again'],
  EEXIST: ['a file appeared meanwhile', 'another program changed the folder; run the command again'],
  ELOOP: ['a symbolic link was found where a file was expected', 'remove the symbolic link; exvault does not follow links beside the vault'],
};

/** The errno's name; libuv leaves some unnamed ("Unknown system error -122" is EDQUOT). */
function errnoName(err: unknown): string | undefined {
  const e = err as NodeJS.ErrnoException | undefined;
  if (e?.code && REASONS[e.code]) return e.code;
  if (typeof e?.errno === 'number') {
    const found = Object.entries(os.constants.errno).find(([, v]) => v === -e.errno!);
    if (found) return found[0];
  }
  return e?.code;
}

/** Why a system call failed, in words (the errno name for unlisted ones). */
export function describeErrno(err: unknown): string {
  const code = errnoName(err);
  if (!code) return 'unknown error';
  return REASONS[code]?.[0] ?? `system error ${code}`;
}

/**
 * A StorageError for a failed write; VaultErrors pass through unchanged.
 * @param what  what could not be written ("the vault /x/vault.exv")
 * @param unchanged  what the user can rely on ("nothing was changed")
 */
export function storageError(err: unknown, what: string, unchanged: string): VaultError {
  if (err instanceof VaultError) return err;
  const code = errnoName(err);
  const hint = code ? REASONS[code]?.[1] : undefined;
  return new StorageError(`could not write ${what} (${describeErrno(err)})`, unchanged, hint ? [hint] : []);
}

/** A system error for an incomplete write the kernel did not report as one. */
export function shortWrite(): NodeJS.ErrnoException {
  const e: NodeJS.ErrnoException = new Error('short write');
  e.code = 'EIO';
  return e;
}

/**
 * A file of one of the tool's own packages (libsodium, koffi, keyring, yaml, zxcvbn) could not
 * be read while loading it: a storage error naming the package and the errno, or null when
 * `err` is something else.
 */
export function moduleLoadError(err: unknown): VaultError | null {
  if (err instanceof VaultError) return null;
  const e = err as NodeJS.ErrnoException | undefined;
  // Node's resolver reports an unreadable package.json as a missing module, with no errno.
  const missing = e?.code === 'MODULE_NOT_FOUND' ? /^Cannot find module '((?:@[^/']+\/)?[^/'.][^/']*)/.exec(String(e.message)) : null;
  if (missing) {
    return new StorageError(`could not load the package ${missing[1]} (not found or not readable)`, 'nothing was changed', ['check that exvault\'s installed files are readable (or reinstall it); the system may be out of file descriptors or the disk failing']);
  }
  const file = typeof e?.path === 'string' ? e.path : undefined;
  if (!file || !errnoName(err)) return null;
  const m = /[\\/]node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)/.exec(file);
  if (!m) return null;
  const pkg = m[1]!.replace(/\\/g, '/');
  return new StorageError(`could not load the package ${pkg} (${describeErrno(err)})`, 'nothing was changed', ['check that exvault\'s installed files are readable (or reinstall it); the system may be out of file descriptors or the disk failing']);
}
