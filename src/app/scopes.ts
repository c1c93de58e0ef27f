// Scopes: groups of entries sealed under their own key, so a slot granted some scopes cannot
// open the others (format v2). Adding a scope re-grants it to every slot that opened all
// scopes before, each through its own type's key-encryption key (slots/registry.ts).
import { NotFoundError, UsageError } from '../errors';
import { randomBytes } from '../crypto/random';
import { NONCE_BYTES } from '../crypto/aead';
import { DEFAULT_SCOPE, Header, Slot } from '../format/header';
import { MAX_SCOPES } from '../format/limits';
import { addScope, wrapSlot } from '../format/seal';
import { KeyMeans, kindOf } from '../format/slots/registry';
import { ENTRY_NAME, printable } from '../domain/entry';
import type { AppContext } from './ports';
import { mutate, openSession, Session } from './session';

export interface ScopeInfo {
  id: number;
  name: string;
  /** Entries in the scope; null when this unlock has no key for it. */
  entries: number | null;
}

export function scopeIdByName(header: Header, name: string): number {
  const s = header.scopes.find((x) => x.name === name);
  if (!s) throw new NotFoundError(`no scope named "${printable(name)}"`, [`scopes: ${header.scopes.map((x) => x.name).join(', ')}`]);
  return s.id;
}

/**
 * Gives a slot the keys of `scopes` (replacing what it held), wrapped under its own
 * key-encryption key, which its type obtains through `means`. Returns false when the means
 * at hand cannot give that key (the slot is left as it was).
 */
export async function grantScopes(header: Header, slot: Slot, scopes: number[], keys: Map<number, Uint8Array>, means: KeyMeans): Promise<boolean> {
  const kek = await kindOf(slot).kek(slot, header.vaultId, means);
  if (!kek) return false;
  try {
    const next = wrapSlot(header, { ...slot, scopes: [...scopes], nonce: randomBytes(NONCE_BYTES), wrapped: new Uint8Array() }, kek, keys);
    header.slots = header.slots.map((x) => (x === slot ? next : x));
    return true;
  } finally {
    kek.fill(0);
  }
}

export async function addScopeToVault(ctx: AppContext, name: string): Promise<{ id: number; regranted: string[]; missed: string[] }> {
  if (!ENTRY_NAME.test(name)) throw new UsageError(`"${printable(name)}" is not a valid scope name`, ['use lower-case letters, digits, dot, dash or underscore (up to 64)']);
  // The passphrase re-wraps the passphrase slot with the new scope's key too.
  const pass = await ctx.unlocker.passphrase();
  const pinned = { ...ctx, unlocker: ctx.unlocker.withPassphrase(pass) };
  const { keys } = await openSession(pinned);
  const keychain = ctx.unlocker.keychain;
  const means: KeyMeans = { passphrase: async () => pass, ...(keychain && { keychainRead: (account: string) => keychain.read(account) }) };
  return mutate(pinned, async (s) => {
    if (s.header.scopes.some((x) => x.name === name)) throw new UsageError(`a scope named "${printable(name)}" already exists`);
    if (s.header.scopes.length >= MAX_SCOPES) throw new UsageError(`a vault holds at most ${MAX_SCOPES} scopes`);
    const before = s.header.scopes.map((x) => x.id);
    const id = addScope(s.header, s.keys, name);
    const regranted: string[] = [];
    const missed: string[] = [];
    for (const slot of [...s.header.slots]) {
      if (!before.every((b) => slot.scopes.includes(b))) continue;
      const kind = kindOf(slot).name;
      let ok = false;
      try {
        ok = await grantScopes(s.header, slot, [...slot.scopes, id], s.keys, means);
      } catch {
        ok = false;
      }
      (ok ? regranted : missed).push(kind);
    }
    if (!regranted.includes('passphrase')) throw new UsageError('the passphrase slot could not be given the new scope; nothing was changed');
    return { id, regranted, missed };
  }, keys);
}

export async function listScopes(ctx: AppContext): Promise<ScopeInfo[]> {
  const s = await openSession(ctx);
  return s.header.scopes.map((x) => ({ id: x.id, name: x.name, entries: s.v2 && s.keys.has(x.id) ? s.v2.index(x.id).count : x.id === DEFAULT_SCOPE && !s.v2 ? s.doc.entries.size : null }));
}

/** Moves an entry to another scope: its record is sealed again under that scope's key. */
export async function setEntryScope(ctx: AppContext, entry: string, scope: string): Promise<void> {
  await mutate(ctx, (s: Session) => {
    if (!s.doc.entries.has(entry)) throw new NotFoundError(`no entry named "${printable(entry)}"`, ['see the names with: vault list']);
    s.scopeOf.set(entry, scopeIdByName(s.header, scope));
  });
}
