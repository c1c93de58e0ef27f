// `vault exec --file VAR=entry.field`: a secret as a file, for programs that read keys from
// files (Docker and compose secrets, systemd credentials, a PEM path in a config). Each run
// gets a folder of its own (0700) on a memory file system, $XDG_RUNTIME_DIR (the user's, and
// emptied at logout) or else /dev/shm, never a disk (the file-system type is checked); each file is 0600. The wrapper removes
// them when the program ends, whichever way it ends (SIGTERM and SIGINT are forwarded to the
// program, and the wrapper waits for it). A wrapper killed with SIGKILL cannot: its folder,
// named for its pid, is removed by the next `vault exec --file` once that pid is gone.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UsageError } from '../errors';

const PREFIX = 'exvault-exec-';
// statfs(2) f_type of the memory file systems: pages there never reach a disk (swap aside).
const MEMORY_FS = new Set([0x01021994 /* TMPFS_MAGIC */, 0x858458f6 /* RAMFS_MAGIC */]);

function onMemoryFs(dir: string): boolean {
  try {
    return MEMORY_FS.has(fs.statfsSync(dir).type);
  } catch {
    return false;
  }
}

/** The memory file system to use, or null: a folder of ours, not writable by others. */
function privateBase(env: Record<string, string | undefined>): string | null {
  const me = typeof process.getuid === 'function' ? process.getuid() : -1;
  const runtime = env.XDG_RUNTIME_DIR;
  if (runtime && path.isAbsolute(runtime)) {
    // lstat: a symlink (whoever owns it) is passed over, not followed.
    const st = fs.lstatSync(runtime, { throwIfNoEntry: false });
    if (st?.isDirectory() && st.uid === me && (st.mode & 0o077) === 0 && onMemoryFs(runtime)) return runtime;
  }
  // /dev/shm is shared (sticky, 1777): our own 0700 folder inside it keeps others out.
  const shm = fs.lstatSync('/dev/shm', { throwIfNoEntry: false });
  if (shm?.isDirectory() && (shm.mode & 0o1000) !== 0 && onMemoryFs('/dev/shm')) return '/dev/shm';
  return null;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const reasonOf = (err: unknown) => (err as NodeJS.ErrnoException).code ?? 'an unexpected error';

/**
 * Folders left by wrappers that were killed with SIGKILL: theirs, and their pid is gone.
 * Never fails the run: what cannot be removed is reported and left.
 */
function removeStale(base: string, warn: (message: string) => void): void {
  const me = typeof process.getuid === 'function' ? process.getuid() : -1;
  let names: string[];
  try {
    names = fs.readdirSync(base);
  } catch (err) {
    return warn(`could not look for folders left by earlier runs in ${base} (${reasonOf(err)})`);
  }
  for (const name of names) {
    const m = new RegExp(`^${PREFIX}(\\d+)-`).exec(name);
    if (!m || alive(Number(m[1]))) continue;
    const dir = path.join(base, name);
    try {
      const st = fs.lstatSync(dir, { throwIfNoEntry: false });
      if (st?.isDirectory() && st.uid === me) removeDir(dir);
    } catch (err) {
      warn(`could not remove ${dir}, left by an earlier run (${reasonOf(err)}); remove it by hand`);
    }
  }
}

/**
 * Removes a folder of ours and whatever the program left in it: modes set back to 0700 (a
 * program may chmod its folder 0500), regular files of ours zeroed before they are unlinked.
 */
function removeDir(dir: string): void {
  const me = typeof process.getuid === 'function' ? process.getuid() : -1;
  fs.chmodSync(dir, 0o700);
  for (const f of fs.readdirSync(dir)) {
    const p = path.join(dir, f);
    const st = fs.lstatSync(p, { throwIfNoEntry: false });
    if (!st) continue;
    if (st.isDirectory()) {
      if (st.uid === me) removeDir(p);
      else fs.rmSync(p, { recursive: true, force: true });
      continue;
    }
    if (st.isFile() && st.uid === me) {
      try {
        // On a memory file system unlinking frees the pages; zeros first for any other copy.
        const fd = fs.openSync(p, fs.constants.O_WRONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
        try {
          fs.writeSync(fd, Buffer.alloc(st.size), 0, st.size, 0);
        } finally {
          fs.closeSync(fd);
        }
      } catch {
        // Removed all the same below.
      }
    }
    fs.rmSync(p, { force: true });
  }
  fs.rmdirSync(dir);
}

export interface SecretFiles {
  /** VAR -> the path of its file. */
  paths: Record<string, string>;
  /** Empties and removes the files and their folder; safe to call twice; never throws (warns). */
  remove(): void;
}

export function writeSecretFiles(files: { name: string; value: string }[], env: Record<string, string | undefined>, warn: (message: string) => void): SecretFiles {
  const base = privateBase(env);
  if (!base) throw new UsageError('--file needs a memory file system (tmpfs) of yours: $XDG_RUNTIME_DIR (0700, tmpfs) or /dev/shm, and neither is one', ['secrets are never written to a disk; set XDG_RUNTIME_DIR to a private tmpfs folder']);
  removeStale(base, warn);
  const dir = fs.mkdtempSync(path.join(base, `${PREFIX}${process.pid}-`));
  fs.chmodSync(dir, 0o700);
  const dirIno = fs.lstatSync(dir).ino;
  // Each file stays open until the end: it is emptied through its descriptor, so a folder
  // renamed away during the run (by the program, or whoever controls the parent) leaves no secret.
  const fds: number[] = [];
  let removed = false;
  const remove = () => {
    if (removed) return;
    removed = true;
    process.removeListener('exit', remove);
    for (const fd of fds) {
      try {
        const size = fs.fstatSync(fd).size;
        fs.writeSync(fd, Buffer.alloc(size), 0, size, 0);
        fs.ftruncateSync(fd, 0);
      } catch {
        // The unlink below still frees it on a memory file system.
      }
      try {
        fs.closeSync(fd);
      } catch {
        // Already closed.
      }
    }
    try {
      const st = fs.lstatSync(dir, { throwIfNoEntry: false });
      if (!st || st.ino !== dirIno) return warn(`the folder of the --file files (${dir}) was moved away during the run; its files were emptied`);
      removeDir(dir);
    } catch (err) {
      warn(`could not remove ${dir} (${reasonOf(err)}); its files were emptied; the next vault exec --file retries`);
    }
  };
  // Also on an unexpected exit of the wrapper (anything short of SIGKILL).
  process.on('exit', remove);
  try {
    const paths: Record<string, string> = {};
    for (const f of files) {
      const p = path.join(dir, f.name);
      const fd = fs.openSync(p, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600);
      fds.push(fd);
      fs.writeSync(fd, f.value);
      paths[f.name] = p;
    }
    return { paths, remove };
  } catch (err) {
    remove();
    throw err;
  }
}
