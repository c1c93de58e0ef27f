// When a key must be replaced: the earliest of the user's rotation period, the user's own
// expiry date, and the expiry an exchange imposes (shared EXCHANGES.md). Pure: `now` is given.
import { EXIT } from '../errors';
import { VaultConfig } from './document';
import { Entry, scopesOfEntry } from './entry';
import { DANGEROUS_SCOPES } from './exchanges';
import type { KeyFacts } from './key-facts';
import { addDays, isoDay } from './time';

export const DEFAULT_WARN_DAYS = 14;

export type DueState = 'ok' | 'due-soon' | 'overdue' | 'expired';

export interface DueRule {
  due: Date;
  reason: string;
  /** A hard expiry (the key stops working), not a recommendation. */
  expiry: boolean;
}

export interface DueInfo {
  state: DueState;
  /** The earliest rule, or null when nothing schedules this entry. */
  rule: DueRule | null;
  /** Whole days from now to the due date (negative when past). */
  days: number | null;
}

/** Exchange rules that end a key by themselves. What the exchange itself reported (vault
 *  verify) wins over what was declared: its IP allow-list, its permissions, its expiry date. */
function exchangeRules(e: Entry, since: Date): DueRule[] {
  const facts = e.verified;
  const noIps = facts && facts.ipRestricted !== null ? !facts.ipRestricted : e.ips.length === 0;
  const scopes = facts ? facts.scopes : scopesOfEntry(e);
  const rules: DueRule[] = [];
  if (e.exchange === 'binance' && noIps && scopes.some((s) => s === 'trade' || s === 'margin')) {
    rules.push({ due: addDays(since, 30), reason: 'Binance disables trading on keys without an IP allow-list after 30 days', expiry: true });
  }
  if (e.exchange === 'bybit' && noIps) {
    rules.push({ due: addDays(since, 90), reason: 'Bybit invalidates keys without an IP allow-list after 90 days', expiry: true });
  }
  if (facts) rules.push(...reportedRules(e, facts));
  return rules;
}

/** Rules from the exchange's own answer: its expiry date, and a key that can move funds when
 *  that was not declared or has no IP allow-list (due since it was seen: overdue at once). */
function reportedRules(e: Entry, facts: KeyFacts): DueRule[] {
  const rules: DueRule[] = [];
  const seen = new Date(facts.checkedAt);
  if (facts.expiresAt) rules.push({ due: new Date(facts.expiresAt), reason: `the exchange disables this key on ${isoDay(new Date(facts.expiresAt))} (vault verify)`, expiry: true });
  const moves = facts.scopes.filter((s) => DANGEROUS_SCOPES.includes(s));
  if (moves.length) {
    const declared = scopesOfEntry(e);
    const undeclared = moves.filter((s) => !declared.includes(s));
    if (undeclared.length) rules.push({ due: seen, reason: `the exchange reports this key can ${undeclared.join(' and ')}, which is not declared (vault verify)`, expiry: false });
    if (facts.ipRestricted === false) rules.push({ due: seen, reason: `the exchange reports this key can ${moves.join(' and ')} from any IP address (vault verify)`, expiry: false });
  }
  return rules;
}

const dayStart = (d: Date) => Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());

export function dueInfo(e: Entry, config: VaultConfig, now: Date, withinDays?: number): DueInfo {
  const since = new Date(e.rotated ?? e.created);
  const rules: DueRule[] = [];
  const every = e.rotation?.everyDays ?? config.rotateEveryDays;
  if (every) rules.push({ due: addDays(since, every), reason: `rotation every ${every}d`, expiry: false });
  if (e.expires) rules.push({ due: new Date(`${e.expires}T00:00:00Z`), reason: `expires on ${e.expires}`, expiry: true });
  rules.push(...exchangeRules(e, since));
  if (e.exposed) {
    // Due from the moment a removed recipient could read it; only an expiry already past says more.
    const exposure: DueRule = { due: new Date(e.exposed.at), reason: `exposed: readable by removed recipient ${e.exposed.by.join(', ')}; rotate it on the exchange`, expiry: false };
    const expired = rules.find((r) => r.expiry && r.due <= now);
    if (!expired) return { state: 'overdue', rule: exposure, days: Math.round((dayStart(exposure.due) - dayStart(now)) / 86_400_000) || 0 };
  }
  if (rules.length === 0) return { state: 'ok', rule: null, days: null };
  const rule = rules.reduce((a, b) => (b.due < a.due ? b : a));
  // Calendar days (UTC) between today and the due day: a key added with --expires 5d is "due
  // in 5d", not 4 (counting whole 24-hour periods lost the part of today already gone).
  const days = Math.round((dayStart(rule.due) - dayStart(now)) / 86_400_000) || 0;
  const warn = withinDays ?? e.rotation?.warnDays ?? config.warnBeforeDays ?? DEFAULT_WARN_DAYS;
  let state: DueState = 'ok';
  if (rule.due <= now) state = rule.expiry ? 'expired' : 'overdue';
  else if (rule.due.getTime() - now.getTime() <= warn * 86_400_000) state = 'due-soon';
  return { state, rule, days };
}

/** Short text for list and check: "due in 5d", "overdue 3d", "expired 2027-01-01". */
export function dueText(d: DueInfo): string {
  if (!d.rule) return '-';
  if (d.state === 'expired') return `expired ${isoDay(d.rule.due)}`;
  if (d.state === 'overdue') return d.days ? `overdue ${-d.days}d` : 'overdue today';
  if (d.state === 'due-soon') return d.days ? `due in ${d.days}d` : 'due today';
  return `ok (${isoDay(d.rule.due)})`;
}

/**
 * Whether `vault rotate --due` replaces the key now: a key that will stop working is replaced
 * within its warning time, before it breaks; a rotation period is acted on once it has passed
 * (its warning time is for people and alerts).
 */
export function rotateNow(d: DueInfo): boolean {
  if (!d.rule) return false;
  return d.rule.expiry ? d.state !== 'ok' : d.state === 'overdue';
}

/** The exit status `vault check` reports: 0 nothing due, 10 due soon, 11 overdue or expired. */
export function checkStatus(states: DueState[]): 0 | 10 | 11 {
  if (states.some((s) => s === 'overdue' || s === 'expired')) return EXIT.overdue;
  if (states.includes('due-soon')) return EXIT.dueSoon;
  return EXIT.ok;
}
