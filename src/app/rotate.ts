// Rotation: by hand (new fields typed or read), or unattended through a key source (the
// entry's hooks, or an exchange's sub-account API with a master key: --via).
// Order that never loses the only working key, each step recorded in the vault so a run
// killed at any point is finished by the next `rotate --due` (the rotation journal):
//   1. the entry notes that a rotation began (entry.rotating);
//   2. the key source makes the new key;
//   3. the new key is stored as the active version, in the same write that clears the note;
//      the old version is kept, marked with its grace window and, when the entry has a
//      restart command, "restart pending";
//   4. the restart command runs (its own audit record; a failure keeps the old key valid);
//   5. the old key is revoked once no bot launched with it still runs, or its window ends
//      (domain/overlap.ts), and only then marked revoked.
import * as path from 'node:path';
import { EXIT, ExchangeRefusedError, ExchangeUnreachableError, RotationError, UsageError, VaultError } from '../errors';
import type { VaultDoc } from '../domain/document';
import { Entry, Version } from '../domain/entry';
import { profileEntries } from '../domain/profile';
import { canonicalField, EXCHANGES, ExchangeId, ROTATE_STEPS } from '../domain/exchanges';
import { Masker } from '../domain/masker';
import { DEFAULT_REVOKE_AFTER_MS, DEFAULT_REVOKE_WHEN, Holder, revokeReadiness, RevokeWhen, unfinished } from '../domain/overlap';
import { checkStatus, dueInfo, DueState, rotateNow } from '../domain/schedule';
import { Secret } from '../domain/secret';
import { activate, DEFAULT_KEEP_VERSIONS, findVersion, markRevoked } from '../domain/versions';
import { runHook } from '../platform/hook';
import { RESTART_TIMEOUT_MS, runRestart } from '../platform/restart';
import { alert } from './alerts';
import { recordRelease } from './audit-writer';
import { findEntry, validateSecrets } from './entries';
import type { AppContext, ExchangeAdmin, RunRecord } from './ports';
import { mutate, openSession, Session } from './session';

/** How long a second `rotate --due` waits for the first (hooks can be slow). */
export const ROTATE_LOCK_TIMEOUT_MS = 15 * 60_000;
/** After a restart: how long the old bots get to exit before the revoke is left pending. */
export const RESTART_SETTLE_MS = 30_000;
const SETTLE_POLL_MS = 250;

/** What the CLI wires in: the built-in exchange adapters, and the settle time after a restart. */
export interface RotationDeps {
  admins?: (exchange: ExchangeId) => ExchangeAdmin | undefined;
  settleMs?: number;
}

/** Per-rotation choices (vault rotate's flags); the entry's, then the vault's settings otherwise. */
export interface RotateOptions {
  revokeAfterMs?: number;
  revokeWhen?: RevokeWhen;
  /** false: skip the restart step this time (--no-restart). */
  restart?: boolean;
  /** The master key entry (--via); remembered on the entry for later rotations. */
  via?: string;
}

/** An old version still waiting for its restart or its revoke, and why. */
export interface PendingRevoke {
  entry: string;
  version: number;
  /** The end of its grace window (null: recorded before windows existed). */
  revokeAfter: string | null;
  revokeWhen: RevokeWhen;
  /** 'interrupted': pending for longer than a restart may run (its rotate was killed). */
  restart: 'pending' | 'interrupted' | 'failed' | 'done' | null;
  /** Whether `rotate --due` would revoke it now. */
  due: boolean;
  why: string;
  /** The running `vault exec`s that were handed it; null when that cannot be told here. */
  heldBy: Holder[] | null;
}

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

/** What a rotate hook printed that may be a key, for masking its error output: the credential
 *  it returned, or, when that does not parse, every string in its JSON, or every long word. */
