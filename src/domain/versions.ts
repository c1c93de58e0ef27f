// Keeping every earlier version of an entry's secrets: a rotation retires the active one,
// a rollback brings an earlier one back, a revocation records that the exchange deleted it.
import { NotFoundError, UsageError } from '../errors';
import { Entry, Exposure, Version } from './entry';
import { Secret } from './secret';

export const DEFAULT_KEEP_VERSIONS = 10;

/** Makes new secrets the active version; the current one becomes "previous". Returns it. */
export function activate(e: Entry, secrets: Record<string, Secret>, now: Date, keep: number, revokePending: boolean): Version {
  const retired: Version = {
    n: e.version ?? 1,
    activated: e.rotated ?? e.created,
    retired: now.toISOString(),
    state: 'previous',
    secrets: e.secrets,
    ...(revokePending && { revokePending: true }),
    // The exposure belongs to that key: it goes into the history with it.
    ...(e.exposed && { exposed: e.exposed }),
  };
  const history = [retired, ...(e.history ?? [])];
  e.version = Math.max(...history.map((v) => v.n)) + 1;
  e.secrets = { ...secrets };
  e.rotated = now.toISOString();
  e.updated = now.toISOString();
  // The expiry date was the old key's; the new one's, if any, is set with vault edit --expires.
  delete e.expires;
  // What the exchange reported was about the old key (vault verify asks again for the new one).
  delete e.verified;
  // A removed recipient could read the old key, never this one.
  delete e.exposed;
  // The oldest go first; one previous version is always kept so a rollback stays possible.
  e.history = history.slice(0, Math.max(1, keep));
  return retired;
}

export function findVersion(e: Entry, n: number): Version {
  const v = e.history?.find((x) => x.n === n);
  if (!v) throw new NotFoundError(`${e.name} has no earlier version ${n}`, ['see its versions with: vault history ' + e.name]);
  return v;
}

/** The version a rollback would make active (the newest previous one by default). */
export function rollbackTarget(e: Entry, to: number | undefined): Version {
  const target = to === undefined ? e.history?.find((v) => v.state === 'previous') : findVersion(e, to);
  if (!target) throw new UsageError(`${e.name} has no earlier version that is still valid`);
  if (target.state === 'revoked') throw new UsageError(`version ${target.n} of ${e.name} was revoked on the exchange; it would not work`);
  return target;
}

/**
 * Whether a removed recipient could read version `v`: its own mark, or (a vault revoked before
 * versions carried the mark) an active mark from a time when `v` was already in the record.
 */
export function versionExposure(e: Entry, v: Version): Exposure | undefined {
  if (v.exposed) return v.exposed;
  return e.exposed && v.activated < e.exposed.at ? e.exposed : undefined;
}

/** Makes an earlier version active again (the newest previous one by default). */
export function rollback(e: Entry, to: number | undefined, now: Date): Version {
  const target = rollbackTarget(e, to);
  const exposed = versionExposure(e, target);
  const current: Version = { n: e.version ?? 1, activated: e.rotated ?? e.created, retired: now.toISOString(), state: 'previous', secrets: e.secrets, ...(e.exposed && { exposed: e.exposed }) };
  e.history = [current, ...(e.history ?? []).filter((v) => v !== target)];
  e.secrets = target.secrets;
  e.version = target.n;
  // A key a removed recipient could read stays exposed whichever version is active.
  if (exposed) e.exposed = exposed;
  else delete e.exposed;
  // Its age counts from when it first became active: exchange rules count from creation.
  e.rotated = target.activated;
  e.updated = now.toISOString();
  delete e.verified;
  return target;
}

/** Records that the exchange no longer accepts a version (the newest previous by default). */
export function markRevoked(e: Entry, n: number | undefined, now: Date): Version {
  const v = n === undefined ? e.history?.find((x) => x.state === 'previous') : findVersion(e, n);
  if (!v) throw new UsageError(`${e.name} has no earlier version waiting to be revoked`);
  v.state = 'revoked';
  v.revokedAt = now.toISOString();
  delete v.revokePending;
  e.updated = now.toISOString();
  return v;
}
