// An entry: one exchange credential with its metadata. Pure rules, no I/O.
import { UsageError } from '../errors';
import { envNameProblem } from './env-names';
import { canonicalField, DANGEROUS_SCOPES, EXCHANGES, ExchangeId, fieldsOf, Scope, scopesOf, SCOPES } from './exchanges';
import type { KeyFacts } from './key-facts';
import type { RevokeWhen } from './overlap';
import { Secret } from './secret';

export const ENTRY_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
export const FIELD_NAME = /^[A-Za-z][A-Za-z0-9_]{0,31}$/;
export const MAX_VALUE_BYTES = 64 * 1024;
export const MAX_FIELDS = 16;
export const MAX_META_CHARS = 2000;
export const MAX_IPS = 64;

export interface Entry {
  name: string;
  exchange: ExchangeId;
  label?: string;
  account?: string;
  /** As given: exchange terms or our scope names, lower case. */
  permissions: string[];
  ips: string[];
  created: string;
  updated: string;
  /** YYYY-MM-DD, when the key stops working or must be replaced. */
  expires?: string;
  notes?: string;
  /** field -> environment variable name, overriding the default. */
  env: Record<string, string>;
  /** The active version's secret fields. */
  secrets: Record<string, Secret>;
  /** Number of the active version (1 for a new entry). */
  version?: number;
  /** When the active version became active (ISO time); `created` when never rotated. */
  rotated?: string;
  rotation?: RotationPolicy;
  /** Earlier versions, newest first. */
  history?: Version[];
  /** What the exchange itself last reported about the active key (vault verify). */
  verified?: KeyFacts;
  /** Readable by a recipient since removed (`vault recipient rm`): the key must be replaced on
   *  the exchange. Cleared by the next rotation (a key that recipient never saw). */
  exposed?: Exposure;
  /** The rotation journal's first step: a rotation began (its key source was asked for a new
   *  key) and has not stored one yet. Found by `rotate --due`, which starts it again. */
  rotating?: { since: string; source: string };
}

export interface Exposure {
  /** When the recipient was removed (ISO time). */
  at: string;
  /** The removed recipients' names. */
  by: string[];
}

export interface RotationPolicy {
  everyDays?: number;
  warnDays?: number;
  /** Command (sh -c) that makes a new key: current credential JSON in, new one out. */
  hook?: string;
  /** Command that deletes the old key on the exchange: old credential JSON in. */
  revokeHook?: string;
  /** How long the old key stays valid after a rotation (ms), and what ends it early. */
  revokeAfterMs?: number;
  revokeWhen?: RevokeWhen;
  /** Restarts the bots using this key after a rotation: a program and its arguments, run
   *  without a shell, given no secret (the bot gets the new key through vault exec). */
  restart?: string[];
  /** The master key entry whose exchange API makes and deletes this (sub-account) key. */
  via?: string;
}

export type VersionState = 'previous' | 'revoked';

export interface Version {
  n: number;
  /** When it became active, and when it stopped being active. */
  activated: string;
  retired: string;
  state: VersionState;
  /** A revoke hook should delete it but has not succeeded yet (e.g. the run was killed). */
  revokePending?: boolean;
  revokedAt?: string;
  /** Overlap: the end of its grace window (ISO time), and what may end it earlier. */
  revokeAfter?: string;
  revokeWhen?: RevokeWhen;
  /** The restart step after the rotation that retired it: to run, failed, or done. */
  restart?: 'pending' | 'failed' | 'done';
  secrets: Record<string, Secret>;
  /** Readable by a recipient since removed: the mark stays with this version's key, so a
   *  rollback to it brings the mark back with it. */
  exposed?: Exposure;
}

export function checkEntryName(name: string): void {
  if (!ENTRY_NAME.test(name)) {
    throw new UsageError(`invalid entry name "${printable(name)}"`, ['names are 1-64 of a-z 0-9 . _ -, starting with a letter or digit']);
  }
}

/** A name made safe to echo in an error: no control characters, bounded length. */
export function printable(s: string): string {
  const clean = s.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return clean.length > 64 ? `${clean.slice(0, 64)}...` : clean;
}

