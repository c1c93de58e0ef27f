// `vault exec --file VAR=entry.field`: a secret as a file, for programs that read keys from
// files (Docker and compose secrets, systemd credentials, a PEM path in a config). Each run
// gets a folder of its own (0700) on a memory file system, $XDG_RUNTIME_DIR (the user's, and
// emptied at logout) or else /dev/shm, never a disk; each file is 0600. The wrapper removes
// them when the program ends, whichever way it ends (SIGTERM and SIGINT are forwarded to the
// program, and the wrapper waits for it). A wrapper killed with SIGKILL cannot: its folder,
// named for its pid, is removed by the next `vault exec --file` once that pid is gone.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UsageError } from '../errors';

const PREFIX = 'exvault-exec-';

/** The memory file system to use, or null: a folder of ours, not writable by others. */
function privateBase(env: Record<string, string | undefined>): string | null {
  const me = typeof process.getuid === 'function' ? process.getuid() : -1;
  const runtime = env.XDG_RUNTIME_DIR;
  if (runtime && path.isAbsolute(runtime)) {
    const st = fs.statSync(runtime, { throwIfNoEntry: false });
    if (st?.isDirectory() && st.uid === me && (st.mode & 0o077) === 0) return runtime;
  }
  // /dev/shm is shared (sticky, 1777): our own 0700 folder inside it keeps others out.
  const shm = fs.statSync('/dev/shm', { throwIfNoEntry: false });
  if (shm?.isDirectory() && (shm.mode & 0o1000) !== 0) return '/dev/shm';
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

/** Folders left by wrappers that were killed with SIGKILL: theirs, and their pid is gone. */
function removeStale(base: string): void {
  const me = typeof process.getuid === 'function' ? process.getuid() : -1;
  for (const name of fs.readdirSync(base)) {
    const m = new RegExp(`^${PREFIX}(\\d+)-`).exec(name);
    if (!m || alive(Number(m[1]))) continue;
    const dir = path.join(base, name);
    const st = fs.lstatSync(dir, { throwIfNoEntry: false });
    if (st?.isDirectory() && st.uid === me) removeDir(dir);
  }
}

function removeDir(dir: string): void {
  for (const f of fs.readdirSync(dir)) {
    const p = path.join(dir, f);
    try {
      // On a memory file system unlinking frees the pages; zeros first for any other copy.
      const size = fs.lstatSync(p).size;
      const fd = fs.openSync(p, fs.constants.O_WRONLY | fs.constants.O_NOFOLLOW);
      fs.writeSync(fd, Buffer.alloc(size));
      fs.closeSync(fd);
    } catch {
      // Removed all the same below.
    }
    fs.rmSync(p, { force: true });
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

export interface SecretFiles {
  /** VAR -> the path of its file. */
  paths: Record<string, string>;
  /** Removes the files and their folder; safe to call twice. */
  remove(): void;
}

export function writeSecretFiles(files: { name: string; value: string }[], env: Record<string, string | undefined>): SecretFiles {
  const base = privateBase(env);
  if (!base) throw new UsageError('--file needs a memory file system of yours: $XDG_RUNTIME_DIR (0700) or /dev/shm', ['secrets are never written to a disk; set XDG_RUNTIME_DIR to a private tmpfs folder']);
  removeStale(base);
  const dir = fs.mkdtempSync(path.join(base, `${PREFIX}${process.pid}-`));
  fs.chmodSync(dir, 0o700);
  let removed = false;
  const remove = () => {
    if (removed) return;
    removed = true;
    process.removeListener('exit', remove);
    removeDir(dir);
  };
  // Also on an unexpected exit of the wrapper (anything short of SIGKILL).
  process.on('exit', remove);
  try {
    const paths: Record<string, string> = {};
    for (const f of files) {
      const p = path.join(dir, f.name);
      const fd = fs.openSync(p, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600);
      try {
        fs.writeSync(fd, f.value);
      } finally {
        fs.closeSync(fd);
      }
      paths[f.name] = p;
    }
    return { paths, remove };
  } catch (err) {
    remove();
    throw err;
  }
}
