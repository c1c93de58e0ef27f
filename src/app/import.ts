// vault import: several entries at once, all or nothing. From a .env (import-dotenv.ts) or a
// version 1 export: new entries built from their keys and metadata. From a version 2 export:
// the entries as they were (dates, schedules, hooks, earlier versions), with profiles and settings.
import { UsageError } from '../errors';
import { checkEntryName, Entry } from '../domain/entry';
import { VaultConfig } from '../domain/document';
import { ImportedEntry } from '../domain/export-format';
import { Profile } from '../domain/profile';
import { buildEntry, validateSecrets } from './entries';
import type { AppContext } from './ports';
import { addScopeToVault, scopeIdByName } from './scopes';
import { mutate, openSession, Session } from './session';

/** Adds every entry, or none: all are checked before the vault is written. */
export async function importEntries(ctx: AppContext, items: ImportedEntry[]): Promise<string[]> {
  const built = items.map((it) => {
    checkEntryName(it.name);
    for (const w of validateSecrets(it.exchange, it.secrets)) ctx.notices.warn(`${it.name}: ${w}`);
    return buildEntry(it.name, it.exchange, it.meta, it.secrets, ctx.clock.now());
  });
  await addAll(ctx, built, [], undefined);
  return built.map((e) => e.name);
}

/** A whole export (version 2): entries kept as they were, each in its scope (made here when
 *  this vault lacks it), then profiles and settings. */
export async function importWhole(ctx: AppContext, entries: Entry[], profiles: Profile[], config: VaultConfig | undefined, scopes: Map<string, string> = new Map()): Promise<string[]> {
  for (const e of entries) for (const w of validateSecrets(e.exchange, e.secrets)) ctx.notices.warn(`${e.name}: ${w}`);
  if (scopes.size) {
    // Making a scope takes the passphrase (its slot is given the new key): asked once, and the
    // import is refused before any scope is made when it would be refused anyway.
    const pass = await ctx.unlocker.passphrase();
    // A fresh unlocker after each new scope: one remembers the keys it unlocked, which lack it.
    const pinned = (): AppContext => ({ ...ctx, unlocker: ctx.unlocker.withPassphrase(pass) });
    const s = await openSession(pinned());
    refusals(s, entries, profiles);
    for (const name of new Set(scopes.values())) {
      if (s.header.scopes.some((x) => x.name === name)) continue;
      const r = await addScopeToVault(pinned(), name);
      if (r.missed.length) ctx.notices.warn(`scope ${name}: the ${r.missed.join(', ')} slot could not be given it (its key was not at hand)`);
    }
    ctx = pinned();
  }
  await addAll(ctx, entries, profiles, config, scopes);
  return entries.map((e) => e.name);
}

/** Why an import cannot go in whole, if it cannot. */
function refusals(s: Session, entries: Entry[], profiles: Profile[]): void {
  const names = entries.map((e) => e.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new UsageError(`${dup} appears twice in the import`);
  const existing = names.filter((n) => s.doc.entries.has(n));
  if (existing.length) throw new UsageError(`already in the vault: ${existing.join(', ')}`, ['rename or remove those first; nothing was imported']);
  const taken = profiles.filter((p) => s.doc.profiles.has(p.name)).map((p) => p.name);
  if (taken.length) throw new UsageError(`profiles already in the vault: ${taken.join(', ')}`, ['remove those first (vault profile rm); nothing was imported']);
  for (const p of profiles) {
    const missing = [...p.entries, ...[...Object.values(p.map), ...Object.values(p.files ?? {})].map((r) => r.entry)].find((n) => !names.includes(n) && !s.doc.entries.has(n));
    if (missing) throw new UsageError(`profile ${p.name} names ${missing}, which is neither in the import nor in the vault; nothing was imported`);
  }
}

async function addAll(ctx: AppContext, entries: Entry[], profiles: Profile[], config: VaultConfig | undefined, scopes: Map<string, string> = new Map()): Promise<void> {
  const names = entries.map((e) => e.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new UsageError(`${dup} appears twice in the import`);
  await mutate(ctx, (s) => {
    refusals(s, entries, profiles);
    for (const e of entries) s.doc.entries.set(e.name, e);
    for (const [name, scope] of scopes) s.scopeOf.set(name, scopeIdByName(s.header, scope));
    for (const p of profiles) s.doc.profiles.set(p.name, p);
    // A setting this vault has already is kept (said so); one it lacks is taken from the export.
    for (const [k, v] of Object.entries(config ?? {}) as [keyof VaultConfig, never][]) {
      // Recipient names name this vault's own key slots: never taken from elsewhere.
      if (k === 'recipients') continue;
      if (s.doc.config[k] === undefined) s.doc.config[k] = v;
      else if (s.doc.config[k] !== v) ctx.notices.warn(`setting ${k} differs in the export: this vault's own is kept`);
    }
  });
}
