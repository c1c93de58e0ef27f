// SHA-256, for commitments to sealed records (format v2 index) and the scope table.
import { createHash } from 'node:crypto';

export const HASH_BYTES = 32;

/** Whether `bytes` hash to `commit` (a stored SHA-256). One hash object, no copies: a write
 *  checks tens of thousands of records with it. */
export function matchesCommit(bytes: Uint8Array, commit: Uint8Array): boolean {
  return createHash('sha256').update(bytes).digest().equals(commit);
}

export function sha256(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  const d = h.digest();
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}
