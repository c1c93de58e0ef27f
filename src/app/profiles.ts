// vault profile: named exec recipes saved inside the vault.
import { NotFoundError, UsageError } from '../errors';
import { checkEntryName, printable } from '../domain/entry';
import { ENV_NAME, envNameProblem } from '../domain/env-names';
import { Profile, PROFILE_NAME } from '../domain/profile';
import { unknownNameHints } from '../domain/suggest';
import { fieldOf, findEntry } from './entries';
import type { AppContext } from './ports';
import { mutate, openSession } from './session';

export async function setProfile(ctx: AppContext, p: Profile): Promise<Profile> {
  if (!PROFILE_NAME.test(p.name)) throw new UsageError(`invalid profile name "${printable(p.name)}"`, ['names are 1-64 of a-z 0-9 . _ -']);
  for (const e of p.entries) checkEntryName(e);
  for (const v of [...Object.keys(p.map), ...Object.keys(p.files ?? {})]) {
    const problem = envNameProblem(v);
    if (problem) throw new UsageError(problem);
  }
  // A kept variable is the parent's own value passed through, not a secret put into it: only
  // its form is checked (PYTHONPATH may be kept, though it may never receive a secret).
  for (const v of p.keep) if (!ENV_NAME.test(v)) throw new UsageError(`"${printable(v)}" is not a valid variable name (A-Z, 0-9, _; not starting with a digit)`);
  return mutate(ctx, (s) => {
    for (const e of p.entries) findEntry(s.doc, e);
    // A field the entry lacks would only fail at the bot's next start, after the profile was saved.
    for (const r of [...Object.values(p.map), ...Object.values(p.files ?? {})]) fieldOf(findEntry(s.doc, r.entry), r.field);
    s.doc.profiles.set(p.name, p);
    return p;
  });
}

export function findProfile(profiles: Map<string, Profile>, name: string): Profile {
  const p = profiles.get(name);
  if (!p) throw new NotFoundError(`no profile named "${printable(name)}"`, unknownNameHints(name, profiles.keys(), 'see the profiles with: vault profile list'));
  return p;
}

export async function listProfiles(ctx: AppContext): Promise<Profile[]> {
  const s = await openSession(ctx);
  return [...s.doc.profiles.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
}

export async function removeProfile(ctx: AppContext, name: string): Promise<void> {
  await mutate(ctx, (s) => {
    findProfile(s.doc.profiles, name);
    s.doc.profiles.delete(name);
  });
}
