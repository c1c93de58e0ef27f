// What `vault exec` gives the child: exactly the requested secrets under checked names, on
// top of the parent's environment (or a small allow-list with pristine). Everything that
// must be refused is refused here, before anything runs.
import { NotFoundError, UsageError } from '../errors';
import { VaultDoc } from './document';
import { assertReleasable, Entry, printable, refuseNul, storedField } from './entry';
import { EnvFileLine } from './env-file';
import { defaultEnvName, envNameProblem } from './env-names';
import { FieldRef } from './profile';
import { unknownNameHints } from './suggest';
import { Secret } from './secret';

/** Set in the child's environment so a nested `vault exec` can refuse to run. */
export const EXEC_MARKER = 'EXVAULT_EXEC';
export const PRISTINE_KEEP = ['PATH', 'HOME', 'USER', 'LANG', 'TERM', 'TZ'];

export interface ExecRequest {
  entries: string[];
  map: Record<string, FieldRef>;
  /** VAR -> entry.field given as a private file, VAR holding its path (--file). */
  files?: Record<string, FieldRef>;
  envFile?: EnvFileLine[];
  pristine: boolean;
  keep: string[];
  allowWithdraw: boolean;
  override: boolean;
}

export interface PlannedVar {
  name: string;
  entry: string;
  field: string;
  value: Secret;
}

export interface ExecPlan {
  vars: PlannedVar[];
  /** Secrets handed over as files: `name` receives the file's path. */
  files: PlannedVar[];
  /** Plain (non-vault) values from an env file. */
  plain: { name: string; value: string }[];
  /** The child's environment without the secrets. */
  baseEnv: Record<string, string>;
}

function entryFor(doc: VaultDoc, name: string, req: ExecRequest, today: string): Entry {
  const e = doc.entries.get(name);
  if (!e) throw new NotFoundError(`no entry named "${printable(name)}"`, unknownNameHints(name, doc.entries.keys(), 'see the entries with: vault list'));
  assertReleasable(e, req.allowWithdraw, today);
  return e;
}

export function refuseNested(parentEnv: Record<string, string | undefined>): void {
  if (parentEnv[EXEC_MARKER]) {
    throw new UsageError('refusing to run vault exec inside another vault exec', ['the outer one already passed its secrets; give it the entries this program needs']);
  }
}

export function planExec(doc: VaultDoc, req: ExecRequest, parentEnv: Record<string, string | undefined>, today: string): ExecPlan {
  refuseNested(parentEnv);
  const byName = new Map<string, PlannedVar>();
  const sourceOf = (v: PlannedVar) => `${v.entry}.${v.field}`;
  const add = (v: PlannedVar) => {
    const problem = envNameProblem(v.name);
    if (problem) throw new UsageError(problem);
    refuseNul(v.entry, v.field, v.value);
    const prior = byName.get(v.name);
    if (prior && sourceOf(prior) !== sourceOf(v)) {
      throw new UsageError(`two secrets would be injected as ${v.name}: ${sourceOf(prior)} and ${sourceOf(v)}`, ['map one of them to another name with --map VAR=entry.field']);
    }
    byName.set(v.name, v);
  };

  // Explicit names (--map, profile map, env file) win over entry mappings and defaults.
  // A field may be named as CCXT names it (secret, password): resolved to the stored name here.
  const explicit: [string, FieldRef][] = [...Object.entries(req.map), ...(req.envFile ?? []).flatMap((l) => ('ref' in l ? [[l.name, l.ref] as [string, FieldRef]] : []))].map(([v, r]) => {
    const e = doc.entries.get(r.entry);
    return [v, { entry: r.entry, field: (e && storedField(e, r.field)) ?? r.field }];
  });
  const asFiles: [string, FieldRef][] = Object.entries(req.files ?? {}).map(([v, r]) => {
    const e = doc.entries.get(r.entry);
    return [v, { entry: r.entry, field: (e && storedField(e, r.field)) ?? r.field }];
  });
  const renamed = new Set([...explicit, ...asFiles].map(([, r]) => `${r.entry}.${r.field}`));
  for (const name of req.entries) {
    const e = entryFor(doc, name, req, today);
    for (const [field, value] of Object.entries(e.secrets).sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (renamed.has(`${e.name}.${field}`)) continue;
      add({ name: e.env[field] ?? defaultEnvName(e.name, field), entry: e.name, field, value });
    }
  }
  for (const [varName, ref] of explicit) {
    const e = entryFor(doc, ref.entry, req, today);
    const value = e.secrets[ref.field];
    if (!value) throw new NotFoundError(`entry "${e.name}" has no field "${printable(ref.field)}"`, [`its fields: ${Object.keys(e.secrets).join(', ')}`]);
    add({ name: varName, entry: e.name, field: ref.field, value });
  }
  const files: PlannedVar[] = [];
  for (const [varName, ref] of asFiles) {
    const e = entryFor(doc, ref.entry, req, today);
    const value = e.secrets[ref.field];
    if (!value) throw new NotFoundError(`entry "${e.name}" has no field "${printable(ref.field)}"`, [`its fields: ${Object.keys(e.secrets).join(', ')}`]);
    const problem = envNameProblem(varName);
    if (problem) throw new UsageError(problem);
    refuseNul(e.name, ref.field, value);
    if (byName.has(varName) || files.some((f) => f.name === varName)) throw new UsageError(`${varName} is given twice (--file and another source)`);
    files.push({ name: varName, entry: e.name, field: ref.field, value });
  }
  if (byName.size === 0 && files.length === 0) throw new UsageError('nothing to inject: name entries, a profile, --map, --file or an env file');

  const plain: { name: string; value: string }[] = [];
  for (const l of req.envFile ?? []) {
    if ('value' in l) {
      const problem = envNameProblem(l.name);
      if (problem) throw new UsageError(problem);
      if (byName.has(l.name)) throw new UsageError(`${l.name} is given twice: as a secret and as a plain value in the env file`);
      plain.push({ name: l.name, value: l.value });
    }
  }

  const baseEnv: Record<string, string> = {};
  const keep = new Set([...PRISTINE_KEEP, ...req.keep]);
  for (const [k, v] of Object.entries(parentEnv)) {
    if (v === undefined) continue;
    // Unlock settings stay with the wrapper: the child gets secrets, not the means to open the vault.
    if (k.startsWith('EXVAULT_')) continue;
    if (req.pristine && !keep.has(k)) continue;
    baseEnv[k] = v;
  }
  for (const name of [...byName.keys(), ...files.map((f) => f.name), ...plain.map((p) => p.name)]) {
    if (name in baseEnv && !req.override) {
      throw new UsageError(`${name} is already set in the environment`, ['pass --override to replace it, or map the secret to another name']);
    }
  }
  return { vars: [...byName.values()], files, plain, baseEnv };
}

/** The child's full environment: base, plain values, secrets, the paths of secret files
 *  (`filePaths`, VAR -> path), and the nesting marker. */
export function childEnv(plan: ExecPlan, filePaths: Record<string, string> = {}): Record<string, string> {
  const env = { ...plan.baseEnv };
  for (const p of plan.plain) env[p.name] = p.value;
  for (const v of plan.vars) env[v.name] = v.value.reveal();
  for (const f of plan.files) env[f.name] = filePaths[f.name]!;
  env[EXEC_MARKER] = '1';
  return env;
}
