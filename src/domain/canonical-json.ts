// JSON with object keys in sorted order, so equal values give equal bytes: the audit chain
// MACs these bytes, and the vault body is reproducible from its contents.

/** Thrown by the fast path when key order cannot be expressed by a plain object. */
const INDEX_KEYS = Symbol('index keys');
// JavaScript enumerates array-index keys ("0", "42") first and numerically, whatever the
// insertion order, so an object holding one cannot carry lexicographic order.
const INDEX_KEY = /^(?:0|[1-9]\d{0,9})$/;

/**
 * The value with every object's keys in sorted order: objects already in order are returned
 * as they are, so a caller that builds its objects in order pays for a check, not a copy.
 */
function sortDeep(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v = sortDeep(value[i]);
      if (v !== value[i]) (copy ??= value.slice())[i] = v;
    }
    return copy ?? value;
  }
  const obj = value as Record<string, unknown>;
  if (typeof (obj as { toJSON?: unknown }).toJSON === 'function') return value;
  const keys = Object.keys(obj);
  let changed = false;
  const vals = new Array<unknown>(keys.length);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (k.charCodeAt(0) <= 57 && INDEX_KEY.test(k)) throw INDEX_KEYS;
    if (i && k < keys[i - 1]!) changed = true;
    vals[i] = sortDeep(obj[k]);
    if (vals[i] !== obj[k]) changed = true;
  }
  if (!changed) return value;
  const order = keys.map((_, i) => i).sort((a, b) => (keys[a]! < keys[b]! ? -1 : 1));
  // No prototype, so a key named "__proto__" is a key like any other.
  const out: Record<string, unknown> = Object.create(null);
  for (const i of order) out[keys[i]!] = vals[i];
  return out;
}

/** The same text, built by hand: only for the rare object with index-like keys. */
function byHand(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(byHand).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${byHand(obj[k])}`).join(',')}}`;
}

export function canonicalJson(value: unknown): string {
  try {
    // The engine's serializer does the work on a copy whose keys are in order.
    return JSON.stringify(sortDeep(value)) ?? 'null';
  } catch (err) {
    if (err !== INDEX_KEYS) throw err;
    return byHand(value);
  }
}
