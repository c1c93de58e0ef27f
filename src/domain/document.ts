// The vault body: every entry as canonical JSON (sorted keys, no spaces), so the same
// content always gives the same plaintext. Reading it never echoes the text it read.
import { CorruptError } from '../errors';
import { canonicalJson } from './canonical-json';
import { Entry, ENTRY_NAME, FIELD_NAME, RotationPolicy, Version } from './entry';
import { isExchangeId } from './exchanges';
import { FieldRef, Profile, PROFILE_NAME } from './profile';
import { Secret } from './secret';

export const DOC_VERSION = 1;

export interface VaultDoc {
  entries: Map<string, Entry>;
  profiles: Map<string, Profile>;
  /** The last authenticated audit record when the vault was written. */
  auditHead?: { seq: number; mac: string };
  config: VaultConfig;
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
}

export function emptyDoc(): VaultDoc {
  return { entries: new Map(), profiles: new Map(), config: {} };
}

/** A plain copy with keys inserted in sorted order, so canonicalJson has nothing to reorder. */
function inKeyOrder<T>(o: Record<string, T>, value: (v: T) => unknown = (v) => v): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o).sort()) if (o[k] !== undefined) out[k] = value(o[k]);
  return out;
}

const secretsToPlain = (secrets: Record<string, Secret>) => inKeyOrder(secrets, (v) => v.reveal());

function entryToPlain(e: Entry): Record<string, unknown> {
  const history = e.history?.length ? e.history.map((v) => inKeyOrder({ ...v, secrets: secretsToPlain(v.secrets) })) : undefined;
  return inKeyOrder({ ...e, secrets: secretsToPlain(e.secrets), env: inKeyOrder(e.env), history } as Record<string, unknown>);
}

export function serializeDoc(doc: VaultDoc): Uint8Array {
  const entries = [...doc.entries.values()].sort((a, b) => (a.name < b.name ? -1 : 1)).map(entryToPlain);
  // Written only when there are some, so a vault without profiles keeps its earlier shape.
  const profiles = doc.profiles.size ? [...doc.profiles.values()].sort((a, b) => (a.name < b.name ? -1 : 1)) : undefined;
  const config = Object.keys(doc.config).length ? doc.config : undefined;
  return new TextEncoder().encode(canonicalJson({ v: DOC_VERSION, entries, profiles, audit: doc.auditHead, config }));
}

const bad = () => new CorruptError('the vault body is not in the expected shape');

const isString = (x: unknown): x is string => typeof x === 'string';
const isStringArray = (x: unknown): x is string[] => Array.isArray(x) && x.every(isString);
const isStringRecord = (x: unknown): x is Record<string, string> =>
  typeof x === 'object' && x !== null && !Array.isArray(x) && Object.values(x).every(isString);
const optString = (x: unknown): x is string | undefined => x === undefined || isString(x);

function entryFromPlain(x: unknown): Entry {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) throw bad();
  const o = x as Record<string, unknown>;
  if (!isString(o.name) || !ENTRY_NAME.test(o.name)) throw bad();
  if (!isString(o.exchange) || !isExchangeId(o.exchange)) throw bad();
  if (!isStringArray(o.permissions) || !isStringArray(o.ips)) throw bad();
  if (!isString(o.created) || !isString(o.updated)) throw bad();
  if (!optString(o.label) || !optString(o.account) || !optString(o.expires) || !optString(o.notes)) throw bad();
  if (!isStringRecord(o.env) || !isStringRecord(o.secrets)) throw bad();
  const secrets = secretsFromPlain(o.secrets);
  const e: Entry = {
    name: o.name, exchange: o.exchange, permissions: o.permissions, ips: o.ips,
    created: o.created, updated: o.updated, env: { ...o.env }, secrets,
  };
  if (o.label !== undefined) e.label = o.label;
  if (o.account !== undefined) e.account = o.account;
  if (o.expires !== undefined) e.expires = o.expires;
  if (o.notes !== undefined) e.notes = o.notes;
  if (o.version !== undefined) {
    if (!isCount(o.version)) throw bad();
    e.version = o.version;
  }
  if (o.rotated !== undefined) {
    if (!isString(o.rotated)) throw bad();
    e.rotated = o.rotated;
  }
  if (o.rotation !== undefined) e.rotation = rotationFromPlain(o.rotation);
  if (o.history !== undefined) {
    if (!Array.isArray(o.history)) throw bad();
    e.history = o.history.map(versionFromPlain);
  }
  return e;
}

