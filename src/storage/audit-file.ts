// The audit log file: append-only JSON lines beside the vault, mode 0600. Appends are
// O_APPEND + fsync under a lock; the chain state is read from the end of the file so an
// append costs the same with 10 records or 100,000.
import * as fs from 'node:fs';
import { AuditError } from '../errors';
import { ChainState, GENESIS_MAC } from '../domain/audit';

const MAX_LOG_BYTES = 1024 * 1024 * 1024;
const CHUNK = 64 * 1024;

export function readLogLines(file: string): string[] {
  let data: Buffer;
  try {
    if (fs.statSync(file).size > MAX_LOG_BYTES) throw new AuditError('the audit log is larger than 1 GiB');
    data = fs.readFileSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    if (err instanceof AuditError) throw err;
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
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { seq: 0, authSeq: 0, mac: GENESIS_MAC, pending: [] };
    throw new AuditError(`cannot read the audit log ${file} (${(err as NodeJS.ErrnoException).code ?? 'i/o error'})`);
  }
  try {
    let pos = fs.fstatSync(fd).size;
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

/** Appends one line and makes it durable. A log its owner cannot write is refused, even for root. */
export function appendLogLine(file: string, line: string): void {
  const st = fs.statSync(file, { throwIfNoEntry: false });
  if (st && (st.mode & 0o200) === 0) throw new AuditError(`the audit log ${file} is read-only`, ['make it writable again (chmod 600) to release secrets']);
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT, 0o600);
  } catch (err) {
    throw new AuditError(`cannot open the audit log ${file} (${(err as NodeJS.ErrnoException).code ?? 'i/o error'})`);
  }
  try {
    fs.writeSync(fd, `${line}\n`);
    fs.fsyncSync(fd);
  } catch (err) {
    throw new AuditError(`cannot write the audit log ${file} (${(err as NodeJS.ErrnoException).code ?? 'i/o error'})`);
  } finally {
    fs.closeSync(fd);
  }
}
