// The vault body: JSON with sorted keys and no spaces, except that each entry is on a line
// of its own (see docs/FORMAT.md), so the same content always gives the same plaintext and
// an entry can be found without decoding the others. Reading never echoes the text it read.
import { CorruptError } from '../errors';
import { canonicalJson } from './canonical-json';
import { ENTRY_NAME, FIELD_NAME } from './entry';
import { entryFromPlain, isCount, isDurationMs, isRevokeWhen, lineName, optString } from './entry-codec';
import { bad, isString, isStringArray } from './plain-shape';
import type { RevokeWhen } from './overlap';
import { EntryStore } from './entry-store';
import { FieldRef, Profile, PROFILE_NAME } from './profile';

export const DOC_VERSION = 1;

export interface VaultDoc {
  entries: EntryStore;
  profiles: Map<string, Profile>;
  /** The last authenticated audit record when the vault was written. */
  auditHead?: { seq: number; mac: string; host?: string };
  config: VaultConfig;
  /** Every write of the vault adds one (a merge: the larger side's plus one), so a host can tell
   *  an older file from a newer one: vault sync refuses to go back (a rollback through the
   *  remote). Absent in vaults written before it: 0. */
  writes?: number;
}

/** Vault-wide settings, inside the encrypted body so nobody can change them without the key. */
export interface VaultConfig {
  /** Run (through sh -c) with an event as JSON on stdin when something needs attention. */
  alertCommand?: string;
  /** Defaults for entries without their own rotation policy. */
  rotateEveryDays?: number;
  warnBeforeDays?: number;
  /** How many earlier versions each entry keeps (default 10). */
  keepVersions?: number;
  /** Defaults for entries without their own: how long an old key stays valid after a
   *  rotation (ms), and what ends that early (domain/overlap.ts). */
  revokeAfterMs?: number;
  revokeWhen?: RevokeWhen;
  /** `vault recipient add`: each X25519 recipient's name (a label, authenticated here under
   *  the default scope's key) -> its age1... recipient, matching a slot of the header. */
  recipients?: Record<string, string>;
}

export function emptyDoc(): VaultDoc {
  return { entries: new EntryStore(), profiles: new Map(), config: {} };
}

const ENTRIES_EMPTY = '"entries":[]';
const ENTRIES_OPEN = '"entries":[\n';
const ENTRIES_CLOSE = '\n]';

export function serializeDoc(doc: VaultDoc): Uint8Array {
  // Written only when there are some, so a vault without profiles keeps its earlier shape.
  const profiles = doc.profiles.size ? [...doc.profiles.values()].sort((a, b) => (a.name < b.name ? -1 : 1)) : undefined;
  const config = Object.keys(doc.config).length ? doc.config : undefined;
  const skeleton = canonicalJson({ v: DOC_VERSION, entries: [], profiles, audit: doc.auditHead, config, writes: doc.writes });
  const lines = doc.entries.lines();
  if (!lines.length) return new TextEncoder().encode(skeleton);
  // The entries go in their place in the sorted keys, one per line. Only audit and config
  // come before them, and neither can hold this text unescaped.
  const at = skeleton.indexOf(ENTRIES_EMPTY) + ENTRIES_EMPTY.length - 1;
  return new TextEncoder().encode(`${skeleton.slice(0, at)}\n${lines.join(',\n')}${ENTRIES_CLOSE}${skeleton.slice(at + 1)}`);
}

const isRef = (x: unknown): x is FieldRef =>
  typeof x === 'object' && x !== null && isString((x as FieldRef).entry) && ENTRY_NAME.test((x as FieldRef).entry) && isString((x as FieldRef).field) && FIELD_NAME.test((x as FieldRef).field);

export function profileFromPlain(x: unknown): Profile {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) throw bad();
  const o = x as Record<string, unknown>;
  if (!isString(o.name) || !PROFILE_NAME.test(o.name) || !isStringArray(o.entries) || !isStringArray(o.keep)) throw bad();
  if (typeof o.pristine !== 'boolean' || typeof o.allowWithdraw !== 'boolean') throw bad();
  if (typeof o.map !== 'object' || o.map === null || Array.isArray(o.map) || !Object.values(o.map).every(isRef)) throw bad();
  const map: Record<string, FieldRef> = {};
  for (const [k, r] of Object.entries(o.map as Record<string, FieldRef>)) map[k] = { entry: r.entry, field: r.field };
  const p: Profile = { name: o.name, entries: o.entries, map, pristine: o.pristine, allowWithdraw: o.allowWithdraw, keep: o.keep };
  if (o.files !== undefined) {
    if (typeof o.files !== 'object' || o.files === null || Array.isArray(o.files) || !Object.values(o.files).every(isRef)) throw bad();
    p.files = {};
    for (const [k, r] of Object.entries(o.files as Record<string, FieldRef>)) p.files[k] = { entry: r.entry, field: r.field };
  }
  if (o.restart !== undefined) {
    if (!isStringArray(o.restart) || !o.restart.length) throw bad();
    p.restart = [...o.restart];
  }
  return p;
}

