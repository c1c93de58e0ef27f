// The everyday use cases on entries: add, edit, rename, remove, list, show, get.
import { NotFoundError, UsageError } from '../errors';
import { checkEntryName, checkEnvMapping, checkMeta, checkSecrets, Entry, parseIps, parsePermissions, printable, RotationPolicy, storedField } from '../domain/entry';
import { ExchangeId } from '../domain/exchanges';
import { Profile } from '../domain/profile';
import { parseRestartCommand, parseRevokeAfter, parseRevokeWhen } from '../domain/overlap';
import { Secret } from '../domain/secret';
import { isoDay, parseDateOrDuration, parseDurationDays } from '../domain/time';
import { VaultConfig, VaultDoc } from '../domain/document';
import { unknownNameHints } from '../domain/suggest';
import { recordRelease } from './audit-writer';
import type { AppContext } from './ports';
import { scopeIdByName } from './scopes';
import { mutate, openSession } from './session';

export interface EntryMeta {
  label?: string;
  account?: string;
  permissions?: string[];
  ips?: string[];
  /** A date (YYYY-MM-DD), a duration from now (90d), or "never" to clear. */
  expires?: string;
  notes?: string;
  env?: Record<string, string>;
  /** A duration (90d), or "never" to clear. */
  rotateEvery?: string;
  warnBefore?: string;
  /** A command, or "none" to clear. */
  rotateHook?: string;
  revokeHook?: string;
  /** A command run without a shell (words, or a JSON array), or "none" to clear. */
  restart?: string;
  /** A duration (24h), or "default" to clear. */
  revokeAfter?: string;
  /** idle, window, both, or "default" to clear. */
  revokeWhen?: string;
}

function parseDays(flag: string, text: string): number | undefined {
  if (text === 'never') return undefined;
  const d = parseDurationDays(text);
  if (d === null) throw new UsageError(`${flag} takes a duration such as 90d, 12w, 3m, or never`);
  return d;
}

/** Rotation settings from the flags, merged over what the entry has; undefined when none are left. */
function applyRotation(current: RotationPolicy | undefined, meta: EntryMeta): RotationPolicy | undefined {
  const r: RotationPolicy = { ...current };
  const set = <K extends keyof RotationPolicy>(k: K, v: RotationPolicy[K] | undefined) => (v === undefined ? delete r[k] : (r[k] = v));
  if (meta.rotateEvery !== undefined) set('everyDays', parseDays('--rotate-every', meta.rotateEvery));
  if (meta.warnBefore !== undefined) set('warnDays', parseDays('--warn-before', meta.warnBefore));
  for (const [k, v] of [['hook', meta.rotateHook], ['revokeHook', meta.revokeHook]] as const) {
    if (v === undefined) continue;
    checkMeta(k === 'hook' ? 'rotate hook' : 'revoke hook', v);
    set(k, v === 'none' || !v.trim() ? undefined : v);
  }
  if (meta.restart !== undefined) set('restart', meta.restart === 'none' ? undefined : parseRestartCommand(meta.restart));
  if (meta.revokeAfter !== undefined) set('revokeAfterMs', meta.revokeAfter === 'default' ? undefined : parseRevokeAfter(meta.revokeAfter));
  if (meta.revokeWhen !== undefined) set('revokeWhen', meta.revokeWhen === 'default' ? undefined : parseRevokeWhen(meta.revokeWhen));
  return Object.keys(r).length ? r : undefined;
}

export function findEntry(doc: VaultDoc, name: string): Entry {
  const e = doc.entries.get(name);
  if (!e) throw new NotFoundError(`no entry named "${printable(name)}"`, unknownNameHints(name, doc.entries.keys(), 'see the entries with: vault list'));
  return e;
}

function parseExpiry(text: string, now: Date): string | undefined {
  if (text === 'never') return undefined;
  const d = parseDateOrDuration(text, now);
  if (!d) throw new UsageError(`"${printable(text)}" is not a date (YYYY-MM-DD) or a duration (90d, 12w, 6m, 1y)`);
  return isoDay(d);
}

/** Applies metadata changes after checking all of them; nothing is changed on a bad value. */
function applyMeta(e: Entry, meta: EntryMeta, now: Date): void {
  checkMeta('label', meta.label);
  checkMeta('account', meta.account);
  checkMeta('notes', meta.notes);
  const permissions = meta.permissions && parsePermissions(e.exchange, meta.permissions);
  const ips = meta.ips && parseIps(meta.ips);
  const expires = meta.expires === undefined ? e.expires : parseExpiry(meta.expires, now);
  if (meta.env) checkEnvMapping(meta.env);
  // A mapping for a field the entry lacks (a typo, the wrong case) would be stored, exported and never used.
  for (const field of Object.keys(meta.env ?? {})) {
    if (!(field in e.secrets)) throw new NotFoundError(`entry "${e.name}" has no field "${printable(field)}"`, [`its fields: ${Object.keys(e.secrets).join(', ')}`]);
  }
  const rotation = applyRotation(e.rotation, meta);
  if (meta.label !== undefined) e.label = meta.label || undefined;
  if (meta.account !== undefined) e.account = meta.account || undefined;
  if (meta.notes !== undefined) e.notes = meta.notes || undefined;
  if (permissions) e.permissions = permissions;
  if (ips) e.ips = ips;
  if (meta.expires !== undefined) e.expires = expires;
  if (meta.env) e.env = { ...e.env, ...meta.env };
  e.rotation = rotation;
  for (const k of Object.keys(e) as (keyof Entry)[]) if (e[k] === undefined) delete e[k];
}