const isCount = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0 && x < 1e9;

function secretsFromPlain(x: Record<string, string>): Record<string, Secret> {
  const secrets: Record<string, Secret> = {};
  for (const [k, v] of Object.entries(x)) {
    if (!FIELD_NAME.test(k)) throw bad();
    secrets[k] = new Secret(v);
  }
  return secrets;
}

function rotationFromPlain(x: unknown): RotationPolicy {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) throw bad();
  const o = x as Record<string, unknown>;
  if (!(o.everyDays === undefined || isCount(o.everyDays)) || !(o.warnDays === undefined || isCount(o.warnDays))) throw bad();
  if (!optString(o.hook) || !optString(o.revokeHook)) throw bad();
  const r: RotationPolicy = {};
  if (o.everyDays !== undefined) r.everyDays = o.everyDays;
  if (o.warnDays !== undefined) r.warnDays = o.warnDays;
  if (o.hook !== undefined) r.hook = o.hook;
  if (o.revokeHook !== undefined) r.revokeHook = o.revokeHook;
  return r;
}

function versionFromPlain(x: unknown): Version {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) throw bad();
  const o = x as Record<string, unknown>;
  if (!isCount(o.n) || !isString(o.activated) || !isString(o.retired) || (o.state !== 'previous' && o.state !== 'revoked')) throw bad();
  if (!isStringRecord(o.secrets) || !optString(o.revokedAt) || !(o.revokePending === undefined || typeof o.revokePending === 'boolean')) throw bad();
  const v: Version = { n: o.n, activated: o.activated, retired: o.retired, state: o.state, secrets: secretsFromPlain(o.secrets) };
  if (o.revokePending) v.revokePending = true;
  if (o.revokedAt !== undefined) v.revokedAt = o.revokedAt;
  return v;
}

const isRef = (x: unknown): x is FieldRef =>
  typeof x === 'object' && x !== null && isString((x as FieldRef).entry) && ENTRY_NAME.test((x as FieldRef).entry) && isString((x as FieldRef).field) && FIELD_NAME.test((x as FieldRef).field);

function profileFromPlain(x: unknown): Profile {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) throw bad();
  const o = x as Record<string, unknown>;
  if (!isString(o.name) || !PROFILE_NAME.test(o.name) || !isStringArray(o.entries) || !isStringArray(o.keep)) throw bad();
  if (typeof o.pristine !== 'boolean' || typeof o.allowWithdraw !== 'boolean') throw bad();
  if (typeof o.map !== 'object' || o.map === null || Array.isArray(o.map) || !Object.values(o.map).every(isRef)) throw bad();
  const map: Record<string, FieldRef> = {};
  for (const [k, r] of Object.entries(o.map as Record<string, FieldRef>)) map[k] = { entry: r.entry, field: r.field };
  return { name: o.name, entries: o.entries, map, pristine: o.pristine, allowWithdraw: o.allowWithdraw, keep: o.keep };
}

export function parseDoc(bytes: Uint8Array): VaultDoc {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    // JSON.parse quotes its input in its message: never pass it on.
    throw bad();
  }
  if (typeof raw !== 'object' || raw === null) throw bad();
  const o = raw as Record<string, unknown>;
  if (o.v !== DOC_VERSION) throw new CorruptError(`unsupported vault body version`);
  if (!Array.isArray(o.entries)) throw bad();
  const doc = emptyDoc();
  for (const item of o.entries) {
    const e = entryFromPlain(item);
    if (doc.entries.has(e.name)) throw bad();
    doc.entries.set(e.name, e);
  }
  if (o.config !== undefined) {
    const c = o.config as Record<string, unknown>;
    if (typeof c !== 'object' || c === null || Array.isArray(c) || !optString(c.alertCommand)) throw bad();
    if (c.alertCommand !== undefined) doc.config.alertCommand = c.alertCommand;
    for (const k of ['rotateEveryDays', 'warnBeforeDays', 'keepVersions'] as const) {
      if (c[k] === undefined) continue;
      if (!isCount(c[k])) throw bad();
      doc.config[k] = c[k];
    }
  }
  if (o.audit !== undefined) {
    const a = o.audit as { seq?: unknown; mac?: unknown };
    if (typeof a !== 'object' || a === null || typeof a.seq !== 'number' || typeof a.mac !== 'string') throw bad();
    doc.auditHead = { seq: a.seq, mac: a.mac };
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