export function configFromPlain(x: unknown): VaultConfig {
  const c = x as Record<string, unknown>;
  if (typeof c !== 'object' || c === null || Array.isArray(c) || !optString(c.alertCommand)) throw bad();
  const config: VaultConfig = {};
  if (c.alertCommand !== undefined) config.alertCommand = c.alertCommand;
  for (const k of ['rotateEveryDays', 'warnBeforeDays', 'keepVersions'] as const) {
    if (c[k] === undefined) continue;
    if (!isCount(c[k])) throw bad();
    config[k] = c[k];
  }
  if (c.revokeAfterMs !== undefined) {
    if (!isDurationMs(c.revokeAfterMs)) throw bad();
    config.revokeAfterMs = c.revokeAfterMs;
  }
  if (c.revokeWhen !== undefined) {
    if (!isRevokeWhen(c.revokeWhen)) throw bad();
    config.revokeWhen = c.revokeWhen;
  }
  if (c.recipients !== undefined) {
    const r = c.recipients as Record<string, unknown>;
    if (typeof r !== 'object' || r === null || Array.isArray(r) || !Object.entries(r).every(([k, v]) => ENTRY_NAME.test(k) && isString(v))) throw bad();
    config.recipients = { ...(r as Record<string, string>) };
  }
  return config;
}

/** Splits the line layout into the document without its entries, and the entry lines. */
function splitLines(text: string): { skeleton: string; lines: string[] } | null {
  const open = text.indexOf(ENTRIES_OPEN);
  if (open === -1) return null;
  // JSON strings cannot hold a raw line break: every newline in the body separates entries.
  const close = text.lastIndexOf(ENTRIES_CLOSE);
  if (close < open) throw bad();
  return { skeleton: `${text.slice(0, open)}${ENTRIES_EMPTY}${text.slice(close + ENTRIES_CLOSE.length)}`, lines: text.slice(open + ENTRIES_OPEN.length, close).split(',\n') };
}

export function parseDoc(bytes: Uint8Array): VaultDoc {
  let raw: unknown;
  let lines: string[] | null = null;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    const split = splitLines(text);
    lines = split?.lines ?? null;
    raw = JSON.parse(split?.skeleton ?? text);
  } catch {
    // JSON.parse quotes its input in its message: never pass it on.
    throw bad();
  }
  if (typeof raw !== 'object' || raw === null) throw bad();
  const o = raw as Record<string, unknown>;
  if (o.v !== DOC_VERSION) throw new CorruptError(`unsupported vault body version`);
  if (!Array.isArray(o.entries)) throw bad();
  const doc = emptyDoc();
  if (lines) {
    if (o.entries.length) throw bad();
    for (const line of lines) {
      const name = lineName(line);
      if (name === null || doc.entries.has(name)) throw bad();
      doc.entries.addLine(name, line);
    }
  }
  // Bodies written before the line layout: every entry decoded now.
  for (const item of o.entries) {
    const e = entryFromPlain(item);
    if (doc.entries.has(e.name)) throw bad();
    doc.entries.set(e.name, e);
  }
  if (o.config !== undefined) doc.config = configFromPlain(o.config);
  if (o.audit !== undefined) {
    const a = o.audit as { seq?: unknown; mac?: unknown; host?: unknown };
    if (typeof a !== 'object' || a === null || typeof a.seq !== 'number' || typeof a.mac !== 'string' || !(a.host === undefined || typeof a.host === 'string')) throw bad();
    doc.auditHead = { seq: a.seq, mac: a.mac, ...(a.host !== undefined && { host: a.host }) };
  }
  if (o.writes !== undefined) {
    if (!Number.isSafeInteger(o.writes) || (o.writes as number) < 0) throw bad();
    doc.writes = o.writes as number;
  }
  if (o.profiles !== undefined) {
    if (!Array.isArray(o.profiles)) throw bad();
    for (const item of o.profiles) {
      const p = profileFromPlain(item);
      if (doc.profiles.has(p.name)) throw bad();
      doc.profiles.set(p.name, p);
    }
  }
  return doc;
}
