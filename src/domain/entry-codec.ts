// One entry of the vault body and its text: a line of JSON with "name" first and the other
// keys sorted, so a reader can tell whose line it is without decoding it. Decoding checks the
// shape and never echoes the text it read.
import { canonicalJson } from './canonical-json';
import { Entry, ENTRY_NAME, Exposure, FIELD_NAME, RotationPolicy, Version } from './entry';
import { isExchangeId } from './exchanges';
import { factsFromPlain } from './key-facts';
import { MAX_REVOKE_AFTER_MS, REVOKE_WHEN, RevokeWhen } from './overlap';
import { bad, isString, isStringArray } from './plain-shape';
import { Secret } from './secret';

/** A plain copy with keys inserted in sorted order, so canonicalJson has nothing to reorder. */
function inKeyOrder<T>(o: Record<string, T>, value: (v: T) => unknown = (v) => v): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o).sort()) if (o[k] !== undefined) out[k] = value(o[k]);
  return out;
}

const secretsToPlain = (secrets: Record<string, Secret>) => inKeyOrder(secrets, (v) => v.reveal());

export function entryToPlain(e: Entry): Record<string, unknown> {
  const history = e.history?.length ? e.history.map((v) => inKeyOrder({ ...v, secrets: secretsToPlain(v.secrets), exposed: v.exposed && { at: v.exposed.at, by: [...v.exposed.by] } })) : undefined;
  const exposed = e.exposed && { at: e.exposed.at, by: [...e.exposed.by] };
  return inKeyOrder({ ...e, secrets: secretsToPlain(e.secrets), env: inKeyOrder(e.env), history, exposed } as Record<string, unknown>);
}

const isStringRecord = (x: unknown): x is Record<string, string> =>
  typeof x === 'object' && x !== null && !Array.isArray(x) && Object.values(x).every(isString);
export const optString = (x: unknown): x is string | undefined => x === undefined || isString(x);

export function entryFromPlain(x: unknown): Entry {
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
  if (o.verified !== undefined) e.verified = factsFromPlain(o.verified);
  if (o.exposed !== undefined) e.exposed = exposureFromPlain(o.exposed);
  if (o.rotating !== undefined) {
    const r = o.rotating as Record<string, unknown>;
    if (typeof r !== 'object' || r === null || !isString(r.since) || !isString(r.source)) throw bad();
    e.rotating = { since: r.since, source: r.source };
  }
  return e;
}

export const isRevokeWhen = (x: unknown): x is RevokeWhen => typeof x === 'string' && (REVOKE_WHEN as string[]).includes(x);

export const isDurationMs = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0 && x <= MAX_REVOKE_AFTER_MS;

export const isCount = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0 && x < 1e9;

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
  if (!(o.revokeAfterMs === undefined || isDurationMs(o.revokeAfterMs))) throw bad();
  if (!(o.revokeWhen === undefined || isRevokeWhen(o.revokeWhen)) || !(o.restart === undefined || (isStringArray(o.restart) && o.restart.length > 0)) || !optString(o.via)) throw bad();
  if (o.revokeAfterMs !== undefined) r.revokeAfterMs = o.revokeAfterMs as number;
  if (o.revokeWhen !== undefined) r.revokeWhen = o.revokeWhen;
  if (o.restart !== undefined) r.restart = [...(o.restart as string[])];
  if (o.via !== undefined) r.via = o.via;
  return r;
}

function exposureFromPlain(x: unknown): Exposure {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) throw bad();
  const o = x as Record<string, unknown>;
  if (!isString(o.at) || !isStringArray(o.by) || Object.keys(o).length !== 2) throw bad();
  return { at: o.at, by: [...o.by] };
}

function versionFromPlain(x: unknown): Version {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) throw bad();
  const o = x as Record<string, unknown>;
  if (!isCount(o.n) || !isString(o.activated) || !isString(o.retired) || (o.state !== 'previous' && o.state !== 'revoked')) throw bad();
  if (!isStringRecord(o.secrets) || !optString(o.revokedAt) || !(o.revokePending === undefined || typeof o.revokePending === 'boolean')) throw bad();
  const v: Version = { n: o.n, activated: o.activated, retired: o.retired, state: o.state, secrets: secretsFromPlain(o.secrets) };
  if (o.revokePending) v.revokePending = true;
  if (o.revokedAt !== undefined) v.revokedAt = o.revokedAt;
  if (!optString(o.revokeAfter) || !(o.revokeWhen === undefined || isRevokeWhen(o.revokeWhen))) throw bad();
  if (!(o.restart === undefined || o.restart === 'pending' || o.restart === 'failed' || o.restart === 'done')) throw bad();
  if (o.revokeAfter !== undefined) v.revokeAfter = o.revokeAfter;
  if (o.revokeWhen !== undefined) v.revokeWhen = o.revokeWhen;
  if (o.restart !== undefined) v.restart = o.restart;
  if (o.exposed !== undefined) v.exposed = exposureFromPlain(o.exposed);
  return v;
}


const LINE_START = '{"name":';

/** The entry as its line of the body: {"name":...,<other keys sorted>}. */
export function entryLine(e: Entry): string {
  const { name, ...rest } = entryToPlain(e);
  return `${LINE_START}${JSON.stringify(name)},${canonicalJson(rest).slice(1)}`;
}

/** Whose line this is, read without decoding it; null when the line does not start as entryLine writes. */
export function lineName(line: string): string | null {
  if (!line.startsWith(`${LINE_START}"`)) return null;
  const end = line.indexOf('"', LINE_START.length + 1);
  const name = line.slice(LINE_START.length + 1, end);
  // Entry names need no JSON escapes, so the next quote ends the name.
  return end > 0 && line[end + 1] === ',' && ENTRY_NAME.test(name) ? name : null;
}

export function entryFromLine(line: string, name: string): Entry {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    // JSON.parse quotes its input in its message: never pass it on.
    throw bad();
  }
  const e = entryFromPlain(raw);
  if (e.name !== name) throw bad();
  return e;
}
