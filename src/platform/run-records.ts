// Run records: one small file per running `vault exec`, in a private folder beside the vault
// (vault.exv.runs/), naming the process, when it started, and which entry versions it was
// handed (names and numbers, never values). A rotation reads them to know which bots still
// hold an old key. A process is identified by its pid AND its start time (field 22 of
// /proc/PID/stat, in clock ticks since boot), so a pid the kernel reused for another
// process is not taken for the bot. The record is written before the secrets are released
// and removed when the run ends; a run killed with -9 leaves its record, which the next
// reader finds dead and removes. No fsync: after a machine crash no process runs anyway.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { StorageError } from '../errors';
import { O_NOFOLLOW, removeQuietly, tempPathFor, writeNewFile } from '../storage/atomic-write';

export interface RunFile {
  pid: number;
  /** Start time in clock ticks since boot; null where /proc is missing. */
  start: string | null;
  program: string;
  since: string;
  entries: { entry: string; version: number }[];
}

const MAX_RECORD_BYTES = 64 * 1024;
const NAME = /^(\d{1,10})-(\d{1,20}|x)\.json$/;

export const runsDir = (vaultPath: string) => `${vaultPath}.runs`;

/** The process's state and start time from /proc/PID/stat; null when there is no such process. */
function procStat(pid: number): { state: string; start: string } | null {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses; the last ")" ends it.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { state: rest[0] ?? '', start: rest[19] ?? '' };
}

const hasProc = (): boolean => fs.existsSync('/proc/self/stat');

/** This process's start time, as a run record keeps it. */
export function ownStart(): string | null {
  return hasProc() ? (procStat(process.pid)?.start ?? null) : null;
}

/**
 * Whether the process a record names is still that process and still running. A zombie has
 * ended (it only waits for its parent). Without /proc, a live pid is taken as the run.
 */
export function isAlive(pid: number, start: string | null): boolean {
  if (start === null || !hasProc()) {
    try {
      process.kill(pid, 0);
      return true;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EPERM';
    }
  }
  const st = procStat(pid);
  return st !== null && st.start === start && st.state !== 'Z' && st.state !== 'X';
}

/** The folder, made private when missing; refused when it is not ours alone (as the vault's). */
function ensureDir(dir: string): void {
  try {
    fs.mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const st = fs.lstatSync(dir);
  const uid = typeof process.getuid === 'function' ? process.getuid() : st.uid;
  if (!st.isDirectory() || st.uid !== uid || (process.platform !== 'win32' && (st.mode & 0o077) !== 0)) {
    throw new StorageError(`the run records folder ${dir} is not a private folder of this user`, 'this run is not tracked');
  }
}

/** Writes this process's record (temp file, then rename: a reader sees all of it or none). */
export function writeRunRecord(vaultPath: string, run: Omit<RunFile, 'pid' | 'start'>): { file: string; remove(): void } {
  const dir = runsDir(vaultPath);
  const start = ownStart();
  const file = path.join(dir, `${process.pid}-${start ?? 'x'}.json`);
  const record: RunFile = { pid: process.pid, start, ...run };
  try {
    ensureDir(dir);
    const tmp = tempPathFor(file);
    try {
      writeNewFile(tmp, Buffer.from(JSON.stringify(record)), { mode: 0o600 });
      fs.renameSync(tmp, file);
    } catch (err) {
      removeQuietly(tmp);
      throw err;
    }
  } catch (err) {
    if (err instanceof StorageError) throw err;
    throw new StorageError(`could not write the run record in ${dir} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, 'this run is not tracked');
  }
  let removed = false;
  return {
    file,
    remove: () => {
      if (removed) return;
      removed = true;
      removeQuietly(file);
    },
  };
}

function readRecord(file: string): RunFile | null {
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO put in the folder would otherwise hold every reader (check, show, rotate).
    fd = fs.openSync(file, fs.constants.O_RDONLY | O_NOFOLLOW | (fs.constants.O_NONBLOCK ?? 0));
  } catch {
    return null;
  }
  try {
    const st = fs.fstatSync(fd);
    const uid = typeof process.getuid === 'function' ? process.getuid() : st.uid;
    if (!st.isFile() || st.uid !== uid || st.size > MAX_RECORD_BYTES) return null;
    const r = JSON.parse(fs.readFileSync(fd, 'utf8')) as RunFile;
    const ok = Number.isSafeInteger(r.pid) && r.pid > 0 && (r.start === null || typeof r.start === 'string') && typeof r.program === 'string' && typeof r.since === 'string'
      && Array.isArray(r.entries) && r.entries.every((x) => typeof x?.entry === 'string' && Number.isSafeInteger(x.version));
    return ok ? { pid: r.pid, start: r.start, program: r.program.slice(0, 255), since: r.since, entries: r.entries.map((x) => ({ entry: x.entry, version: x.version })) } : null;
  } catch {
    return null;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The runs still alive. Records of runs that ended (killed with -9, or a machine restart)
 * are removed; a file that is not a record of ours is left alone and ignored.
 */
export function liveRunRecords(vaultPath: string): RunFile[] {
  const dir = runsDir(vaultPath);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const out: RunFile[] = [];
  for (const name of names.sort()) {
    if (!NAME.test(name)) continue;
    const file = path.join(dir, name);
    const r = readRecord(file);
    if (!r) continue;
    if (isAlive(r.pid, r.start)) out.push(r);
    else removeQuietly(file);
  }
  return out;
}
