// The audit log file: append-only JSON lines beside the vault, mode 0600. Appends are
// O_APPEND + fsync under a lock; the chain state is read from the end of the file so an
// append costs the same with 10 records or 100,000.
import * as fs from 'node:fs';
import { AuditError, UsageError } from '../errors';
import { O_NOFOLLOW, writeAll } from './atomic-write';
import { OpenedFile, openRegularFile } from './regular-file';
import { storageError } from './io-error';
import { ChainState, GENESIS_MAC } from '../domain/audit-chain';

/** What verify reads at once: a larger log cannot become one string in Node (about 512 MiB
 *  of text is its limit), and at ~250 bytes a record this is a million releases. */
export const MAX_LOG_BYTES = 256 * 1024 * 1024;
const CHUNK = 64 * 1024;

/**
 * Opens the log without following a link, and checks on the open descriptor that it is a
 * regular file of ours that no one else can write: a link or a file planted by another user
 * is refused, never read or appended to. Returns null when there is no log yet (and flags
 * do not create it).
 */
function openLog(file: string, flags: number): OpenedFile | null {
  const log = openRegularFile(file, flags, 'the audit log', { hints: ['something other than exvault put it there; remove it once you know what did'] });
  if (!log) return null;
  const { fd, st } = log;
  const uid = typeof process.getuid === 'function' ? process.getuid() : -1;
  const problem = uid !== -1 && st.uid !== uid ? `belongs to another user (uid ${st.uid})` : process.platform !== 'win32' && st.mode & 0o022 ? 'is writable by other users' : null;
  if (problem) {
    fs.closeSync(fd);
    throw new UsageError(`the audit log ${file} ${problem}; refusing to use it`, ['something other than exvault changed it; look at it, then move it aside (chmod 600 and your ownership are expected)']);
  }
  return log;
}

export function readLogLines(file: string, maxBytes = MAX_LOG_BYTES): string[] {
  let data: Buffer;
  try {
    const log = openLog(file, fs.constants.O_RDONLY);
    if (!log) return [];
    try {
      if (log.st.size > maxBytes) throw new AuditError(`the audit log ${file} is larger than ${maxBytes / (1024 * 1024)} MiB; refusing to read it`, ['on its host, start a new chain (the old log is kept aside): vault audit new-chain']);
      data = fs.readFileSync(log.fd);
    } finally {
      fs.closeSync(log.fd);
    }
  } catch (err) {
    if (err instanceof AuditError || err instanceof UsageError) throw err;
    throw new AuditError(`cannot read the audit log ${file} (${(err as NodeJS.ErrnoException).code ?? 'i/o error'})`);
  }
  const lines = data.toString('utf8').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

interface TailRecord {
  seq: number;
  mac: string | null;
}

function splitLines(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let from = 0;
  for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, from)) {
    out.push(buf.subarray(from, i));
    from = i + 1;
  }
  out.push(buf.subarray(from));
  return out;
}

