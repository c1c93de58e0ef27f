// Opening a vault and writing it back. Writers hold the lock across read-modify-write, so
// two commands never lose each other's changes. Format v1 is read whole; format v2 is read
// part by part (header, the scope indexes, then only the records used) and written back with
// the records of untouched entries copied as they were.
import { checkLayout, decodeFile, decodeHead, DEFAULT_SCOPE, FileHead, HEAD_BYTES, Header, ParsedFile } from '../format/header';
import { FORMAT_V1, MAX_FILE_BYTES } from '../format/limits';
import { openBody, openV2, VaultKeys } from '../format/seal';
import { buildFileParts, buildUpdate, Carried, ENTRY_ID_BYTES, EntryToWrite, headerIdentity, OpenedV2, Reader, Update } from '../format/v2';
import { randomBytes } from '../crypto/random';
import { emptyDoc, parseDoc, serializeDoc, VaultDoc } from '../domain/document';
import { AuthError, UpgradeNeededError, UsageError } from '../errors';
import { alert } from './alerts';
import { auditHead, chainPending, recordFailedUnlock } from './audit-writer';
import type { AppContext, FileIdentity } from './ports';

export interface Session {
  header: Header;
  /** The default scope's key (v1: the data key): the root of the audit key. */
  dataKey: Uint8Array;
  /** Every scope key the unlocking slot gave. */
  keys: VaultKeys;
  doc: VaultDoc;
  /** v2: the file as read, whose untouched records a write copies. */
  v2?: OpenedV2;
  /** v2: entries to place in a scope other than where they are (or the default, when new). */
  scopeOf: Map<string, number>;
  /** v2: entries renamed in this session, new name -> name in the file: the entry keeps its
   *  id and scope (what a later merge of two machines' changes goes by). */
  renamed: Map<string, string>;
  /** v2: scopes given a new key in this session (recipient rm): none of their records is
   *  copied, every one is sealed again under the new key in `keys`. */
  rekeyed?: Set<number>;
  /** v2 read through a positioned reader: which file it was (a write may append only to it). */
  identity?: FileIdentity;
}

const te = new TextEncoder();
const td = new TextDecoder();

export const UPGRADE_HINTS = ['convert it once with: vault upgrade (it keeps a verified copy of the old file as vault.exv.v1.bak)'];

function refuseV1(header: Header): void {
  if (header.version === FORMAT_V1) throw new UpgradeNeededError('this vault is in format 1, which this exvault reads but no longer writes', UPGRADE_HINTS);
}

