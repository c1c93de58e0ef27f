// Rotation: by hand (new fields typed or read), or unattended through the entry's hooks.
// Order that never loses the only working key: the new key is stored first; the old one is
// revoked on the exchange only after, and marked revoked only when that succeeded.
import { EXIT, RotationError, UsageError, VaultError } from '../errors';
import { Entry, Version } from '../domain/entry';
import { canonicalField, EXCHANGES, ROTATE_STEPS } from '../domain/exchanges';
import { Masker } from '../domain/masker';
import { checkStatus, dueInfo, DueState, rotateNow } from '../domain/schedule';
import { Secret } from '../domain/secret';
import { activate, DEFAULT_KEEP_VERSIONS, markRevoked } from '../domain/versions';
import { runHook } from '../platform/hook';
import { alert } from './alerts';
import { recordRelease } from './audit-writer';
import { findEntry, validateSecrets } from './entries';
import type { AppContext } from './ports';
import { mutate, openSession, Session } from './session';

/** How long a second `rotate --due` waits for the first (hooks can be slow). */
export const ROTATE_LOCK_TIMEOUT_MS = 15 * 60_000;

const keepOf = (s: Session) => s.doc.config.keepVersions ?? DEFAULT_KEEP_VERSIONS;

function credentialJson(e: Entry, secrets: Record<string, Secret>, version: number): string {
  const plain: Record<string, string> = {};
  for (const [k, v] of Object.entries(secrets)) plain[k] = v.reveal();
  return JSON.stringify({ entry: e.name, exchange: e.exchange, account: e.account ?? null, permissions: e.permissions, ips: e.ips, version, secrets: plain });
}

/** The new credential a hook printed: {"apiKey": ...} or {"secrets": {...}}. Errors never quote it. */
export function parseHookOutput(text: string): Record<string, Secret> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new RotationError('the rotate hook did not print a JSON credential');
  }
  const obj = (raw as { secrets?: unknown })?.secrets ?? raw;
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new RotationError('the rotate hook did not print a JSON credential');
  const out: Record<string, Secret> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (typeof v !== 'string') throw new RotationError(`the rotate hook printed a non-string ${k.slice(0, 32)}`);
    // CCXT's names (secret, password) as add and rotate --from-file take them.
    const field = canonicalField(k);
    if (field in out) throw new RotationError(`the rotate hook printed field ${field.slice(0, 32)} twice`);
    out[field] = new Secret(v);
  }
  return out;
}

function masker(...sets: Record<string, Secret>[]): Masker {
  return new Masker(sets.flatMap((s) => Object.entries(s).map(([name, v]) => ({ name, value: v.reveal() }))));
}

/** Stores new secrets as the active version (by hand). */
export async function rotateManual(ctx: AppContext, name: string, secrets: Record<string, Secret>): Promise<Version> {
  return mutate(ctx, async (s) => {
    const e = findEntry(s.doc, name);
    for (const w of validateSecrets(e.exchange, secrets)) ctx.notices.warn(w);
    const retired = activate(e, secrets, ctx.clock.now(), keepOf(s), false);
    await recordRelease(ctx, s.dataKey, { cmd: 'rotate', entries: [{ entry: name, fields: Object.keys(secrets).sort() }], result: `version ${e.version}` });
    return retired;
  });
}

export async function markVersionRevoked(ctx: AppContext, name: string, n?: number): Promise<Version> {
  return mutate(ctx, (s) => markRevoked(findEntry(s.doc, name), n, ctx.clock.now()));
}

async function revokeOld(ctx: AppContext, s: Session, e: Entry, old: Version): Promise<void> {
  const hook = e.rotation?.revokeHook;
  if (!hook) return;
  const r = await runHook(hook, credentialJson(e, old.secrets, old.n), masker(old.secrets, e.secrets));
  if (r.status !== 0) {
    const why = r.timedOut ? 'timed out' : `exit ${r.status}`;
    await alert(ctx, s, 'rotation-failed', { entry: e.name, step: 'revoke', status: r.status });
    throw new RotationError(`${e.name}: the new key is stored, but the revoke hook failed (${why}); the old key is still valid`, ['it is retried by: vault rotate --due', 'or revoke it by hand, then: vault rotate ' + e.name + ' --revoked']);
  }
  try {
    await mutate(ctx, (s2) => markRevoked(findEntry(s2.doc, e.name), old.n, ctx.clock.now()), s.keys);
  } catch (err) {
    if (!(err instanceof VaultError)) throw err;
    // The rotation itself is committed: say so, and what is left, rather than only the failure.
    throw new RotationError(`${e.name}: the new key is stored and the revoke hook succeeded, but the revocation could not be recorded (${err.message.replace(/^could not write /, '')})`, ['the old version shows as revoke pending; vault rotate --due runs the revoke hook again', ...err.hints]);
  }
}