/** Chain state from the end of the log: last sequence, last MAC, unauthenticated lines after it. */
export function readChainTail(file: string): ChainState {
  let log: OpenedFile | null;
  try {
    log = openLog(file, fs.constants.O_RDONLY);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new AuditError(`cannot read the audit log ${file} (${(err as NodeJS.ErrnoException).code ?? 'i/o error'})`);
  }
  if (!log) return { seq: 0, authSeq: 0, mac: GENESIS_MAC, pending: [] };
  const fd = log.fd;
  try {
    let pos = log.st.size;
    let carry = Buffer.alloc(0);
    const pending: string[] = [];
    let lastSeq: number | undefined;
    for (;;) {
      const n = Math.min(CHUNK, pos);
      pos -= n;
      const chunk = Buffer.alloc(n);
      fs.readSync(fd, chunk, 0, n, pos);
      const lines = splitLines(Buffer.concat([chunk, carry]));
      // Until the start of the file, the first piece may be the end of an earlier line.
      carry = pos === 0 ? Buffer.alloc(0) : Buffer.from(lines.shift()!);
      for (let i = lines.length - 1; i >= 0; i--) {
        const line = lines[i]!.toString('utf8');
        if (!line) continue;
        let r: TailRecord;
        try {
          r = JSON.parse(line);
        } catch {
          throw new AuditError('the audit log ends with a damaged record', ['see which with: vault audit verify']);
        }
        lastSeq ??= r.seq;
        if (r.mac) return { seq: lastSeq, authSeq: r.seq, mac: r.mac, pending };
        pending.unshift(line);
      }
      if (pos === 0) return { seq: lastSeq ?? 0, authSeq: 0, mac: GENESIS_MAC, pending };
    }
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Appends one line and makes it durable, or leaves the log as it was: a write that fails
 * part way (a full disk) is cut back off, so the chain never ends in half a record and never
 * records a release that did not happen. A log its owner cannot write is refused, even for root.
 */
export function appendLogLine(file: string, line: string): number {
  let log: OpenedFile;
  try {
    log = openLog(file, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT)!;
  } catch (err) {
    throw storageError(err, `the audit log ${file}`, 'nothing was released');
  }
  const { fd, st } = log;
  try {
    if ((st.mode & 0o200) === 0) throw new AuditError(`the audit log ${file} is read-only`, ['make it writable again (chmod 600) to release secrets']);
    const data = Buffer.from(`${line}\n`);
    try {
      writeAll(fd, data);
      fs.fsyncSync(fd);
      if (fs.fstatSync(fd).size !== st.size + data.length) throw Object.assign(new Error('short write'), { code: 'EIO' });
    } catch (err) {
      try {
        fs.ftruncateSync(fd, st.size);
        fs.fsyncSync(fd);
      } catch {
        // The record may stay half written; verify names it. The release does not happen.
      }
      throw storageError(err, `the audit log ${file}`, 'nothing was released');
    }
    return st.size;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Cuts the log back to `size` (what it held before an append whose follow-up failed), so it
 * never records a release that did not happen. Best effort: the caller is reporting a failure.
 */
export function cutLogBack(file: string, size: number): void {
  try {
    const fd = fs.openSync(file, fs.constants.O_WRONLY | O_NOFOLLOW);
    try {
      fs.ftruncateSync(fd, size);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // The extra record stays; the head file still names the one before it.
  }
}

/** What `vault audit collect` finds at a path it is given. */
export interface ChainFiles {
  log: string;
  head: string;
  /** A head with no log beside it (the log deleted, or not copied). */
  missingLog?: boolean;
}

/**
 * The audit logs to collect at a path (`vault audit collect`): the file itself, or in a
 * folder every `*.audit` log and every chain set aside as `*.audit.<host>.old`; each one's
 * head is the same name with `-head` appended. A head whose log is not there is listed too,
 * marked. Sorted by name; an empty list for a folder holding neither.
 */
export function chainFilesAt(target: string): ChainFiles[] {
  let st: fs.Stats;
  try {
    st = fs.statSync(target);
  } catch (err) {
    throw new UsageError(`cannot read ${target} (${(err as NodeJS.ErrnoException).code ?? 'i/o error'})`, ['give a folder holding a host\'s vault.exv.audit and vault.exv.audit-head, or the log file itself']);
  }
  if (!st.isDirectory()) return [{ log: target, head: `${target}-head` }];
  const dir = target.replace(/\/+$/, '');
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (err) {
    throw new UsageError(`cannot read ${target} (${(err as NodeJS.ErrnoException).code ?? 'i/o error'})`);
  }
  const isLog = (n: string) => /\.audit$/.test(n) || /\.audit\.[^/]+\.old$/.test(n);
  const logs = names.filter(isLog).map((n) => ({ log: `${dir}/${n}`, head: `${dir}/${n}-head` }));
  const orphans = names
    .filter((n) => n.endsWith('-head') && isLog(n.slice(0, -'-head'.length)) && !names.includes(n.slice(0, -'-head'.length)))
    .map((n) => ({ log: `${dir}/${n.slice(0, -'-head'.length)}`, head: `${dir}/${n}`, missingLog: true }));
  return [...logs, ...orphans].sort((a, b) => (a.log < b.log ? -1 : a.log > b.log ? 1 : 0));
}
