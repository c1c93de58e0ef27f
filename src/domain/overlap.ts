// The overlap between a new key and the old one: the old key stays valid while bots launched
// with it may still run, and is revoked only when that is over. Pure: `now` and the bots that
// hold the old version are given.
import { UsageError } from '../errors';
import type { Version } from './entry';

/**
 * When an old version is revoked once the new one is stored (and any restart has run):
 * - idle: as soon as no bot launched with it is still running, at the latest when the
 *   window ends (the default);
 * - window: when the window ends, whatever runs (the key is also used outside vault exec);
 * - both: once the window has ended AND no bot holds it (never strands a tracked bot; a bot
 *   that never exits keeps the old key valid, and check says so).
 */
export type RevokeWhen = 'idle' | 'window' | 'both';
export const REVOKE_WHEN: readonly RevokeWhen[] = ['idle', 'window', 'both'];
export const DEFAULT_REVOKE_WHEN: RevokeWhen = 'idle';
/** The window when neither the rotation, the entry nor the vault sets one. */
export const DEFAULT_REVOKE_AFTER_MS = 24 * 3_600_000;
export const MAX_REVOKE_AFTER_MS = 365 * 86_400_000;

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** "0", "90s", "30m", "24h", "2d", "1w" -> milliseconds; a usage error otherwise. */
export function parseRevokeAfter(text: string, flag = '--revoke-after'): number {
  const t = text.trim();
  if (t === '0' || t === 'now') return 0;
  const m = /^(\d{1,6})(s|m|h|d|w)$/.exec(t);
  const ms = m ? Number(m[1]) * UNIT_MS[m[2]!]! : NaN;
  if (!(ms >= 0 && ms <= MAX_REVOKE_AFTER_MS)) throw new UsageError(`${flag} takes a duration such as 0, 30m, 24h, 2d or 1w (at most 365d)`);
  return ms;
}

export function parseRevokeWhen(text: string, flag = '--revoke-when'): RevokeWhen {
  if (!(REVOKE_WHEN as string[]).includes(text)) throw new UsageError(`${flag} takes one of: ${REVOKE_WHEN.join(', ')}`);
  return text as RevokeWhen;
}

/** A duration as the user would type it back: 86400000 -> "24h". */
export function durationText(ms: number): string {
  if (ms === 0) return '0';
  for (const u of ['w', 'd', 'h', 'm', 's']) if (ms % UNIT_MS[u]! === 0) return `${ms / UNIT_MS[u]!}${u}`;
  return `${ms}ms`;
}

/** A running `vault exec` that was handed an entry's version (platform/run-records.ts). */
export interface Holder {
  pid: number;
  program: string;
  since: string;
}

export interface RevokeReadiness {
  due: boolean;
  /** Why not yet (or why now), for check, show and rotate's messages. */
  why: string;
}

/**
 * Whether the old version may be revoked now. `holders` null: which bots run is not known
 * here (no /proc); then only the window decides. A restart that has not succeeded holds
 * the revoke back in every mode: the bots would still run the old key.
 */
export function revokeReadiness(v: Version, holders: Holder[] | null, now: Date): RevokeReadiness {
  if (v.restart === 'pending' || v.restart === 'failed') return { due: false, why: v.restart === 'failed' ? 'the restart command failed' : 'the restart has not run yet' };
  // Recorded before overlaps existed: revoked at once, as then.
  if (!v.revokeAfter) return { due: true, why: 'no grace window' };
  const windowOver = now.getTime() >= Date.parse(v.revokeAfter);
  const idle = holders !== null && holders.length === 0;
  const when = v.revokeWhen ?? DEFAULT_REVOKE_WHEN;
  const held = holders === null ? 'running bots cannot be seen here' : `${holders.length} bot${holders.length === 1 ? '' : 's'} still hold it`;
  if (when === 'window') return windowOver ? { due: true, why: 'its grace window is over' } : { due: false, why: `kept until ${v.revokeAfter}` };
  if (when === 'both') {
    if (!windowOver) return { due: false, why: `kept until ${v.revokeAfter}, then until no bot holds it` };
    return idle ? { due: true, why: 'its grace window is over and no bot holds it' } : { due: false, why: `its grace window is over, but ${held}` };
  }
  if (idle) return { due: true, why: 'no bot launched with it is still running' };
  return windowOver ? { due: true, why: `its grace window is over (${held})` } : { due: false, why: `${held}; kept until they exit, at the latest ${v.revokeAfter}` };
}

/** The versions of an entry still waiting for their restart or their revoke. */
export function unfinished(history: Version[] | undefined): Version[] {
  return (history ?? []).filter((v) => v.revokePending || v.restart === 'pending' || v.restart === 'failed');
}

/** A restart command as stored: the program and its arguments, run without a shell. Given
 *  as a JSON array, or as words split at white space (no quoting: use the array for that). */
export function parseRestartCommand(text: string): string[] {
  const t = text.trim();
  let argv: unknown;
  if (t.startsWith('[')) {
    try {
      argv = JSON.parse(t);
    } catch {
      argv = null;
    }
  } else argv = t.split(/\s+/).filter(Boolean);
  if (!Array.isArray(argv) || !argv.length || !argv.every((a) => typeof a === 'string' && !a.includes('\0')) || argv.length > 64 || argv.join(' ').length > 2000 || !argv[0]) {
    throw new UsageError('--restart takes a command such as "systemctl --user restart bot", or a JSON array of its words');
  }
  return argv as string[];
}