/** Unattended rotation through the entry's hook; then the revoke hook for the old key. */
export async function rotateWithHook(ctx: AppContext, name: string, opened?: Session): Promise<{ version: number; revoked: boolean }> {
  const s = opened ?? (await openSession(ctx));
  const e = findEntry(s.doc, name);
  const hook = e.rotation?.hook;
  if (!hook) throw new UsageError(`${name} has no rotate hook`, [`set one with: vault edit ${name} --rotate-hook CMD`, 'or rotate by hand: vault rotate ' + name]);
  // The current credential goes to the hook: that is a release, recorded first.
  await recordRelease(ctx, s.dataKey, { cmd: 'rotate', program: 'rotate-hook', entries: [{ entry: name, fields: Object.keys(e.secrets).sort() }] });
  const r = await runHook(hook, credentialJson(e, e.secrets, e.version ?? 1), masker(e.secrets));
  let fresh: Record<string, Secret>;
  try {
    if (r.status !== 0) throw new RotationError(`${name}: the rotate hook failed (${r.timedOut ? 'timed out' : `exit ${r.status}`}); the current key stays active`);
    fresh = parseHookOutput(r.stdout);
    validateSecrets(e.exchange, fresh);
  } catch (err) {
    await alert(ctx, s, 'rotation-failed', { entry: name, step: 'rotate', status: r.status });
    throw err;
  }
  const revokeHook = Boolean(e.rotation?.revokeHook);
  const { retired, entry } = await mutate(ctx, (s2) => {
    const e2 = findEntry(s2.doc, name);
    return { retired: activate(e2, fresh, ctx.clock.now(), keepOf(s2), revokeHook), entry: e2 };
  }, s.keys);
  await revokeOld(ctx, s, entry, retired);
  return { version: entry.version ?? 1, revoked: revokeHook };
}

export type RotateOutcome = { via: 'hook'; version: number; revoked: boolean } | { via: 'hand'; retired: Version };

/**
 * vault rotate NAME: through the entry's rotate hook when it has one (unless `byHand`); else by
 * hand: what to do on the exchange is shown, then `readFields` gives the new fields.
 */
export async function rotateEntry(ctx: AppContext, name: string, byHand: boolean, readFields: (e: Entry) => Promise<Record<string, Secret>>): Promise<RotateOutcome> {
  const s = await openSession(ctx);
  const e = findEntry(s.doc, name);
  if (e.rotation?.hook && !byHand) return { via: 'hook', ...(await rotateWithHook(ctx, name, s)) };
  ctx.notices.info(`${EXCHANGES[e.exchange].title}: ${ROTATE_STEPS[e.exchange]}`);
  if (e.ips.length) ctx.notices.info(`IP allow-list to set: ${e.ips.join(', ')}`);
  if (e.permissions.length) ctx.notices.info(`permissions to copy: ${e.permissions.join(', ')}`);
  return { via: 'hand', retired: await rotateManual(ctx, name, await readFields(e)) };
}

export interface DueReport {
  rotated: string[];
  /** Due but without a hook: a person must rotate them. */
  manual: { name: string; state: DueState; reason: string }[];
  failed: { name: string; message: string }[];
  /** As `vault check` would report after the run: 0, 10 or 11. */
  status: 0 | 10 | 11;
}

/**
 * Rotates what is due and has a hook, and retries revocations left pending. Serialised between
 * runs. Its exit status is check's after the run, and at least 1 when a rotation failed.
 */
export async function rotateDue(ctx: AppContext): Promise<{ report: DueReport; status: number }> {
  const lock = await ctx.vault.lock('rotate', ROTATE_LOCK_TIMEOUT_MS);
  try {
    const report: DueReport = { rotated: [], manual: [], failed: [], status: 0 };
    const first = await openSession(ctx);
    // Re-read for each entry: an overlapping run may have rotated it meanwhile.
    for (const name of [...first.doc.entries.keys()].sort()) {
      const s = await openSession(ctx);
      const e = s.doc.entries.get(name);
      if (!e) continue;
      const pending = e.history?.find((v) => v.revokePending);
      try {
        if (pending) await revokeOld(ctx, s, e, pending);
        const d = dueInfo(e, s.doc.config, ctx.clock.now());
        if (!rotateNow(d)) continue;
        if (!e.rotation?.hook) {
          report.manual.push({ name, state: d.state, reason: d.rule!.reason });
          continue;
        }
        await rotateWithHook(ctx, name, s);
        report.rotated.push(name);
      } catch (err) {
        if (!(err instanceof VaultError)) throw err;
        report.failed.push({ name, message: err.message });
      }
    }
    const after = await openSession(ctx);
    report.status = checkStatus([...after.doc.entries.values()].map((e) => dueInfo(e, after.doc.config, ctx.clock.now()).state));
    return { report, status: report.failed.length ? Math.max(report.status, EXIT.failure) : report.status };
  } finally {
    lock.release();
  }
}
