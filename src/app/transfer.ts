// Moving keys in and out: export (recorded in the audit log first), import of several entries
// at once (all or nothing), and verified backup and restore of the encrypted file.
import * as fs from 'node:fs';
import { UsageError } from '../errors';
import { checkEntryName, Entry, refuseNul } from '../domain/entry';
import { ImportedEntry } from '../domain/export-format';
import { parseDoc } from '../domain/document';
import { decodeFile } from '../format/header';
import { openBody } from '../format/seal';
import { MAX_FILE_BYTES } from '../format/limits';
import { readCapped } from '../platform/secret-input';
import { acquireLock } from '../storage/lock';
import { lockPath } from '../storage/paths';
import { ensureVaultFolder, readVaultBytes, vaultExists, writeVaultBytes } from '../storage/vault-store';
import { writeFileAtomic } from '../storage/atomic-write';
import { recordRelease } from './audit-log';
import { buildEntry, findEntry, validateSecrets } from './entries';
import { AppContext, mutate, openSession } from './session';

/** The entries rendered by `render` (which may refuse a value), logged only once it has succeeded. */
export async function exportEntries(ctx: AppContext, names: string[], all: boolean, render: (entries: Entry[]) => string): Promise<{ entries: Entry[]; text: string }> {
  const s = await openSession(ctx);
  const entries = all ? [...s.doc.entries.values()] : names.map((n) => findEntry(s.doc, n));
  if (!entries.length) throw new UsageError('nothing to export');
  for (const e of entries) for (const [field, v] of Object.entries(e.secrets)) refuseNul(e.name, field, v);
  const text = render(entries);
  await recordRelease(ctx, s.dataKey, { cmd: 'export', entries: entries.map((e) => ({ entry: e.name, fields: Object.keys(e.secrets).sort() })) });
  return { entries, text };
}

/** Adds every entry, or none: all are checked before the vault is written. */
export async function importEntries(ctx: AppContext, items: ImportedEntry[]): Promise<string[]> {
  const built = items.map((it) => {
    checkEntryName(it.name);
    for (const w of validateSecrets(it.exchange, it.secrets)) ctx.notices.warn(`${it.name}: ${w}`);
    return buildEntry(it.name, it.exchange, it.meta, it.secrets, ctx.clock.now());
  });
  const names = built.map((e) => e.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new UsageError(`${dup} appears twice in the import`);
  await mutate(ctx, (s) => {
    const existing = names.filter((n) => s.doc.entries.has(n));
    if (existing.length) throw new UsageError(`already in the vault: ${existing.join(', ')}`, ['rename or remove those first; nothing was imported']);
    for (const e of built) s.doc.entries.set(e.name, e);
  });
  return names;
}

/** Copies the encrypted vault after checking that it opens, then checks the copy. */
export async function backupVault(ctx: AppContext, target: string, force: boolean): Promise<void> {
  const s = await openSession(ctx);
  const st = fs.lstatSync(target, { throwIfNoEntry: false });
  if (st && (!force || st.isSymbolicLink())) throw new UsageError(`${target} exists`, ['pick a new file name, or pass --force to replace it']);
  const bytes = readVaultBytes(ctx.vaultPath, ctx.store);
  for (const w of writeFileAtomic(target, bytes, { what: `the backup ${target}` }).warnings) ctx.notices.warn(w);
  const copy = decodeFile(new Uint8Array(fs.readFileSync(target)));
  parseDoc(openBody(copy, s.keys));
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
  ensureVaultFolder(ctx.vaultPath);
  const lock = await acquireLock(lockPath(ctx.vaultPath));
  let previous: boolean;
  try {
    previous = vaultExists(ctx.vaultPath);
    for (const w of writeVaultBytes(ctx.vaultPath, bytes, ctx.store).warnings) ctx.notices.warn(w);
  } finally {
    lock.release();
  }
  return { entries: doc.entries.size, previous };
}