export interface SecretCheck {
  errors: string[];
  warnings: string[];
}

/** White space at either end, with the invisible ones a copy can carry (NBSP, BOM, ZWSP). */
const EDGE_SPACE = /^[\s\u200b]|[\s\u200b]$/;

/** Checks secret fields for the exchange. Messages name fields, never values. */
export function checkSecrets(exchange: ExchangeId, secrets: Record<string, Secret>): SecretCheck {
  const spec = EXCHANGES[exchange];
  const errors: string[] = [];
  const warnings: string[] = [];
  const names = Object.keys(secrets);
  if (names.length > MAX_FIELDS) errors.push(`too many fields (${names.length}; at most ${MAX_FIELDS})`);
  const known = fieldsOf(exchange);
  for (const field of names) {
    if (!FIELD_NAME.test(field)) {
      errors.push(`invalid field name "${printable(field)}"`);
      continue;
    }
    if (known && !known.includes(field)) {
      errors.push(`${spec.title} keys have no field "${field}" (their fields: ${known.join(', ')})`);
      continue;
    }
    const value = secrets[field]!.reveal();
    const pem = value.startsWith('-----BEGIN ');
    if (value.length === 0) errors.push(`${field} is empty`);
    else if (Buffer.byteLength(value) > MAX_VALUE_BYTES) errors.push(`${field} is larger than ${MAX_VALUE_BYTES / 1024} KiB`);
    else if (value.includes('\0')) errors.push(`${field} contains a NUL byte`);
    // A string with a lone surrogate (JSON allows "\ud800") would be stored as U+FFFD: not the
    // value the exchange has.
    else if (/\p{Cs}/u.test(value)) errors.push(`${field} is not valid Unicode (a lone surrogate)`);
    // White space around a key or secret is a pasting mistake; a passphrase is chosen by the
    // user, and the exchange takes one with a space at its end, so it is kept with a warning.
    else if (!pem && EDGE_SPACE.test(value) && (field !== 'passphrase' || /[\r\n]/.test(value))) errors.push(`${field} has white space at its start or end (a pasting mistake?)`);
    else if (!pem && /[\r\n]/.test(value) && field !== 'privateKey') errors.push(`${field} spans several lines`);
    // A key sealed with its own password cannot sign without it, and exvault does not ask for
    // one: refused now rather than at the first request it should sign.
    else if (pem && (value.startsWith('-----BEGIN ENCRYPTED PRIVATE KEY-----') || /^Proc-Type: *4, *ENCRYPTED/m.test(value))) errors.push(`${field} is an encrypted private key: export it unencrypted (e.g. openssl pkey -in key.pem -out plain.pem) and add that`);
    else if (pem && !/-----END [A-Z0-9 ]+-----\r?\n?$/.test(value)) warnings.push(`${field} looks like a PEM key without its END line`);
    else {
      if (!pem && EDGE_SPACE.test(value)) warnings.push(`${field} has white space at its start or end: stored as given (check the exchange has the same)`);
      const shape = spec.shapes[field];
      if (shape && !shape.pattern.test(value)) warnings.push(`${field} does not match the usual ${spec.title} format (expected ${shape.describe})`);
    }
  }
  const otherSet = spec.orSets?.some((set) => set.every((f) => f in secrets));
  for (const alternatives of otherSet ? [] : spec.required) {
    if (!alternatives.some((f) => f in secrets)) {
      const orSets = (spec.orSets ?? []).map((set) => set.join(' with '));
      errors.push(`${spec.title} needs ${[...alternatives, ...orSets].join(' or ')}`);
    }
  }
  return { errors, warnings };
}

/** The stored name of the field asked for as `name` (ours or CCXT's), or undefined. */
export function storedField(e: Pick<Entry, 'secrets'>, name: string): string | undefined {
  if (Object.hasOwn(e.secrets, name)) return name;
  const c = canonicalField(name);
  return Object.hasOwn(e.secrets, c) ? c : undefined;
}

/** A value being handed to a program (exec, inject, export). `vault add` refuses NUL bytes,
 *  but a vault written by other code may hold one, and no environment or file reader can. */