/** Unlocks the keys of a file's header; a failed unlock goes into the audit log. */
async function unlockHead(ctx: AppContext, head: FileHead): Promise<VaultKeys> {
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

/** The document of a parsed file: v1 opened whole; v2 its meta record, entries left sealed.
 *  A v2 file may come as its head and a positioned reader instead of its bytes. */
export function sessionOf(parsed: ParsedFile | (FileHead & { read: Reader; identity?: FileIdentity }), keys: VaultKeys): Session {
  if (parsed.header.version === FORMAT_V1) {
    return { header: parsed.header, dataKey: keys.primary, keys, doc: parseDoc(openBody(parsed as ParsedFile, keys)), scopeOf: new Map(), renamed: new Map() };
  }
  const v2 = 'read' in parsed ? openV2(parsed, keys, parsed.read) : openV2(parsed, keys);
  const doc = keys.has(DEFAULT_SCOPE) ? parseDoc(v2.meta()) : emptyDoc();
  doc.entries.attach({
    has: (name) => v2.find(name) !== null,
    line: (name) => {
      const at = v2.find(name)!;
      return td.decode(v2.line(at.scope, at.row));
    },
    names: () => v2.openScopes().flatMap((s) => v2.index(s).names()),
  });
  return { header: parsed.header, dataKey: keys.auditRoot, keys, doc, v2, scopeOf: new Map(), renamed: new Map(), ...('identity' in parsed && parsed.identity && { identity: parsed.identity }) };
}

/** The file to open: format 2 by positioned reads (the header, then only the parts used). */
function readForOpen(ctx: AppContext): ParsedFile | (FileHead & { read: Reader; identity?: FileIdentity }) {
  const reader = ctx.vault.open();
  const head = decodeHead(reader.read(0, Math.min(HEAD_BYTES, reader.size)));
  if (head.header.version === FORMAT_V1) return decodeFile(reader.read(0, reader.size));
  const read = (off: number, len: number) => reader.read(off, len);
  checkLayout(head.header, reader.size, read);
  return { header: head.header, read, ...(reader.file && { identity: reader.file }) };
}

export async function openSession(ctx: AppContext): Promise<Session> {
  const parsed = readForOpen(ctx);
  const keys = await unlockHead(ctx, parsed);
  const s = sessionOf(parsed, keys);
  const closed = closedScopes(s.header, keys);
  warnTorn(ctx, s.header);
  // Said every time: a list or check that cannot see every scope must not look complete.
  if (closed.length) ctx.notices.warn(`this unlock opens ${s.header.scopes.length - closed.length} of ${s.header.scopes.length} scopes: entries in ${closed.join(', ')} are not seen (use a way of unlocking that is granted them, e.g. the passphrase)`);
  await reportFailedUnlocks(ctx, s.dataKey, () => s);
  return s;
}

/** An update a crash cut short is ignored (the vault reads as before it); said, because a
 *  cut-off last update reads the same way (docs/FORMAT.md "Writing"). */
function warnTorn(ctx: AppContext, header: Header): void {
  const torn = header.state?.torn ?? 0;
  // While a writer holds the lock, the bytes may be its update, not yet committed.
  if (torn && !ctx.vault.writerActive?.()) ctx.notices.warn(`the vault file ends with ${torn} bytes of a change that was never finished (a crash, or a full disk): the vault reads as it was before that change, and the next change removes them`);
}

/** Writers re-seal indexes and the meta record, which takes every scope's key. */
function requireEveryScope(header: Header, keys: VaultKeys): void {
  const closed = closedScopes(header, keys);
  if (closed.length) {
    throw new UsageError(`this unlock opens some scopes only (not ${closed.join(', ')}): changing the vault needs every scope's key`, ['unlock with the passphrase (--passphrase-file, or on a terminal), which holds every scope']);
  }
}

/** Names of the scopes whose key this unlock does not hold (format 2). */
function closedScopes(header: Header, keys: VaultKeys): string[] {
  return header.version === FORMAT_V1 ? [] : header.scopes.filter((x) => !keys.has(x.id)).map((x) => x.name);
}

/**
 * The keys alone, for writers (and for commands that unlock before asking for anything):
 * unlocking needs only the header, and writers read the whole file under the lock anyway, so
 * reading and decoding the body here too would only double the cost on a large vault. The
 * unlocker keeps the keys, so a later open asks for nothing. A vault this exvault does not
 * write is refused here, before anything is asked.
 */
export async function unlockForWrite(ctx: AppContext): Promise<VaultKeys> {
  const head = decodeHead(ctx.vault.readStart(HEAD_BYTES));
  refuseV1(head.header);
  const keys = await unlockHead(ctx, head);
  requireEveryScope(head.header, keys);
  await reportFailedUnlocks(ctx, keys.primary, () => reread(ctx, keys));
  return keys;
}

/** Re-reads the file with keys already in hand: no key derivation, no prompt. Format 2 by
 *  positioned reads: a write of one entry reads what it changes, the indexes and the meta. */
function reread(ctx: AppContext, keys: VaultKeys): Session {
  return sessionOf(readForOpen(ctx), keys);
}

/** What to write: the rows of untouched entries kept (records copied, rows carried into the
 *  new index), changed or new ones sealed anew. Looks only at the entries read into memory
 *  and the scope moves, never at the 50,000 others one by one. */
function entriesToWrite(s: Session): { fresh: EntryToWrite[]; kept: Carried[]; removed: boolean } {
  const fresh: EntryToWrite[] = [];
  const { entries } = s.doc;
  const v2 = s.v2;
  const rekeyed = s.rekeyed ?? new Set<number>();
  const kept: Carried[] = v2 ? v2.openScopes().filter((scope) => !rekeyed.has(scope)).map((scope) => ({ scope, index: v2.index(scope), drop: new Set<number>() })) : [];
  const dropRow = (name: string): void => {
    const at = v2?.find(name);
    if (at) kept.find((c) => c.scope === at.scope)?.drop.add(at.row.at!);
  };
  const inMemory = new Set(entries.inMemory());
  for (const scope of rekeyed) for (const name of v2?.index(scope).names() ?? []) if (entries.has(name)) inMemory.add(name);
  for (const [name, scope] of s.scopeOf) if (entries.untouched(name) && scope !== v2?.find(name)?.scope) inMemory.add(name);
  // Removed (and not set again under the same name).
  let removed = false;
  for (const name of entries.removedNames()) {
    if (!inMemory.has(name)) {
      dropRow(name);
      removed = true;
    }
  }
  for (const name of inMemory) {
    const line = te.encode(entries.lineOf(name));
    const from = s.renamed.get(name);
    const was = v2?.find(name) ?? (from === undefined ? undefined : v2?.find(from));
    const scope = s.scopeOf.get(name) ?? was?.scope ?? DEFAULT_SCOPE;
    // Read but unchanged, same scope: its row and record stay as they are.
    if (was && was.scope === scope && !rekeyed.has(scope) && Buffer.from(v2!.line(was.scope, was.row)).equals(Buffer.from(line))) continue;
    dropRow(name);
    // Same id for the entry's life; a new generation each time its record is sealed again.
    fresh.push({ name, scope, id: was?.row.id ?? randomBytes(ENTRY_ID_BYTES), gen: was ? was.row.gen + 1 : 1, line });
  }
  return { fresh, kept, removed };
}

/** The file bytes of a session, as pieces: the whole v2 file, re-sealing only what changed. */
export function sealSession(s: Session): Uint8Array[] {
  refuseV1(s.header);
  const meta = serializeDoc({ ...s.doc, entries: emptyDoc().entries });
  const { fresh, kept } = entriesToWrite(s);
  return buildFileParts(s.header, s.keys, meta, fresh, randomBytes, s.v2 && { scopes: kept, read: (off, len) => s.v2!.raw({ off, len }) });
}

/**
 * The change as an update appended to the file (docs/FORMAT.md "Writing"), or null when the
 * file must be written whole: the header changed (slots, scopes), an entry was removed (its
 * record must leave the file, not stay in it as dead bytes), the file is not one this
 * session can append to (not read by position, or it has a second name such as a backup left
 * as a hard link), or the file would grow past twice the size of its last whole write (what
 * updates append is mostly indexes that the next update makes dead). Writing it whole
 * compacts it, checks every record it carries against its index, and rotates the backup.
 * A file written before writer tags is also written whole: that write tags it, and a tagged
 * file's updates must be tagged (docs/FORMAT.md "Writer tag").
 */
function sealUpdate(ctx: AppContext, s: Session): Update | null {
  const v2 = s.v2;
  const { end, base } = s.header.state ?? {};
  if (!v2 || base === undefined || !ctx.vault.append || !s.identity || s.identity.links !== 1 || end === undefined) return null;
  if (!v2.header.toc.tag || !Buffer.from(headerIdentity(s.header)).equals(Buffer.from(headerIdentity(v2.header)))) return null;
  const meta = serializeDoc({ ...s.doc, entries: emptyDoc().entries });
  const { fresh, kept, removed } = entriesToWrite(s);
  // A removed entry's record must leave the file, not stay in it as dead bytes.
  if (removed) return null;
  const u = buildUpdate(s.header, s.keys, meta, fresh, randomBytes, kept, end);
  return u.end > 2 * base || u.end > MAX_FILE_BYTES ? null : u;
}

export async function saveSession(ctx: AppContext, s: Session): Promise<void> {
  const head = auditHead(ctx);
  if (head) s.doc.auditHead = head;
  // Counted before sealing: both a whole rewrite and an appended update carry the meta record.
  s.doc.writes = (s.doc.writes ?? 0) + 1;
  refuseV1(s.header);
  const u = sealUpdate(ctx, s);
  // After the commit the change is made: what could not be finished (syncing the folder) is a warning.
  const done = u ? ctx.vault.append!(s.identity!, s.header.state!.end, u.body, u.trailer) : ctx.vault.write(sealSession(s));
  // The file is no longer the one read: a second save of this session writes it whole.
  delete s.identity;
  for (const w of done.warnings) ctx.notices.warn(w);
}

/**
 * Runs fn on a freshly read vault under the writer lock, then saves what fn changed.
 * Unlocking (the slow KDF, or a person typing) happens before the lock is taken; the keys
 * never change for a vault, so the re-read under the lock needs no second unlock.
 */
export async function mutate<T>(ctx: AppContext, fn: (s: Session) => T | Promise<T>, unlockedKey?: VaultKeys): Promise<T> {
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
export async function underWriteLock<T>(ctx: AppContext, fn: (s: Session) => T | Promise<T>, unlockedKey?: VaultKeys): Promise<T> {
  const keys = unlockedKey ?? (await unlockForWrite(ctx));
  const lock = await ctx.vault.lock('write');
  try {
    const s = reread(ctx, keys);
    refuseV1(s.header);
    requireEveryScope(s.header, keys);
    return await fn(s);
  } finally {
    lock.release();
  }
}
