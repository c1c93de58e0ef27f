// Dates and durations as the user types them: "2027-03-31", "90d", "12w", "6m", "1y".
const UNIT_DAYS: Record<string, number> = { d: 1, w: 7, m: 30, y: 365 };
const DAY_MS = 86_400_000;

/** Days in a duration such as "90d"; null when it is not one. */
export function parseDurationDays(text: string): number | null {
  const m = /^(\d{1,5})([dwmy])$/.exec(text.trim());
  if (!m) return null;
  const days = Number(m[1]) * UNIT_DAYS[m[2]!]!;
  return days > 0 ? days : null;
}

/** A calendar date (YYYY-MM-DD, taken as 00:00 UTC) or a duration from now; null when neither. */
export function parseDateOrDuration(text: string, now: Date): Date | null {
  const days = parseDurationDays(text);
  if (days !== null) return new Date(now.getTime() + days * DAY_MS);
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text.trim());
  if (!m) return null;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  // Reject dates that JavaScript would silently roll over, such as 2027-02-30.
  return d.toISOString().slice(0, 10) === text.trim() ? d : null;
}

export function addDays(d: Date, days: number): Date {
  return new Date(d.getTime() + days * DAY_MS);
}

export function isoDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** "30s", "2m", "500ms", "1h" -> milliseconds; null when it is not one. */
export function parseShortDurationMs(text: string): number | null {
  const m = /^(\d{1,7})(ms|s|m|h)$/.exec(text.trim());
  if (!m) return null;
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
}
