// The entry-level three-way merge of format 2 (format/merge.ts), in-process: changes to
// different entries on two sides are all taken, their records copied byte for byte; the same
// entry changed on both sides (or removed on one, changed on the other) is a conflict; a record
// re-sealed with the same content counts as unchanged; header changes are taken from the side
// that made them, and slots added on both sides are both kept.
import { AgeIdentity } from '../../../src/crypto/age-x25519';
import { randomBytes } from '../../../src/crypto/random';
import { ready } from '../../../src/crypto/sodium';
import { MergeRefused } from '../../../src/errors';
import { decodeFile, Header } from '../../../src/format/header';
import { MergeSide, planMerge } from '../../../src/format/merge';
import { addScope, makeX25519Slot, newVault, openV2, VaultKeys } from '../../../src/format/seal';
import { buildFile, ENTRY_ID_BYTES, EntryToWrite } from '../../../src/format/v2';
import { CANARY } from '../../helpers/canary';
import { TEST_KDF } from '../../helpers/vault-bytes';

const te = new TextEncoder();
const META = te.encode('{"entries":[],"v":1}');
const line = (name: string, v: string) => te.encode(`{"name":"${name}","v":"${v}"}`);

let header: Header;
let keys: VaultKeys;
let grid: number;
const ids: Record<string, Uint8Array> = {};

beforeAll(async () => {
  await ready();
  const v = newVault(CANARY.vaultPassphrase, TEST_KDF);
  header = v.header;
  keys = v.dataKey;
  grid = addScope(header, keys, 'grid');
  for (const n of ['a', 'b', 'c', 'd', 'e']) ids[n] = randomBytes(ENTRY_ID_BYTES);
});

interface Spec {
  [name: string]: { gen: number; v: string; scope?: number } | { copy: MergeSide };
}

/** A file from a spec: new records, or records copied as stored from another side. */
function file(spec: Spec, h: Header = header): MergeSide {
  const entries: EntryToWrite[] = Object.entries(spec).map(([name, s]) => {
    if ('copy' in s) {
      const at = s.copy.file.find(name)!;
      return { name, scope: at.scope, id: at.row.id, gen: at.row.gen, sealed: s.copy.file.sealed(at.row), commit: at.row.commit };
    }
    return { name, scope: s.scope ?? 0, id: ids[name]!, gen: s.gen, line: line(name, s.v) };
  });
  const hh = structuredClone(h);
  const bytes = buildFile(hh, keys, META, entries, randomBytes);
  const parsed = decodeFile(bytes);
  return { header: parsed.header, keys, file: openV2(parsed, keys) };
}

const taken = (p: ReturnType<typeof planMerge>) => p.take.map((t) => `${t.name}:${t.from}:${t.gen}`).sort();

it('different entries changed on each side: all taken, records copied byte for byte, removals kept', () => {
  const base = file({ a: { gen: 1, v: '1' }, b: { gen: 1, v: '1', scope: grid }, c: { gen: 1, v: '1' } });
  const ours = file({ a: { gen: 2, v: 'ours' }, b: { copy: base }, d: { gen: 1, v: 'new' } });
  const theirs = file({ a: { copy: base }, b: { gen: 2, v: 'theirs', scope: grid }, c: { copy: base }, e: { gen: 1, v: 'new' } });
  const plan = planMerge(base, ours, theirs);
  expect(plan.conflicts).toEqual([]);
  // c was removed here and untouched there: removed.
  expect(taken(plan)).toEqual(['a:ours:2', 'b:theirs:2', 'd:ours:1', 'e:theirs:1']);
  for (const t of plan.take) {
    const side = t.from === 'ours' ? ours : theirs;
    const at = side.file.find(t.name)!;
    expect(Buffer.from(t.sealed!).equals(Buffer.from(side.file.sealed(at.row)))).toBe(true);
    expect(t.line).toBeUndefined();
  }
  expect(plan.headerFrom).toBe('theirs');
});

it('the same entry changed on both sides, or removed on one and changed on the other, is a conflict', () => {
  const base = file({ a: { gen: 1, v: '1' }, b: { gen: 1, v: '1' } });
  const ours = file({ a: { gen: 2, v: 'ours' }, b: { gen: 2, v: 'ours' } });
  const theirs = file({ a: { gen: 2, v: 'theirs' } });
  const plan = planMerge(base, ours, theirs);
  expect(plan.take).toEqual([]);
  const names = plan.conflicts.map((c) => `${c.ours?.name ?? '-'}/${c.theirs?.name ?? '-'}`).sort();
  expect(names).toEqual(['a/a', 'b/-']);
});

it('the same change on both sides is no conflict; a record re-sealed with the same line is unchanged', () => {
  const base = file({ a: { gen: 1, v: '1' }, b: { gen: 1, v: '1' } });
  // Ours re-seals b with the same content (another nonce, another commitment) and changes a.
  const ours = file({ a: { gen: 2, v: 'same' }, b: { gen: 2, v: '1' } });
  const theirs = file({ a: { gen: 2, v: 'same' }, b: { gen: 2, v: 'theirs' } });
  const plan = planMerge(base, ours, theirs);
  expect(plan.conflicts).toEqual([]);
  expect(taken(plan)).toEqual(['a:ours:2', 'b:theirs:2']);
});

it('a recipient added on each side: both slots kept; another vault is refused', () => {
  const base = file({ a: { gen: 1, v: '1' } });
  const h1 = structuredClone(header);
  h1.slots.push(makeX25519Slot(h1, keys, AgeIdentity.generate().publicKey, [grid]));
  const h2 = structuredClone(header);
  h2.slots.push(makeX25519Slot(h2, keys, AgeIdentity.generate().publicKey, [grid]));
  const ours = file({ a: { copy: base } }, h1);
  const theirs = file({ a: { copy: base } }, h2);
  const plan = planMerge(base, ours, theirs);
  expect(plan.headerFrom).toBe('both');
  expect(plan.header.slots.map((s) => s.type)).toEqual(['passphrase', 'x25519', 'x25519']);
  // The merged header builds and opens.
  const merged = decodeFile(buildFile(plan.header, plan.keys, META, plan.take, randomBytes));
  expect(openV2(merged, plan.keys).index(0).names()).toEqual(['a']);
  const other = newVault(CANARY.vaultPassphrase, TEST_KDF);
  const foreign = { header: other.header, keys: other.dataKey, file: openV2(decodeFile(buildFile(other.header, other.dataKey, META, [], randomBytes)), other.dataKey) };
  expect(() => planMerge(base, ours, foreign)).toThrow(MergeRefused);
});
