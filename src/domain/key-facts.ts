// What an exchange itself reported about a key (vault verify), as recorded in the entry, and how
// it differs from what was declared there. Pure: no I/O. `vault check` reads these facts too
// (domain/schedule.ts): a key the exchange says can withdraw, has no IP allow-list, or expires.
import { bad, isString, isStringArray } from './plain-shape';
import { DANGEROUS_SCOPES, Scope, SCOPES } from './exchanges';
import type { Entry } from './entry';
import { scopesOfEntry } from './entry';

export interface KeyFacts {
  /** When the exchange answered (ISO time). */
  checkedAt: string;
  /** Where it was asked (scheme and host), so a testnet answer is never mistaken for the live one. */
  origin: string;
  /** The permissions in the exchange's own words, as it reported them. */
  permissions: string[];
  /** The same as our scopes. */
  scopes: Scope[];
  /** Whether the key is limited to an IP allow-list; null when the exchange does not say. */
  ipRestricted: boolean | null;
  /** The allow-list itself, when the exchange reports it. */
  ips: string[] | null;
  /** When the exchange will disable the key (or its trading), ISO time; null: not reported or never. */
  expiresAt: string | null;
}

/** The facts as stored in the entry's JSON (keys sorted by the entry codec). */
export function factsToPlain(f: KeyFacts): Record<string, unknown> {
  return { ...f };
}

export function factsFromPlain(x: unknown): KeyFacts {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) throw bad();
  const o = x as Record<string, unknown>;
  if (!isString(o.checkedAt) || !isString(o.origin) || !isStringArray(o.permissions) || !isStringArray(o.scopes)) throw bad();
  if (!o.scopes.every((s) => (SCOPES as readonly string[]).includes(s))) throw bad();
  if (!(o.ipRestricted === null || typeof o.ipRestricted === 'boolean')) throw bad();
  if (!(o.ips === null || isStringArray(o.ips)) || !(o.expiresAt === null || isString(o.expiresAt))) throw bad();
  return { checkedAt: o.checkedAt, origin: o.origin, permissions: [...o.permissions], scopes: o.scopes as Scope[], ipRestricted: o.ipRestricted, ips: o.ips ? [...o.ips] : null, expiresAt: o.expiresAt };
}

/** Whether the exchange reported that this key can move funds out (withdraw or transfer). */
export function reportedMovesFunds(f: KeyFacts | undefined): boolean {
  return !!f && f.scopes.some((s) => DANGEROUS_SCOPES.includes(s));
}

/**
 * Each way the exchange's answer differs from the entry's declaration, in words. Reading is left
 * out: every key can read, and declaring it is optional.
 */
export function differences(e: Pick<Entry, 'exchange' | 'permissions' | 'ips' | 'expires'>, f: KeyFacts): string[] {
  const out: string[] = [];
  const declared = scopesOfEntry(e).filter((s) => s !== 'read');
  const reported = f.scopes.filter((s) => s !== 'read');
  for (const s of reported) if (!declared.includes(s)) out.push(`the exchange grants ${s}, which is not declared`);
  for (const s of declared) if (!reported.includes(s)) out.push(`${s} is declared, but the exchange does not grant it`);
  if (f.ipRestricted === false && e.ips.length) out.push(`${e.ips.length} allowed IP${e.ips.length === 1 ? ' is' : 's are'} declared, but the exchange has no IP allow-list for this key`);
  if (f.ipRestricted === true && !e.ips.length) out.push('the exchange has an IP allow-list for this key; none is declared');
  if (f.ips && f.ipRestricted) {
    for (const ip of f.ips) if (e.ips.length && !e.ips.includes(ip)) out.push(`the exchange allows ${ip}, which is not declared`);
    for (const ip of e.ips) if (!f.ips.includes(ip)) out.push(`${ip} is declared, but the exchange does not allow it`);
  }
  const day = f.expiresAt?.slice(0, 10);
  if (day && e.expires !== day) out.push(`the exchange disables the key on ${day} (declared: ${e.expires ?? 'no expiry'})`);
  return out;
}
