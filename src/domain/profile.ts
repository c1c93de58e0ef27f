// A saved exec recipe: which entries a bot gets, under which names, and what it may receive.
export const PROFILE_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export interface FieldRef {
  entry: string;
  field: string;
}

export interface Profile {
  name: string;
  entries: string[];
  /** VAR -> entry.field, overriding default and entry names. */
  map: Record<string, FieldRef>;
  pristine: boolean;
  allowWithdraw: boolean;
  /** Extra variables kept from the parent environment with pristine. */
  keep: string[];
  /** VAR -> entry.field handed over as a private file (exec --file); absent when none. */
  files?: Record<string, FieldRef>;
  /** Restarts the bot this profile launches after a rotation of any of its entries: a
   *  program and its arguments, run without a shell (domain/overlap.ts). */
  restart?: string[];
}

/** The entries a profile hands out (listed, mapped, or as files). */
export function profileEntries(p: Profile): string[] {
  return [...new Set([...p.entries, ...Object.values(p.map).map((r) => r.entry), ...Object.values(p.files ?? {}).map((r) => r.entry)])];
}

/** "binance-main.apiKey" -> { entry, field }; null when it is not of that form. */
export function parseFieldRef(text: string): FieldRef | null {
  const m = /^([a-z0-9][a-z0-9._-]{0,63})\.([A-Za-z][A-Za-z0-9_]{0,31})$/.exec(text);
  return m ? { entry: m[1]!, field: m[2]! } : null;
}

/** "vault://binance-main/apiKey" (as `op read` takes op://...) -> { entry, field }; null otherwise. */
export function parseVaultUri(text: string): FieldRef | null {
  const m = /^vault:\/\/([a-z0-9][a-z0-9._-]{0,63})\/([A-Za-z][A-Za-z0-9_]{0,31})$/.exec(text);
  return m ? { entry: m[1]!, field: m[2]! } : null;
}
