// Inter-process lock for writers: a file naming its holder (pid and the holder's start time,
// so a recycled pid is not mistaken for the holder), hard-linked into place so it never
// exists without that content. A lock whose holder is gone is taken over at once; the
// takeover itself is serialised by a short-lived "breaker" file so two waiters can never
// both remove a live lock.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { BusyError, UsageError } from '../errors';
import { O_NOFOLLOW, removeQuietly, writeNewFile } from './atomic-write';
import { storageError } from './io-error';

export const LOCK_TIMEOUT_MS = 10_000;
/** An empty or unreadable lock file (only older versions, which wrote the file after creating it, leave one). */
const EMPTY_LOCK_STALE_MS = 5_000;
const BREAKER_STALE_MS = 5_000;

interface Owner {
  pid: number;
  start: string | null;
  token: string;
}

function processStart(pid: number): string | null {
  try {
    // Field 22 of /proc/PID/stat is the start time in clock ticks; the name (field 2) may hold spaces.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

/**
 * Tokens of the locks this process holds now. A lock naming this process with any other token
 * is one it released but could not remove (an unlink that failed): stale, never waited for.
 */
const heldTokens = new Set<string>();

function holderAlive(o: Owner): boolean {
  if (o.pid === process.pid) return heldTokens.has(o.token);
  try {
    process.kill(o.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  if (o.start === null) return true;
  const now = processStart(o.pid);
  return now === null || now === o.start;
}

/**
 * The lock's content and age, read without following a link, from a file that must be ours
 * (or root's): a lock planted by another user, or a link, is refused rather than obeyed.
 */
function readOwner(file: string): { owner: Owner | null; mtimeMs: number; ageMs: number } | null {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw new UsageError(`the lock file ${file} is a symbolic link`, ['something other than exvault put it there; remove it once you know what did']);
    if (code === 'ENOENT') return null;
    throw err;
  }
  try {
    const st = fs.fstatSync(fd);
    const uid = typeof process.getuid === 'function' ? process.getuid() : -1;
    if (uid !== -1 && ((st.uid !== uid && st.uid !== 0) || !st.isFile())) {
      throw new UsageError(`the lock file ${file} belongs to another user (uid ${st.uid})`, ['something other than exvault put it there; remove it once you know what did']);
    }
    let owner: Owner | null = null;
    try {
      const o = JSON.parse(fs.readFileSync(fd, 'utf8'));
      if (typeof o.pid === 'number' && typeof o.token === 'string') owner = o;
    } catch {
      owner = null;
    }
    return { owner, mtimeMs: st.mtimeMs, ageMs: Date.now() - st.mtimeMs };
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Creates file with content, or returns false when it exists. The content goes to a private
 * temp file first, which is then hard-linked into place (link fails if the name exists): a
 * process killed at any moment leaves either no lock or one naming it, never an empty one.
 * On any failure the temp file is gone and nothing else was changed.
 */
function tryCreate(file: string, content: string): boolean {
  const tmp = `${file}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`;
  try {
    writeNewFile(tmp, Buffer.from(content));
    try {
      fs.linkSync(tmp, file);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    }
  } finally {
    removeQuietly(tmp);
  }
}

const ATTEMPT = /^.+\.lock(?:\.break)?\.(\d+)-[0-9a-f]{12}\.tmp$/;

/** Temp files of lock attempts by processes killed between writing and removing them. */
function removeDeadAttempts(file: string): void {
  const dir = path.dirname(file);
  for (const name of fs.readdirSync(dir)) {
    const m = ATTEMPT.exec(name);
    if (!m) continue;
    try {
      process.kill(Number(m[1]), 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') removeQuietly(path.join(dir, name));
    }
  }
}

/** Removes the lock if its holder is gone. Returns true when the caller should retry at once. */
function breakIfStale(file: string): boolean {
  const seen = readOwner(file);
  if (!seen) return true;
  const stale = seen.owner ? !holderAlive(seen.owner) : seen.ageMs > EMPTY_LOCK_STALE_MS;
  if (!stale) return false;
  const breaker = `${file}.break`;
  if (!tryCreate(breaker, String(process.pid))) {
    const b = readOwner(breaker);
    if (b && b.ageMs > BREAKER_STALE_MS) fs.rmSync(breaker, { force: true });
    return false;
  }
  try {
    // Only remove the very lock we judged stale, not one taken since.
    const again = readOwner(file);
    const same = seen.owner ? again?.owner?.token === seen.owner.token : again?.owner === null && again.mtimeMs === seen.mtimeMs;
    if (same) fs.rmSync(file, { force: true });
  } finally {
    fs.rmSync(breaker, { force: true });
  }
  return true;
}

export interface Lock {
  release(): void;
}

/** `unchanged` says, in a storage error, what the failed attempt left as it was. */
export async function acquireLock(file: string, timeoutMs = LOCK_TIMEOUT_MS, unchanged = 'nothing was changed'): Promise<Lock> {
  const owner: Owner = { pid: process.pid, start: processStart(process.pid), token: randomBytes(12).toString('hex') };
  const content = JSON.stringify(owner);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (tryCreate(file, content)) break;
      if (breakIfStale(file)) continue;
    } catch (err) {
      throw storageError(err, `the lock file ${file}`, unchanged);
    }
    if (Date.now() >= deadline) {
      throw new BusyError('the vault is busy: another exvault command holds its lock', [`waited ${Math.round(timeoutMs / 1000)} s for ${file}`]);
    }
    await new Promise((r) => setTimeout(r, 20 + Math.random() * 40));
  }
  try {
    removeDeadAttempts(file);
  } catch {
    // Tidying up is best effort; the lock is held and must be released by the caller.
  }
  let held = true;
  heldTokens.add(owner.token);
  const release = () => {
    if (!held) return;
    held = false;
    heldTokens.delete(owner.token);
    process.removeListener('exit', release);
    let mine: boolean;
    try {
      mine = readOwner(file)?.owner?.token === owner.token;
    } catch {
      // Unreadable now (out of file descriptors, an I/O error): it is still ours, as no one
      // takes over the lock of a live holder. Releasing must not replace the command's error.
      mine = true;
    }
    if (mine) removeQuietly(file);
  };
  process.on('exit', release);
  return { release };
}
