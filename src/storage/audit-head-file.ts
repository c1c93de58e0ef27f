// The audit head file (vault.exv.audit-head): the chain's last authenticated record (sequence
// and MAC) with a MAC of its own under the audit key, replaced atomically after every
// authenticated append. Truncating the log, deleting it, or putting an older copy in its place
// then disagrees with the head; only an older copy of both files together goes unseen.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AuditError, UsageError } from '../errors';
import { OpenedFile, openRegularFile } from './regular-file';
import { writeFileAtomic } from './atomic-write';

export interface StoredHead {
  seq: number;
  mac: string;
  hmac: string;
  /** The host keeping the chain (id, name): absent in heads written before host chains. */
  host?: string;
  name?: string;
}

export const auditHeadPath = (vault: string) => `${vault}.audit-head`;

/** The stored head, null when there is none, or 'damaged' when it is not one. */
export function readHeadFile(file: string): StoredHead | null | 'damaged' {
  let text: string;
  try {
    let opened: OpenedFile | null;
    try {
      opened = openRegularFile(file, fs.constants.O_RDONLY, 'the audit head');
    } catch (err) {
      // A link, a FIFO, a folder: not a head this vault wrote.
      if (err instanceof UsageError) return 'damaged';
      throw err;
    }
    if (!opened) return null;
    const fd = opened.fd;
    try {
      if (fs.fstatSync(fd).size > 1024) return 'damaged';
      text = fs.readFileSync(fd, 'utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'ELOOP') return 'damaged';
    throw new AuditError(`cannot read the audit head ${file} (${code ?? 'i/o error'})`);
  }
  try {
    const h = JSON.parse(text) as StoredHead;
    const tagged = h.host === undefined ? h.name === undefined : typeof h.host === 'string' && typeof h.name === 'string';
    if (Number.isSafeInteger(h.seq) && h.seq >= 0 && typeof h.mac === 'string' && typeof h.hmac === 'string' && tagged) {
      return { seq: h.seq, mac: h.mac, hmac: h.hmac, ...(h.host !== undefined && { host: h.host, name: h.name }) };
    }
  } catch {
    // falls through
  }
  return 'damaged';
}

/** Temp files of head writers killed mid-write: the caller holds the log's lock, so any is stale. */
function removeStaleTemps(file: string): void {
  const prefix = `.${path.basename(file)}.tmp-`;
  try {
    for (const name of fs.readdirSync(path.dirname(file))) {
      if (name.startsWith(prefix) && /^\d+-[0-9a-f]+$/.test(name.slice(prefix.length))) fs.rmSync(path.join(path.dirname(file), name), { force: true });
    }
  } catch {
    // Tidying up is best effort; a failing folder shows again in the write itself.
  }
}

/** Replaces the head atomically; a failure is a StorageError (exit 9) and leaves the old head. */
export function writeHeadFile(file: string, head: StoredHead, unchanged = 'nothing was changed'): void {
  removeStaleTemps(file);
  const tag = head.host !== undefined ? { host: head.host, name: head.name ?? '' } : {};
  writeFileAtomic(file, Buffer.from(`${JSON.stringify({ ...tag, seq: head.seq, mac: head.mac, hmac: head.hmac })}\n`), { what: `the audit head ${file}`, unchanged });
}
