// Three-way merge of the vault document without its entries (profiles, config, recipient
// names) for vault sync: a key changed on one side takes that side's value; changed on both to
// different values, the remote's is kept and the key is reported. Profiles merge by name, the
// config and the recipient map key by key. The audit head is this host's own (its chain).
type Json = unknown;

const isObj = (x: Json): x is Record<string, Json> => typeof x === 'object' && x !== null && !Array.isArray(x);
const same = (a: Json, b: Json): boolean => JSON.stringify(a) === JSON.stringify(b);
/** Arrays of named objects (profiles) merge as maps by name. */
const named = (x: Json): x is { name: string }[] => Array.isArray(x) && x.every((v) => isObj(v) && typeof v.name === 'string');
const byName = (a: { name: string }[]): Record<string, Json> => Object.fromEntries(a.map((v) => [v.name, v]));

export interface MetaMerge {
  merged: Record<string, Json>;
  /** Paths changed on both sides to different values (the remote's kept), e.g. config.alertCommand. */
  conflicts: string[];
}

function merge3(base: Json, ours: Json, theirs: Json, path: string, conflicts: string[]): Json {
  if (same(ours, theirs)) return ours;
  if (same(base, ours)) return theirs;
  if (same(base, theirs)) return ours;
  if (named(ours) && named(theirs) && (base === undefined || named(base))) {
    const m = merge3(byName(base ?? []), byName(ours), byName(theirs), path, conflicts) as Record<string, { name: string }>;
    return Object.keys(m).sort().map((k) => m[k]!);
  }
  if (isObj(ours) && isObj(theirs) && (base === undefined || isObj(base))) {
    const b = (base ?? {}) as Record<string, Json>;
    const out: Record<string, Json> = {};
    for (const k of new Set([...Object.keys(ours), ...Object.keys(theirs), ...Object.keys(b)])) {
      const v = merge3(b[k], ours[k], theirs[k], path ? `${path}.${k}` : k, conflicts);
      if (v !== undefined) out[k] = v;
    }
    return out;
  }
  conflicts.push(path);
  return theirs;
}

/** The documents as parsed JSON objects (each a vault meta record). */
export function mergeMeta(base: Record<string, Json>, ours: Record<string, Json>, theirs: Record<string, Json>): MetaMerge {
  const conflicts: string[] = [];
  const { audit: _b, ...b } = base;
  const { audit, ...o } = ours;
  const { audit: _t, ...t } = theirs;
  const merged = merge3(b, o, t, '', conflicts) as Record<string, Json>;
  if (audit !== undefined) merged.audit = audit;
  return { merged, conflicts };
}
