// Small parsers shared by several commands' options.
import { UsageError } from '../errors';
import { FieldRef, parseFieldRef } from '../domain/profile';

/** For repeatable options: --ip a --ip b -> ['a', 'b']. */
export const collect = (v: string, prev: string[] | undefined): string[] => [...(prev ?? []), v];

/** --map VAR=entry.field, repeated. */
export function parseMaps(items: string[], flag = '--map'): Record<string, FieldRef> {
  const map: Record<string, FieldRef> = {};
  for (const item of items) {
    const m = /^([^=]+)=(.+)$/.exec(item);
    const ref = m && parseFieldRef(m[2]!);
    if (!m || !ref) throw new UsageError(`${flag} takes VAR=entry.field, e.g. BINANCE_KEY=binance-main.apiKey`);
    // Two secrets for one name: keeping the last would hand the program the wrong key quietly.
    if (Object.hasOwn(map, m[1]!)) throw new UsageError(`${m[1]} is given twice (${flag})`, ['give each variable one field']);
    map[m[1]!] = ref;
  }
  return map;
}