export function refuseNul(entry: string, field: string, value: Secret): void {
  if (value.reveal().includes('\0')) {
    throw new UsageError(`${entry}.${printable(field)} contains a NUL byte, which cannot be handed to a program`, ['the vault was written by other code: replace the value with vault rotate']);
  }
}

/** Normalises user-given permission terms; unknown terms are a usage error. */
export function parsePermissions(exchange: ExchangeId, terms: string[]): string[] {
  const out: string[] = [];
  for (const raw of terms) {
    const term = raw.trim().toLowerCase();
    if (!term) continue;
    if (!scopesOf(exchange, term)) {
      const known = [...SCOPES, ...Object.keys(EXCHANGES[exchange].permissions)];
      throw new UsageError(`unknown permission "${printable(term)}" for ${EXCHANGES[exchange].title}`, [`known: ${known.join(', ')}`]);
    }
    if (!out.includes(term)) out.push(term);
  }
  return out;
}

export function scopesOfEntry(e: Pick<Entry, 'exchange' | 'permissions'>): Scope[] {
  const set = new Set<Scope>();
  for (const t of e.permissions) for (const s of scopesOf(e.exchange, t) ?? []) set.add(s);
  return SCOPES.filter((s) => set.has(s));
}

/** Declared so, or reported so by the exchange (vault verify): a key the exchange says can
 *  withdraw is treated as one, whatever was typed. */
export function canMoveFunds(e: Pick<Entry, 'exchange' | 'permissions'> & { verified?: KeyFacts }): boolean {
  return [...scopesOfEntry(e), ...(e.verified?.scopes ?? [])].some((s) => DANGEROUS_SCOPES.includes(s));
}

/** Whether a key may be handed to a program (exec, inject): not expired, and not a
 *  money-moving key unless that was asked for. `today` is YYYY-MM-DD. */
export function assertReleasable(e: Entry, allowWithdraw: boolean, today: string): void {
  if (e.expires && e.expires < today) {
    throw new UsageError(`the key in ${e.name} expired on ${e.expires}`, ['rotate it, or correct the date with: vault edit --expires']);
  }
  // The exchange's own word (vault verify) wins over the declaration: a day it reported as past
  // is refused the same way.
  const reported = e.verified?.expiresAt?.slice(0, 10);
  if (reported && reported < today) {
    throw new UsageError(`the key in ${e.name} expired on ${reported} (as its exchange reported)`, ['rotate it, then ask the exchange again with: vault verify']);
  }
  if (canMoveFunds(e) && !allowWithdraw) {
    throw new UsageError(`${e.name} can withdraw or transfer funds; refusing to hand it to a program`, ['pass --allow-withdraw if this program really needs that', 'better: give the bot a key without withdraw permission']);
  }
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}(\/([12]?\d|3[0-2]))?$/;
const IPV6 = /^[0-9a-f:.]*:[0-9a-f:.]*(\/(12[0-8]|1[01]\d|\d?\d))?$/i;

export function parseIps(items: string[]): string[] {
  const out: string[] = [];
  for (const raw of items) {
    const ip = raw.trim();
    if (!ip) continue;
    if (!IPV4.test(ip) && !IPV6.test(ip)) throw new UsageError(`"${printable(ip)}" is not an IP address or CIDR range`);
    if (!out.includes(ip)) out.push(ip);
  }
  if (out.length > MAX_IPS) throw new UsageError(`too many IP addresses (at most ${MAX_IPS})`);
  return out;
}

export function checkEnvMapping(env: Record<string, string>): void {
  for (const [field, name] of Object.entries(env)) {
    if (!FIELD_NAME.test(field)) throw new UsageError(`invalid field name "${printable(field)}" in env mapping`);
    const problem = envNameProblem(name);
    if (problem) throw new UsageError(problem);
  }
}

export function checkMeta(what: string, text: string | undefined): void {
  if (text === undefined) return;
  if (text.length > MAX_META_CHARS) throw new UsageError(`${what} is too long (at most ${MAX_META_CHARS} characters)`);
  if (text.includes('\0')) throw new UsageError(`${what} contains a NUL byte`);
}
