// Two versions of one entry changed on two machines (vault sync): one stays active, the other's
// secrets are kept in its version history, so neither is lost and `vault rollback NAME --to N`
// picks the other. Settings (permissions, notes...) are the kept side's; the other side's whole
// file stays in git history.
import { Entry, Version } from './entry';
import { Secret } from './secret';

const sameSecrets = (a: Record<string, Secret>, b: Record<string, Secret>): boolean => {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k]!.equals(b[k]!));
};

export interface KeptBoth {
  entry: Entry;
  /** The version number the other side's active secrets now have in the history; null when
   *  they were already the kept side's (only settings differed) or already in its history. */
  keptAs: number | null;
}

/**
 * `winner` stays active; `other`'s active secrets, and any of its earlier versions the winner
 * lacks, join the winner's history as previous versions with new numbers. Never dropped by
 * the keep-versions limit here: a merge must not lose a version (the next rotation trims).
 */
export function keepBoth(winner: Entry, other: Entry, now: Date): KeptBoth {
  const e: Entry = { ...winner, history: [...(winner.history ?? [])] };
  const known = (s: Record<string, Secret>): boolean => sameSecrets(s, e.secrets) || e.history!.some((v) => sameSecrets(v.secrets, s));
  let next = Math.max(e.version ?? 1, ...e.history!.map((v) => v.n)) + 1;
  let keptAs: number | null = null;
  if (!known(other.secrets)) {
    keptAs = next++;
    // A key a removed recipient could read stays marked in the history (a rollback brings it back marked).
    const v: Version = { n: keptAs, activated: other.rotated ?? other.created, retired: now.toISOString(), state: 'previous', secrets: other.secrets, ...(other.exposed && { exposed: other.exposed }) };
    e.history!.unshift(v);
  }
  for (const old of other.history ?? []) {
    if (known(old.secrets)) continue;
    e.history!.push({ ...old, n: next++ });
  }
  if (!e.history!.length) delete e.history;
  e.updated = now.toISOString();
  return { entry: e, keptAs };
}
