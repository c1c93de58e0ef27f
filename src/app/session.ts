// Opening a vault and writing it back. Writers hold the lock across read-modify-write, so
// two commands never lose each other's changes.
import { decodeFile, decodeHead, FileHead, HEAD_BYTES, Header } from '../format/header';
import { openBody, sealFile } from '../format/seal';
import { parseDoc, serializeDoc, VaultDoc } from '../domain/document';
import { acquireLock } from '../storage/lock';
import { lockPath } from '../storage/paths';
import { readVaultBytes, readVaultStart, writeVaultBytes } from '../storage/vault-store';
import { AuthError } from '../errors';
import { alert } from './alerts';
import { auditHead, chainPending, recordFailedUnlock } from './audit-writer';
import type { AppContext } from './ports';

export interface Session {
  header: Header;
  dataKey: Uint8Array;
  doc: VaultDoc;
}

/** Unlocks the data key of a file's header; a failed unlock goes into the audit log. */
async function unlockHead(ctx: AppContext, head: FileHead): Promise<Uint8Array> {
  try {
    return await ctx.unlocker.dataKey(head);
  } catch (err) {
    if (err instanceof AuthError) await recordFailedUnlock(ctx);
    throw err;
  }
}

/** Failed unlocks since the last open: chained into the log, reported, and alerted on. */
async function reportFailedUnlocks(ctx: AppContext, dataKey: Uint8Array, session: () => Session): Promise<void> {
  const { failed, first, forged } = await chainPending(ctx, dataKey);
  if (forged.length) {
    ctx.notices.warn(`${forged.length} failed-unlock record${forged.length === 1 ? '' : 's'} in the audit log dated in the future (${forged.map((f) => `seq ${f.seq} at ${f.time}`).join(', ')}): forged by something that can write the log; noted as such, see: vault audit verify`);
  }
  if (!failed) return;
  ctx.notices.warn(`${failed} failed unlock attempt${failed === 1 ? '' : 's'} since the vault was last opened (first at ${first}); see: vault audit`);
  await alert(ctx, session(), 'unlock-failed', { attempts: failed, first });
}

export async function openSession(ctx: AppContext): Promise<Session> {
  const parsed = decodeFile(readVaultBytes(ctx.vaultPath, ctx.store));
  const dataKey = await unlockHead(ctx, parsed);
  const s = { header: parsed.header, dataKey, doc: parseDoc(openBody(parsed, dataKey)) };
  await reportFailedUnlocks(ctx, dataKey, () => s);
  return s;
}

/**
 * The data key alone, for writers (and for commands that unlock before asking for anything):
 * unlocking needs only the header, and writers read the whole file under the lock anyway, so
 * reading and decoding the body here too would only double the cost on a large vault. The
 * unlocker keeps the key, so a later open asks for nothing.
 */
export async function unlockForWrite(ctx: AppContext): Promise<Uint8Array> {
  const dataKey = await unlockHead(ctx, decodeHead(readVaultStart(ctx.vaultPath, HEAD_BYTES, ctx.store)));
  await reportFailedUnlocks(ctx, dataKey, () => reread(ctx, dataKey));
  return dataKey;
}

/** Re-reads the file with a data key already in hand: no key derivation, no prompt. */
function reread(ctx: AppContext, dataKey: Uint8Array): Session {
  const parsed = decodeFile(readVaultBytes(ctx.vaultPath, ctx.store));
  return { header: parsed.header, dataKey, doc: parseDoc(openBody(parsed, dataKey)) };
}

export async function saveSession(ctx: AppContext, s: Session): Promise<void> {
  const head = auditHead(ctx);
  if (head) s.doc.auditHead = head;
  // After the rename the change is made: what could not be finished (syncing the folder) is a warning.
  for (const w of writeVaultBytes(ctx.vaultPath, sealFile(s.header, s.dataKey, serializeDoc(s.doc)), ctx.store).warnings) ctx.notices.warn(w);
}

/**
 * Runs fn on a freshly read vault under the writer lock, then saves what fn changed.
 * Unlocking (the slow KDF, or a person typing) happens before the lock is taken; the data
 * key never changes for a vault, so the re-read under the lock needs no second unlock.
 */
export async function mutate<T>(ctx: AppContext, fn: (s: Session) => T | Promise<T>, unlockedKey?: Uint8Array): Promise<T> {
  return underWriteLock(
    ctx,
    async (s) => {
      const result = await fn(s);
      await saveSession(ctx, s);
      return result;
    },
    unlockedKey,
  );
}

/** As mutate, but fn saves the session itself (saveSession), as part of a larger change. */
export async function underWriteLock<T>(ctx: AppContext, fn: (s: Session) => T | Promise<T>, unlockedKey?: Uint8Array): Promise<T> {
  const dataKey = unlockedKey ?? (await unlockForWrite(ctx));
  const lock = await acquireLock(lockPath(ctx.vaultPath));
  try {
    return await fn(reread(ctx, dataKey));
  } finally {
    lock.release();
  }
}
