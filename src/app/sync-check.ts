// vault sync: the remote's file is checked before it replaces (or is merged into) this host's:
// its size, its header, every part this host's keys open (indexes, records' commitments, the
// meta record), and that it is not older than what this host already had (a rollback pushed
// as a new commit). Anything wrong is one line naming the remote's commit, exit 14, and
// nothing here changes.
import { parseDoc } from '../domain/document';
import { AuthError, IdentityNotGrantedError, NeedTerminalError, SyncError, VaultError } from '../errors';
import { decodeFile, decodeHead, DEFAULT_SCOPE, HEAD_BYTES, ParsedFile } from '../format/header';
import { FORMAT_V1, MAX_FILE_BYTES } from '../format/limits';
import { openV2, VaultKeys } from '../format/seal';
import { OpenedV2 } from '../format/v2';
import type { AppContext } from './ports';

export const MOVE_ASIDE = 'if the remote was restored on purpose: move vault.exv aside (keep it) and run vault sync to take the remote\'s';

/** What a host can read of one vault file: its parts opened with the keys it holds. */
export interface Readable {
  file: OpenedV2;
  keys: VaultKeys;
  /** The meta record's write counter (null: this host does not hold the default scope). */
  writes: number | null;
}

/** The keys at hand that open their scope's index in `parsed`; `missed`: some key at hand
 *  no longer does (that scope was re-keyed in this file). */
function keysThatOpen(parsed: ParsedFile, known: VaultKeys): { keys: VaultKeys; missed: boolean } {
  const keys = new VaultKeys();
  let missed = false;
  for (const s of parsed.header.scopes) {
    const key = known.get(s.id);
    if (!key) continue;
    try {
      openV2(parsed, new Map([[s.id, key]])).index(s.id);
      keys.set(s.id, key);
    } catch (err) {
      if (!(err instanceof AuthError)) throw err;
      missed = true;
    }
  }
  return { keys, missed };
}

/** The scope keys of `parsed` this host holds: those at hand when they open its indexes, else
 *  an unlock of this file's own slots (a scope re-keyed elsewhere). */
async function keysOf(ctx: AppContext, parsed: ParsedFile, known: VaultKeys): Promise<VaultKeys> {
  const { keys, missed } = keysThatOpen(parsed, known);
  if (!missed && keys.size) return keys;
  return ctx.unlocker.withoutCache().dataKey(parsed);
}

/** Opens every part of `file` that `keys` open: indexes, each record against its index's
 *  commitment, and the meta record (its document parsed). */
export function readAll(parsed: ParsedFile, keys: VaultKeys): Readable {
  const file = openV2(parsed, keys);
  for (const scope of file.openScopes()) for (const row of file.index(scope).rows()) file.sealed(row);
  const writes = keys.has(DEFAULT_SCOPE) ? parseDoc(file.meta()).writes ?? 0 : null;
  return { file, keys, writes };
}

const refusal = (commit: string, problem: string, hints: string[] = ['whoever can push to the remote may have damaged it: check its history (git log in the remote repository)', MOVE_ASIDE]) =>
  new SyncError(`the remote's vault (commit ${commit.slice(0, 12)}) ${problem}: nothing was changed`, hints);

/** The remote's file parsed, before anything is read with a key: its size and its header. */
export function parseRemote(bytes: Uint8Array, commit: string): ParsedFile {
  if (bytes.length > MAX_FILE_BYTES) throw refusal(commit, `is too large (${bytes.length} bytes; a vault is at most ${MAX_FILE_BYTES})`);
  try {
    if (decodeHead(bytes.subarray(0, HEAD_BYTES)).header.version === FORMAT_V1) throw refusal(commit, 'is in format 1', ['run vault upgrade where it was pushed from, then sync again']);
    return decodeFile(bytes);
  } catch (err) {
    if (err instanceof SyncError) throw err;
    if (err instanceof VaultError || err instanceof RangeError) throw refusal(commit, 'is not a vault file this program can read');
    throw err;
  }
}

/** The remote's file as this host can read it, or exit 14 naming the commit. */
export async function checkRemoteVault(ctx: AppContext, bytes: Uint8Array, commit: string, known: VaultKeys | undefined): Promise<Readable | null> {
  const refuse = (problem: string, hints?: string[]) => refusal(commit, problem, hints);
  const parsed = parseRemote(bytes, commit);
  if (!known) return null;
  let keys: VaultKeys;
  try {
    keys = await keysOf(ctx, parsed, known);
  } catch (err) {
    // No slot of the remote's file opens with what this host has (and nothing to prompt with).
    if (err instanceof AuthError || err instanceof IdentityNotGrantedError || err instanceof NeedTerminalError) throw refuse("does not open with this host's keys (its access was removed, or the file was changed)", ['ask the vault\'s admin whether this host is still a recipient: vault recipient list']);
    throw err;
  }
  try {
    return readAll(parsed, keys);
  } catch (err) {
    if (err instanceof VaultError || err instanceof RangeError) throw refuse('fails its integrity check (a record, an index or the meta record does not match)');
    throw err;
  }
}

/** This host's own file (or the last one it synced), opened with its keys. */
export function readOwn(bytes: Uint8Array, keys: VaultKeys): Readable {
  const parsed = decodeFile(bytes);
  const held = keysThatOpen(parsed, keys).keys;
  const file = openV2(parsed, held);
  return { file, keys: held, writes: held.has(DEFAULT_SCOPE) ? parseDoc(file.meta()).writes ?? 0 : null };
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/**
 * Refuses a remote file older than `mine` (this host's file, or the last one it synced): by the
 * write counter when both meta records are readable; else (a host granted some scopes) by
 * any entry whose generation went down. What a scoped host cannot see: an older state that
 * only removes entries (documented in docs/SYNC.md); it never writes, so it never spreads it.
 */
export function refuseRollback(remote: Readable, mine: Readable, commit: string): void {
  const refuse = (what: string) =>
    new SyncError(`the remote holds an older vault than this host's (${what}), refused as a rollback (commit ${commit.slice(0, 12)}): nothing was changed`, [MOVE_ASIDE]);
  if (remote.writes !== null && mine.writes !== null) {
    if (remote.writes < mine.writes) throw refuse(`write ${remote.writes} < ${mine.writes}`);
    return;
  }
  const theirs = new Map<string, number>();
  for (const scope of remote.file.openScopes()) for (const row of remote.file.index(scope).rows()) theirs.set(hex(row.id), row.gen);
  for (const scope of mine.file.openScopes()) {
    for (const row of mine.file.index(scope).rows()) {
      const gen = theirs.get(hex(row.id));
      if (gen !== undefined && gen < row.gen) throw refuse(`entry ${row.name} at generation ${gen} < ${row.gen}`);
    }
  }
}