/** Throws on bad secrets; returns the warnings (field names only) for the caller to show. */
export function validateSecrets(exchange: ExchangeId, secrets: Record<string, Secret>): string[] {
  const { errors, warnings } = checkSecrets(exchange, secrets);
  if (errors.length) throw new UsageError(errors[0]!, errors.slice(1));
  return warnings;
}

/** A new entry with its metadata checked (secrets are checked by the caller). */
export function buildEntry(name: string, exchange: ExchangeId, meta: EntryMeta, secrets: Record<string, Secret>, now: Date): Entry {
  checkEntryName(name);
  const entry: Entry = {
    name, exchange, permissions: [], ips: [], created: now.toISOString(), updated: now.toISOString(), env: {}, secrets: { ...secrets },
  };
  applyMeta(entry, meta, now);
  return entry;
}

/** A warning when an expiry given now is already past: kept (a key may be recorded to be
 *  rotated), but it will not be handed to programs. */
function warnPastExpiry(ctx: AppContext, e: Entry, meta: EntryMeta): void {
  if (meta.expires !== undefined && e.expires && e.expires < isoDay(ctx.clock.now())) {
    ctx.notices.warn(`the expiry ${e.expires} is in the past: ${e.name} counts as expired, and exec and inject refuse it until it is rotated or the date corrected`);
  }
}

/** `secretsChecked`: the caller has run validateSecrets and shown its warnings already. */
export async function addEntry(ctx: AppContext, name: string, exchange: ExchangeId, meta: EntryMeta, secrets: Record<string, Secret>, opts: { secretsChecked?: boolean; scope?: string } = {}): Promise<Entry> {
  const entry = buildEntry(name, exchange, meta, secrets, ctx.clock.now());
  if (!opts.secretsChecked) for (const w of validateSecrets(exchange, secrets)) ctx.notices.warn(w);
  warnPastExpiry(ctx, entry, meta);
  return mutate(ctx, (s) => {
    if (s.doc.entries.has(name)) throw new UsageError(`an entry named "${name}" already exists`, ['change it with: vault edit, or pick another name']);
    s.doc.entries.set(name, entry);
    if (opts.scope) s.scopeOf.set(name, scopeIdByName(s.header, opts.scope));
    return entry;
  });
}

export async function editEntry(ctx: AppContext, name: string, meta: EntryMeta): Promise<Entry> {
  return mutate(ctx, (s) => {
    const e = findEntry(s.doc, name);
    const now = ctx.clock.now();
    applyMeta(e, meta, now);
    warnPastExpiry(ctx, e, meta);
    e.updated = now.toISOString();
    return e;
  });
}

export async function renameEntry(ctx: AppContext, from: string, to: string): Promise<void> {
  checkEntryName(to);
  await mutate(ctx, (s) => {
    const e = findEntry(s.doc, from);
    if (s.doc.entries.has(to)) throw new UsageError(`an entry named "${to}" already exists`);
    s.doc.entries.delete(from);
    e.name = to;
    e.updated = ctx.clock.now().toISOString();
    s.doc.entries.set(to, e);
    s.renamed.set(to, s.renamed.get(from) ?? from);
    // Profiles name entries: a rename that left them on the old name would break the bot's next start.
    for (const p of s.doc.profiles.values()) renameInProfile(p, from, to);
  });
}

function profileNames(p: Profile, entry: string): boolean {
  return p.entries.includes(entry) || [...Object.values(p.map), ...Object.values(p.files ?? {})].some((r) => r.entry === entry);
}

function renameInProfile(p: Profile, from: string, to: string): void {
  p.entries = p.entries.map((n) => (n === from ? to : n));
  for (const refs of [p.map, p.files ?? {}]) for (const ref of Object.values(refs)) if (ref.entry === from) ref.entry = to;
}

export async function removeEntry(ctx: AppContext, name: string): Promise<void> {
  await mutate(ctx, (s) => {
    // The index alone says the entry is there: a damaged record can still be removed.
    if (!s.doc.entries.has(name)) findEntry(s.doc, name);
    s.doc.entries.delete(name);
    const users = [...s.doc.profiles.values()].filter((p) => profileNames(p, name)).map((p) => p.name);
    if (users.length) ctx.notices.warn(`profile${users.length > 1 ? 's' : ''} ${users.join(', ')} still name${users.length > 1 ? '' : 's'} "${name}": fix with vault profile set, or remove with vault profile rm`);
  });
}

export async function listEntries(ctx: AppContext): Promise<{ entries: Entry[]; config: VaultConfig }> {
  const s = await openSession(ctx);
  return { entries: [...s.doc.entries.values()].sort((a, b) => (a.name < b.name ? -1 : 1)), config: s.doc.config };
}

export async function getEntry(ctx: AppContext, name: string): Promise<Entry> {
  return findEntry((await openSession(ctx)).doc, name);
}

/** One value for `vault get`, recorded in the audit log before it is returned. */
export async function revealField(ctx: AppContext, name: string, field: string): Promise<string> {
  const s = await openSession(ctx);
  const e = findEntry(s.doc, name);
  const value = fieldOf(e, field);
  await recordRelease(ctx, s.dataKey, { cmd: 'get', entries: [{ entry: name, fields: [storedField(e, field)!] }] });
  return value.reveal();
}

export function fieldOf(e: Entry, field: string): Secret {
  const stored = storedField(e, field);
  const v = stored === undefined ? undefined : e.secrets[stored];
  if (!v) throw new NotFoundError(`entry "${e.name}" has no field "${printable(field)}"`, [`its fields: ${Object.keys(e.secrets).join(', ')}`]);
  return v;
}