export function printedSecrets(stdout: string): Record<string, Secret> {
  try {
    return parseHookOutput(stdout);
  } catch {
    const found: string[] = [];
    const walk = (v: unknown): void => {
      if (typeof v === 'string') found.push(v);
      else if (v && typeof v === 'object') Object.values(v).forEach(walk);
    };
    try {
      walk(JSON.parse(stdout));
    } catch {
      found.push(...stdout.split(/[\s"'=,:;{}[\]]+/));
    }
    return Object.fromEntries(found.filter((v) => v.length >= 8).map((v, i) => [`printed${i}`, new Secret(v)]));
  }
}

/**
 * Where a new key comes from and how an old one is deleted: the entry's hooks, or an
 * exchange adapter with a master key. `revoke` is null when the source cannot delete keys
 * (no revoke hook): the old version then waits for a person (rotate --revoked).
 */
interface KeySource {
  /** For the journal and messages: "rotate-hook" or "via MASTER". */
  name: string;
  /** Records the release the source is about to make (before anything else is written). */
  record(): Promise<void>;
  create(): Promise<Record<string, Secret>>;
  revoke: ((old: Version) => Promise<void>) | null;
}

/** The revoke's release recorded before it happens. The new key is stored by then: a log
 *  that cannot be written leaves the old key valid, said as a failed revoke is (retried by
 *  vault rotate --due), not as a command that changed nothing. */
async function recordRevoke(ctx: AppContext, s: Session, name: string, event: Parameters<typeof recordRelease>[2]): Promise<void> {
  try {
    await recordRelease(ctx, s.dataKey, event);
  } catch (err) {
    if (!(err instanceof VaultError)) throw err;
    throw new RotationError(`${name}: the new key is stored, but the revoke could not be recorded (${err.message}); the old key is still valid`, ['it is retried by: vault rotate --due', ...err.hints]);
  }
}

function hookSource(ctx: AppContext, s: Session, e: Entry, hook: string): KeySource {
  const revokeHook = e.rotation?.revokeHook;
  return {
    name: 'rotate-hook',
    // The current credential goes to the hook: that is a release, recorded first.
    record: async () => void (await recordRelease(ctx, s.dataKey, { cmd: 'rotate', program: 'rotate-hook', entries: [{ entry: e.name, fields: Object.keys(e.secrets).sort() }] })),
    create: async () => {
      // Its error output is shown once it has exited, masked with the key it returned as well.
      const r = await runHook(hook, credentialJson(e, e.secrets, e.version ?? 1), (stdout) => masker(e.secrets, printedSecrets(stdout)));
      try {
        if (r.status !== 0) throw new RotationError(`${e.name}: the rotate hook failed (${r.timedOut ? 'timed out' : `exit ${r.status}`}); the current key stays active`);
        try {
          const fresh = parseHookOutput(r.stdout);
          validateSecrets(e.exchange, fresh);
          return fresh;
        } catch (err) {
          // The hook ran to the end: whatever key it made on the exchange is not stored here.
          if (!(err instanceof VaultError)) throw err;
          throw new RotationError(`${e.name}: ${err.message}; the current key stays active`, [
            'the hook exited 0, so it may have made a key on the exchange that is not stored here: check the exchange\'s key list and delete a key you do not expect',
            ...err.hints,
          ]);
        }
      } catch (err) {
        await alert(ctx, s, 'rotation-failed', { entry: e.name, step: 'rotate', status: r.status });
        throw err;
      }
    },
    revoke: revokeHook
      ? async (old) => {
          // The old credential goes to the revoke hook: a release like any other, recorded first.
          await recordRevoke(ctx, s, e.name, { cmd: 'revoke', program: 'revoke-hook', entries: [{ entry: e.name, fields: Object.keys(old.secrets).sort() }] });
          const r = await runHook(revokeHook, credentialJson(e, old.secrets, old.n), masker(old.secrets, e.secrets));
          if (r.status !== 0) {
            await alert(ctx, s, 'rotation-failed', { entry: e.name, step: 'revoke', status: r.status });
            throw new RotationError(`${e.name}: the new key is stored, but the revoke hook failed (${r.timedOut ? 'timed out' : `exit ${r.status}`}); the old key is still valid`, ['it is retried by: vault rotate --due', `or revoke it by hand, then: vault rotate ${e.name} --revoked`]);
          }
        }
      : null,
  };
}

function adminSource(ctx: AppContext, s: Session, e: Entry, via: string, deps: RotationDeps): KeySource {
  const master = findEntry(s.doc, via);
  if (master.name === e.name) throw new UsageError('--via names the master key entry, not the entry being rotated');
  if (master.exchange !== e.exchange) throw new UsageError(`${via} is a ${EXCHANGES[master.exchange].title} key; ${e.name} is ${EXCHANGES[e.exchange].title}`);
  const admin = deps.admins?.(e.exchange);
  const hookHint = [`use a rotate hook instead: vault edit ${e.name} --rotate-hook CMD`];
  if (!admin) throw new UsageError(`built-in rotation is not available for ${EXCHANGES[e.exchange].title} keys`, hookHint);
  const why = admin.unsupported(e.exchange);
  if (why) throw new UsageError(`${why}: ${e.name} cannot be rotated --via ${via}`, hookHint);
  if (!e.account) throw new UsageError(`${e.name} names no sub-account for the exchange to make its key in`, [`set it with: vault edit ${e.name} --account SUB`]);
  const account = e.account;
  const cred = { exchange: master.exchange, secrets: master.secrets };
  const apiKeyOf = (secrets: Record<string, Secret>) => {
    const k = secrets.apiKey;
    if (!k) throw new UsageError(`${e.name} has no apiKey field for the exchange to find the key by`);
    return k.reveal();
  };
  const failed = async (step: string, err: unknown, what: string): Promise<never> => {
    if (!(err instanceof VaultError)) throw err;
    await alert(ctx, s, 'rotation-failed', { entry: e.name, step, status: null });
    // The exchange's own exit status (12 refused, 13 unreachable) is kept: cron tells them apart.
    const message = `${e.name}: ${what} (${err.message})`;
    if (err instanceof ExchangeRefusedError) throw new ExchangeRefusedError(message, err.hints);
    if (err instanceof ExchangeUnreachableError) throw new ExchangeUnreachableError(message, err.hints);
    throw new RotationError(message, err.hints);
  };
  return {
    name: `via ${via}`,
    // The master key is used, and the entry's key id is sent: both recorded first.
    record: async () => void (await recordRelease(ctx, s.dataKey, { cmd: 'rotate', program: `via ${via}`, entries: [{ entry: via, fields: Object.keys(master.secrets).sort() }, { entry: e.name, fields: ['apiKey'] }] })),
    create: async () => {
      try {
        const fresh = (await admin.createKeyLike(cred, { account, permissions: e.permissions, ips: e.ips, ...(e.label && { label: e.label }) })).secrets;
        validateSecrets(e.exchange, fresh);
        return fresh;
      } catch (err) {
        return failed('rotate', err, 'the exchange did not make a new key; the current key stays active');
      }
    },
    revoke: async (old) => {
      // The master key signs the delete, which names the old key: recorded first.
      await recordRevoke(ctx, s, e.name, { cmd: 'revoke', program: `via ${via}`, entries: [{ entry: via, fields: Object.keys(master.secrets).sort() }, { entry: e.name, fields: ['apiKey'] }] });
      try {
        await admin.deleteKey(cred, { account, apiKey: apiKeyOf(old.secrets), secrets: old.secrets });
      } catch (err) {
        await failed('revoke', err, 'the new key is stored, but the exchange did not delete the old one; it is still valid and retried by vault rotate --due');
      }
    },
  };
}

/** The entry's key source (--via first, then the hook), or null when a person must rotate it. */
function sourceFor(ctx: AppContext, s: Session, e: Entry, deps: RotationDeps, via?: string): KeySource | null {
  const master = via ?? e.rotation?.via;
  if (master) return adminSource(ctx, s, e, master, deps);
  return e.rotation?.hook ? hookSource(ctx, s, e, e.rotation.hook) : null;
}

/** The runs still holding version n of an entry; null when runs cannot be seen here. */
function holdersOf(runs: RunRecord[] | null, name: string, n: number): Holder[] | null {
  if (!runs) return null;
  return runs.filter((r) => r.entries.some((x) => x.entry === name && x.version === n)).map((r) => ({ pid: r.pid, program: r.program, since: r.since }));
}

const liveRuns = (ctx: AppContext): RunRecord[] | null => (ctx.runs ? ctx.runs.live() : null);

/** The pending revokes of one entry, as check and show report them. */
export function pendingOf(ctx: AppContext, e: Entry, runs: RunRecord[] | null): PendingRevoke[] {
  const now = ctx.clock.now();
  return unfinished(e.history).map((v) => {
    const heldBy = holdersOf(runs, e.name, v.n);
    // A restart still pending after its timeout (and a minute) cannot still be running: the
    // rotate that ran it was killed. Said, so check does not stay 0 while the bots keep the old key.
    const interrupted = v.restart === 'pending' && now.getTime() - Date.parse(v.retired) > RESTART_TIMEOUT_MS + 60_000;
    const r = interrupted
      ? { due: false, why: 'the restart was interrupted (vault rotate --due runs it again)' }
      : v.revokePending
        ? revokeReadiness(v, heldBy, now)
        : { due: false, why: v.restart === 'failed' ? 'the restart command failed' : 'the restart has not run yet' };
    return { entry: e.name, version: v.n, revokeAfter: v.revokeAfter ?? null, revokeWhen: v.revokeWhen ?? DEFAULT_REVOKE_WHEN, restart: interrupted ? 'interrupted' : (v.restart ?? null), due: r.due, why: r.why, heldBy };
  });
}

/** Every entry's pending revokes (vault check). */
export function pendingRevokes(ctx: AppContext, entries: Iterable<Entry>): PendingRevoke[] {
  const runs = liveRuns(ctx);
  return [...entries].flatMap((e) => pendingOf(ctx, e, runs));
}

/** vault show: the entry, with what its old versions still wait for. */
export async function entryWithPending(ctx: AppContext, name: string): Promise<{ entry: Entry; pending: PendingRevoke[] }> {
  const e = findEntry((await openSession(ctx)).doc, name);
  return { entry: e, pending: unfinished(e.history).length ? pendingOf(ctx, e, liveRuns(ctx)) : [] };
}

const statusText = (r: { status: number | null; timedOut: boolean }) => (r.timedOut ? 'timed out' : r.status === null ? 'could not start' : `exit ${r.status}`);

/** The restart commands a rotation of this entry runs: its own, then each profile's that hands it out. */
export function restartCommands(doc: VaultDoc, e: Entry): { argv: string[]; profile?: string }[] {
  const out: { argv: string[]; profile?: string }[] = e.rotation?.restart ? [{ argv: e.rotation.restart }] : [];
  for (const p of [...doc.profiles.values()].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (p.restart && profileEntries(p).includes(e.name)) out.push({ argv: p.restart, profile: p.name });
  }
  return out;
}

/** Step 4: the restart commands, for the version that waits for them. Throws when one fails. */
async function restartStep(ctx: AppContext, s: Session, name: string, n: number): Promise<void> {
  const e = findEntry(s.doc, name);
  let failed: string | null = null;
  for (const { argv, profile } of restartCommands(s.doc, e)) {
    const r = await runRestart(argv, masker(e.secrets, ...(e.history ?? []).map((v) => v.secrets)));
    const ok = r.status === 0;
    const why = `${statusText(r)}${profile ? ` (profile ${profile})` : ''}`;
    // Its own record: which command ran for which entry, and how it ended (no secret was given).
    await recordRelease(ctx, s.dataKey, { cmd: 'restart', program: `${path.basename(argv[0]!).slice(0, 200)}${profile ? ` (profile ${profile})` : ''}`, entries: [{ entry: name, fields: [] }], result: ok ? 0 : statusText(r) });
    if (!ok) {
      failed = why;
      break;
    }
  }
  await mutate(ctx, (s2) => {
    findVersion(findEntry(s2.doc, name), n).restart = failed === null ? 'done' : 'failed';
  }, s.keys);
  if (failed !== null) {
    await alert(ctx, s, 'rotation-failed', { entry: name, step: 'restart', status: failed });
    throw new RotationError(`${name}: the new key is stored, but the restart command failed (${failed}); the old key stays valid`, [
      `fix it (vault edit ${name} --restart CMD, or the profile's), then: vault rotate --due`,
      `or, once the bots run the new key: vault rotate ${name} --restarted`,
    ]);
  }
}

/** Waits (bounded) for the bots a restart replaced to exit; returns who still holds version n. */
async function settle(ctx: AppContext, name: string, n: number, ms: number): Promise<Holder[] | null> {
  const until = Date.now() + ms;
  for (;;) {
    const held = holdersOf(liveRuns(ctx), name, n);
    if (!held?.length || Date.now() >= until) return held;
    await new Promise((r) => setTimeout(r, SETTLE_POLL_MS));
  }
}

/** Step 5 for one version: revoke through the source, then record it. */
async function revokeVersion(ctx: AppContext, s: Session, name: string, old: Version, source: KeySource): Promise<void> {
  await source.revoke!(old);
  try {
    await mutate(ctx, (s2) => markRevoked(findEntry(s2.doc, name), old.n, ctx.clock.now()), s.keys);
  } catch (err) {
    if (!(err instanceof VaultError)) throw err;
    // The rotation itself is committed: say so, and what is left, rather than only the failure.
    throw new RotationError(`${name}: the new key is stored and the old one was revoked, but the revocation could not be recorded (${err.message.replace(/^could not write /, '')})`, ['the old version shows as revoke pending; vault rotate --due revokes it again', ...err.hints]);
  }
}

/**
 * Steps 4 and 5 for whatever an entry has left: the restart (when one waits), then each old
 * version whose revoke is due. Returns what is still pending; throws when a step failed.
 */
export async function finishEntry(ctx: AppContext, name: string, deps: RotationDeps = {}, opened?: { s: Session; e: Entry }): Promise<{ revoked: number[]; pending: PendingRevoke[] }> {
  const s = opened?.s ?? (await openSession(ctx));
  const e = opened?.e ?? findEntry(s.doc, name);
  const waiting = unfinished(e.history).find((v) => v.restart === 'pending' || v.restart === 'failed');
  if (waiting) {
    await restartStep(ctx, s, name, waiting.n);
    // restartStep recorded it; the copy in hand follows (no second read of the vault).
    waiting.restart = 'done';
  }
  const revoked: number[] = [];
  const toRevoke = (e.history ?? []).filter((v) => v.revokePending);
  let runs = toRevoke.length ? liveRuns(ctx) : null;
  for (const v of toRevoke) {
    let held = holdersOf(runs, name, v.n);
    // The restart has just replaced the bots: give the old ones a moment to exit.
    if (waiting && held?.length) {
      held = await settle(ctx, name, v.n, deps.settleMs ?? RESTART_SETTLE_MS);
      runs = liveRuns(ctx);
    }
    if (!revokeReadiness(v, held, ctx.clock.now()).due) continue;
    const source = sourceFor(ctx, s, e, deps);
    if (!source?.revoke) throw new RotationError(`${name}: version ${v.n} is due to be revoked, but the entry has no revoke hook or master key any more`, [`revoke it on the exchange, then: vault rotate ${name} --revoked ${v.n}`]);
    await revokeVersion(ctx, s, name, v, source);
    revoked.push(v.n);
  }
  const left = { ...e, history: (e.history ?? []).filter((v) => !revoked.includes(v.n)) };
  return { revoked, pending: toRevoke.length || waiting ? pendingOf(ctx, left, runs ?? liveRuns(ctx)) : [] };
}

export interface RotationResult {
  version: number;
  /** The old versions revoked by this run. */
  revoked: number[];
  /** What is left waiting (the old version kept valid, and who holds it). */
  pending: PendingRevoke[];
  /** Whether the source can revoke at all (false: a hook without a revoke hook). */
  revocable: boolean;
}

/** Steps 1 to 5 through a key source. */
async function rotateThrough(ctx: AppContext, s: Session, name: string, source: KeySource, opts: RotateOptions, deps: RotationDeps): Promise<RotationResult> {
  // The record first: when the log cannot be written, nothing is changed or released.
  await source.record();
  await mutate(ctx, (s2) => {
    const e2 = findEntry(s2.doc, name);
    e2.rotating = { since: ctx.clock.now().toISOString(), source: source.name };
    if (opts.via) e2.rotation = { ...e2.rotation, via: opts.via };
  }, s.keys);
  let fresh: Record<string, Secret>;
  try {
    fresh = await source.create();
    try {
      refuseKnownKey(findEntry(s.doc, name), fresh, source.name);
    } catch (err) {
      await alert(ctx, s, 'rotation-failed', { entry: name, step: 'rotate', status: 0 });
      throw err;
    }
  } catch (err) {
    // It failed and said so: nothing is left to resume (a crash, not a failure, keeps the note).
    await mutate(ctx, (s2) => void delete findEntry(s2.doc, name).rotating, s.keys).catch(() => undefined);
    throw err;
  }
  const stored = await storeNew(ctx, s, name, source, fresh, opts);
  const { revoked, pending } = await finishEntry(ctx, name, deps, { s, e: stored });
  return { version: stored.version ?? 1, revoked, pending, revocable: Boolean(source.revoke) };
}

/**
 * A "new" key that is the active one or one still kept valid would be revoked as old (revokes
 * delete by API key), taking down the key every bot uses: refused before anything is stored.
 */
function refuseKnownKey(e: Entry, fresh: Record<string, Secret>, sourceName: string): void {
  const same = (a: Record<string, Secret>): boolean => {
    if (a.apiKey && fresh.apiKey) return a.apiKey.reveal() === fresh.apiKey.reveal();
    const names = Object.keys(fresh);
    return names.length > 0 && names.every((k) => a[k]?.reveal() === fresh[k]!.reveal());
  };
  const live = [{ n: e.version ?? 1, secrets: e.secrets }, ...(e.history ?? []).filter((v) => v.state !== 'revoked')];
  const hit = live.find((v) => same(v.secrets));
  if (!hit) return;
  const from = sourceName === 'rotate-hook' ? 'the rotate hook' : 'the exchange';
  throw new RotationError(`${e.name}: ${from} returned the key of version ${hit.n} (same API key), not a new one: nothing was stored or revoked; the current key stays active`, ['a rotate hook must print a key it has just made; one that keeps the API key and changes only the secret cannot be rotated through hooks (revokes delete by API key)']);
}

/** Step 3, the commit point: the new key active, the old one kept with its overlap, the note cleared. */
async function storeNew(ctx: AppContext, s: Session, name: string, source: KeySource, fresh: Record<string, Secret>, opts: RotateOptions): Promise<Entry> {
  try {
    return await storeNewWrite(ctx, s, name, source, fresh, opts);
  } catch (err) {
    if (!(err instanceof VaultError)) throw err;
    // The old key is still the active one; the note of step 1 stays, so cron starts over.
    err.hints.push(`the current key stays active; the rotation is noted in the vault and vault rotate --due starts it again (a key the ${source.name === 'rotate-hook' ? 'hook' : 'exchange'} made now may be left on the exchange)`);
    throw err;
  }
}

function storeNewWrite(ctx: AppContext, s: Session, name: string, source: KeySource, fresh: Record<string, Secret>, opts: RotateOptions): Promise<Entry> {
  return mutate(ctx, (s2) => {
    const e2 = findEntry(s2.doc, name);
    const now = ctx.clock.now();
    const retired = activate(e2, fresh, now, keepOf(s2), Boolean(source.revoke));
    if (source.revoke) {
      const windowMs = opts.revokeAfterMs ?? e2.rotation?.revokeAfterMs ?? s2.doc.config.revokeAfterMs ?? DEFAULT_REVOKE_AFTER_MS;
      retired.revokeAfter = new Date(now.getTime() + windowMs).toISOString();
      retired.revokeWhen = opts.revokeWhen ?? e2.rotation?.revokeWhen ?? s2.doc.config.revokeWhen ?? DEFAULT_REVOKE_WHEN;
    }
    if (restartCommands(s2.doc, e2).length && opts.restart !== false) retired.restart = 'pending';
    delete e2.rotating;
    return e2;
  }, s.keys);
}

/** Unattended rotation through the entry's hook (or its master key), then restart and revoke. */
export async function rotateWithHook(ctx: AppContext, name: string, opened?: Session, opts: RotateOptions = {}, deps: RotationDeps = {}): Promise<RotationResult> {
  const s = opened ?? (await openSession(ctx));
  const e = findEntry(s.doc, name);
  const source = sourceFor(ctx, s, e, deps, opts.via);
  if (!source) throw new UsageError(`${name} has no rotate hook`, [`set one with: vault edit ${name} --rotate-hook CMD`, 'or rotate by hand: vault rotate ' + name]);
  return rotateThrough(ctx, s, name, source, opts, deps);
}

/** Stores new secrets as the active version (by hand); the restart step follows when the entry has one. */
export async function rotateManual(ctx: AppContext, name: string, secrets: Record<string, Secret>, opts: RotateOptions = {}): Promise<Version> {
  return mutate(ctx, async (s) => {
    const e = findEntry(s.doc, name);
    for (const w of validateSecrets(e.exchange, secrets)) ctx.notices.warn(w);
    const retired = activate(e, secrets, ctx.clock.now(), keepOf(s), false);
    if (restartCommands(s.doc, e).length && opts.restart !== false) retired.restart = 'pending';
    await recordRelease(ctx, s.dataKey, { cmd: 'rotate', entries: [{ entry: name, fields: Object.keys(secrets).sort() }], result: `version ${e.version}` });
    return retired;
  });
}

export async function markVersionRevoked(ctx: AppContext, name: string, n?: number): Promise<Version> {
  return mutate(ctx, (s) => markRevoked(findEntry(s.doc, name), n, ctx.clock.now()));
}

/** vault rotate NAME --restarted: the bots were restarted by hand; the revoke may go ahead. */
export async function markRestarted(ctx: AppContext, name: string): Promise<number> {
  return mutate(ctx, (s) => {
    const v = unfinished(findEntry(s.doc, name).history).find((x) => x.restart === 'pending' || x.restart === 'failed');
    if (!v) throw new UsageError(`${name} has no restart waiting`);
    v.restart = 'done';
    return v.n;
  });
}

export type RotateOutcome = ({ via: 'source' } & RotationResult) | { via: 'hand'; retired: Version; pending: PendingRevoke[] };

/**
 * vault rotate NAME: through the entry's key source when it has one (unless `byHand`); else
 * by hand: what to do on the exchange is shown, then `readFields` gives the new fields.
 */
export async function rotateEntry(ctx: AppContext, name: string, byHand: boolean, readFields: (e: Entry) => Promise<Record<string, Secret>>, opts: RotateOptions = {}, deps: RotationDeps = {}): Promise<RotateOutcome> {
  const s = await openSession(ctx);
  const e = findEntry(s.doc, name);
  if ((opts.via || e.rotation?.via || e.rotation?.hook) && !byHand) return { via: 'source', ...(await rotateWithHook(ctx, name, s, opts, deps)) };
  if (opts.via) throw new UsageError('--via makes the new key through the exchange; it cannot be combined with a rotation by hand');
  ctx.notices.info(`${EXCHANGES[e.exchange].title}: ${ROTATE_STEPS[e.exchange]}`);
  if (e.ips.length) ctx.notices.info(`IP allow-list to set: ${e.ips.join(', ')}`);
  if (e.permissions.length) ctx.notices.info(`permissions to copy: ${e.permissions.join(', ')}`);
  const retired = await rotateManual(ctx, name, await readFields(e), opts);
  const { pending } = await finishEntry(ctx, name, deps);
  return { via: 'hand', retired, pending };
}

export interface DueReport {
  rotated: string[];
  /** Due but without a hook: a person must rotate them. */
  manual: { name: string; state: DueState; reason: string }[];
  failed: { name: string; message: string }[];
  /** Old keys still kept valid after this run (bots hold them, or their window is open). */
  pending: PendingRevoke[];
  /** As `vault check` would report after the run: 0, 10 or 11. */
  status: 0 | 10 | 11;
}

/**
 * Rotates what is due and has a key source, resumes rotations a killed run left, and
 * finishes restarts and revokes left pending. Serialised between runs. Its exit status is
 * check's after the run, and at least 1 when a step failed.
 */
export async function rotateDue(ctx: AppContext, deps: RotationDeps = {}): Promise<{ report: DueReport; status: number }> {
  const lock = await ctx.vault.lock('rotate', ROTATE_LOCK_TIMEOUT_MS);
  try {
    const report: DueReport = { rotated: [], manual: [], failed: [], pending: [], status: 0 };
    const first = await openSession(ctx);
    // Re-read for each entry: an overlapping run may have rotated it meanwhile.
    for (const name of [...first.doc.entries.keys()].sort()) {
      const s = await openSession(ctx);
      const e = s.doc.entries.get(name);
      if (!e) continue;
      try {
        if (e.rotating) {
          // Killed between asking for a new key and storing it: the old key is still the
          // active one. Start again; a key the source may have made then is not known here.
          const source = sourceFor(ctx, s, e, deps);
          ctx.notices.warn(`${name}: a rotation started at ${e.rotating.since} did not finish; the current key is still active${source ? ', rotating again' : ''} (a key it may have made on the exchange then is unknown to the vault: delete it there if you find one)`);
          if (!source) {
            await mutate(ctx, (s2) => void delete findEntry(s2.doc, name).rotating, s.keys);
          } else {
            const r = await rotateThrough(ctx, s, name, source, {}, deps);
            report.rotated.push(name);
            report.pending.push(...r.pending);
            continue;
          }
        }
        const left = await finishEntry(ctx, name, deps, { s, e });
        const d = dueInfo(e, s.doc.config, ctx.clock.now());
        if (!rotateNow(d)) {
          report.pending.push(...left.pending);
          continue;
        }
        const source = sourceFor(ctx, s, e, deps);
        if (!source) {
          report.pending.push(...left.pending);
          report.manual.push({ name, state: d.state, reason: d.rule!.reason });
          continue;
        }
        const r = await rotateThrough(ctx, s, name, source, {}, deps);
        report.rotated.push(name);
        report.pending.push(...r.pending);
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
