// Verified backup and restore of the encrypted vault file.
import { UsageError } from '../errors';
import { parseDoc } from '../domain/document';
import { decodeFile } from '../format/header';
import { openBody } from '../format/seal';
import { MAX_FILE_BYTES } from '../format/limits';
import { readCapped } from '../platform/secret-input';
import type { AppContext } from './ports';
import { openSession, sessionOf } from './session';

/** Copies the encrypted vault after checking that it opens, then checks the copy. */
export async function backupVault(ctx: AppContext, target: string, force: boolean): Promise<void> {
  const s = await openSession(ctx);
  const kind = ctx.vault.copyKind(target);
  if (kind !== 'none' && (!force || kind === 'link')) throw new UsageError(`${target} exists`, ['pick a new file name, or pass --force to replace it']);
  const bytes = ctx.vault.read();
  for (const w of ctx.vault.writeCopy(target, bytes, `the backup ${target}`).warnings) ctx.notices.warn(w);
  const copy = decodeFile(ctx.vault.readCopy(target) ?? new Uint8Array());
  const closed = s.header.scopes.filter((x) => !s.keys.has(x.id)).map((x) => x.name);
  if (!closed.length) {
    parseDoc(openBody(copy, s.keys));
    return;
  }
  // A host granted some scopes: the copy is checked as far as its keys go (every record of
  // those scopes opens), and it says what it could not check.
  const c = sessionOf(copy, s.keys);
  for (const scope of c.v2!.openScopes()) {
    const index = c.v2!.index(scope);
    for (const name of index.names()) c.v2!.line(scope, index.find(name)!);
  }
  ctx.notices.warn(`this unlock opens some scopes only: the backup was checked for ${c.v2!.openScopes().length} of ${s.header.scopes.length} scopes (not ${closed.join(', ')}); it is a byte-for-byte copy of the vault file`);
}

/**
 * Replaces the vault with a backup, only after the backup opens with the unlock ladder. On a
 * machine with no vault yet, the folder is created (0700) as init does. Says whether there
 * was a vault before, which is now the .bak file.
 */
export async function restoreVault(ctx: AppContext, source: string): Promise<{ entries: number; previous: boolean }> {
  const bytes = new Uint8Array(readCapped(source, MAX_FILE_BYTES, 'backup'));
  const parsed = decodeFile(bytes);
  const doc = parseDoc(openBody(parsed, await ctx.unlocker.dataKey(parsed)));
  ctx.vault.ensureFolder();
  const lock = await ctx.vault.lock('write');
  let previous: boolean;
  try {
    previous = ctx.vault.exists();
    for (const w of ctx.vault.write(bytes).warnings) ctx.notices.warn(w);
  } finally {
    lock.release();
  }
  return { entries: doc.entries.size, previous };
}

