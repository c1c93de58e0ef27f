// Three-way merge of two format 2 files against their common ancestor, entry by entry
// (docs/FORMAT.md "Merging"): an entry is known by its stable id; one changed on one side only
// takes that side's record byte for byte; one changed on both is handed back as a conflict for
// the caller to resolve. The header (scopes, key slots) is merged here too: taken from the side
// that changed it, or slot by slot when both did and their scope keys agree.
import { CorruptError, MergeRefused } from '../errors';
import { matchesCommit } from '../crypto/hash';
import { encodeHeader, Header, ScopeDef } from './header';
import { VaultKeys } from './seal';
import { Slot } from './slots/registry';
import { X25519Slot } from './slots/x25519';
import { EntryToWrite, OpenedV2, Row } from './v2';

/** One side of the merge: its header, the keys that open it, and the file opened part by part. */
export interface MergeSide {
  header: Header;
  keys: VaultKeys;
  file: OpenedV2;
}

/** An entry as one side has it. */
export interface EntryAt {
  name: string;
  scope: number;
  row: Row;
  side: MergeSide;
}

export interface EntryConflict {
  id: Uint8Array;
  base?: EntryAt;
  ours?: EntryAt;
  theirs?: EntryAt;
}

export interface MergePlan {
  header: Header;
  keys: VaultKeys;
  /** Entries taken as they are on one side (records copied, or re-sealed when that side's
   *  scope key is not the merged one). */
  take: (EntryToWrite & { from: 'ours' | 'theirs' })[];
  conflicts: EntryConflict[];
  /** Which side's header the merge kept ('both': slots merged). */
  headerFrom: 'ours' | 'theirs' | 'both';
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const eq = (a: Uint8Array | undefined, b: Uint8Array | undefined): boolean => !!a && !!b && Buffer.from(a).equals(Buffer.from(b));

/** The header without what changes on every write (write id, table of contents). */
function headerShape(h: Header): string {
  return hex(encodeHeader({ ...h, writeId: new Uint8Array(h.writeId.length), toc: { meta: { off: 0, len: 0 }, indexes: h.scopes.map(() => ({ off: 0, len: 0 })) } }));
}

/** Every entry a side holds, by id (every scope must be open: a merge writes). */
export function entriesOf(side: MergeSide): Map<string, EntryAt> {
  const out = new Map<string, EntryAt>();
  for (const s of side.header.scopes) {
    if (!side.keys.has(s.id)) throw new MergeRefused(`merging needs every scope's key, and this unlock does not open scope ${s.name}`);
    for (const row of side.file.index(s.id).rows()) out.set(hex(row.id), { name: row.name, scope: s.id, row, side });
  }
  return out;
}

/** The entry's line, opened with its side's key. */
export function lineOf(e: EntryAt): Uint8Array {
  return e.side.file.line(e.scope, e.row);
}

/** Whether two versions of an entry are the same: the same record, or the same line in the same scope. */
function sameEntry(a: EntryAt | undefined, b: EntryAt | undefined): boolean {
  if (!a || !b) return !a && !b;
  if (eq(a.row.commit, b.row.commit)) return true;
  return a.scope === b.scope && Buffer.from(lineOf(a)).equals(Buffer.from(lineOf(b)));
}

function slotKey(s: Slot): string {
  return s.type === 'x25519' ? `x25519:${hex((s as X25519Slot).recipient)}` : s.type;
}

function slotBytes(h: Header, s: Slot): string {
  return headerShape({ ...h, scopes: h.scopes, slots: [s] });
}

/** Header merge: whichever side changed it; when both did, slot by slot (scopes unioned), which
 *  needs the same key for every scope both have (no re-key on either side). */
function mergeHeaders(base: MergeSide, ours: MergeSide, theirs: MergeSide): { header: Header; keys: VaultKeys; from: MergePlan['headerFrom'] } {
  const b = headerShape(base.header);
  const o = headerShape(ours.header);
  const t = headerShape(theirs.header);
  if (o === b) return { header: structuredClone(theirs.header), keys: theirs.keys, from: 'theirs' };
  if (t === b || t === o) return { header: structuredClone(ours.header), keys: ours.keys, from: 'ours' };
  const keys = new VaultKeys(ours.keys);
  const scopes: ScopeDef[] = ours.header.scopes.map((s) => ({ ...s }));
  for (const s of theirs.header.scopes) {
    const mine = scopes.find((x) => x.id === s.id);
    const differentKey = ours.keys.has(s.id) && !eq(ours.keys.get(s.id), theirs.keys.get(s.id));
    if ((mine && mine.name !== s.name) || differentKey || (!mine && scopes.some((x) => x.name === s.name))) {
      throw new MergeRefused('the scopes or their keys changed both here and on the remote (a scope added, or re-keyed by recipient rm, on both sides)', [
        'sync the machine that made one of those changes first, then make the other change again',
      ]);
    }
    if (!mine) {
      scopes.push({ ...s });
      keys.set(s.id, theirs.keys.get(s.id)!);
    }
  }
  const shape = (side: MergeSide) => new Map(side.header.slots.map((s) => [slotKey(s), { slot: s, bytes: slotBytes(side.header, s) }]));
  const bs = shape(base);
  const os = shape(ours);
  const ts = shape(theirs);
  const slots: Slot[] = [];
  for (const k of new Set([...os.keys(), ...ts.keys()])) {
    const bb = bs.get(k)?.bytes;
    const ob = os.get(k);
    const tb = ts.get(k);
    let pick: Slot | undefined;
    if (ob?.bytes === tb?.bytes) pick = ob?.slot;
    else if (ob?.bytes === bb) pick = tb?.slot;
    else if (tb?.bytes === bb) pick = ob?.slot;
    else {
      throw new MergeRefused(`the key slot "${k.startsWith('x25519:') ? 'recipient' : k}" changed both here and on the remote`, [
        'sync the machine that made one of those changes first, then make the other change again',
      ]);
    }
    if (pick) slots.push(structuredClone(pick));
  }
  const header: Header = { ...structuredClone(ours.header), scopes, slots, toc: { meta: { off: 0, len: 0 }, indexes: scopes.map(() => ({ off: 0, len: 0 })) } };
  return { header, keys, from: 'both' };
}

/**
 * The merge of ours and theirs against base. Entries are compared by record commitment first
 * (unchanged records are copied byte for byte, so equal commitments mean the same entry), and
 * by plaintext when the commitments differ (a record re-sealed unchanged, e.g. by a re-key).
 */
export function planMerge(base: MergeSide, ours: MergeSide, theirs: MergeSide): MergePlan {
  if (!eq(base.header.vaultId, ours.header.vaultId) || !eq(ours.header.vaultId, theirs.header.vaultId)) {
    throw new MergeRefused('the remote holds a different vault (another vault id)', ['use a remote of its own for each vault']);
  }
  const { header, keys, from } = mergeHeaders(base, ours, theirs);
  const B = entriesOf(base);
  const O = entriesOf(ours);
  const T = entriesOf(theirs);
  const take: MergePlan['take'] = [];
  const conflicts: EntryConflict[] = [];
  const keep = (e: EntryAt | undefined, side: 'ours' | 'theirs'): void => {
    if (!e) return;
    if (!header.scopes.some((s) => s.id === e.scope)) throw new CorruptError('an entry lies in a scope the merged vault does not have');
    // Copied as stored when its scope's key is the merged one; otherwise re-sealed under it.
    if (eq(e.side.keys.get(e.scope), keys.get(e.scope))) {
      const sealed = e.side.file.raw({ off: e.row.off, len: e.row.len });
      if (!matchesCommit(sealed, e.row.commit)) throw new CorruptError(`the stored record of the entry "${e.name}" does not match its index: nothing was changed`);
      take.push({ name: e.name, scope: e.scope, id: e.row.id, gen: e.row.gen, sealed, commit: e.row.commit, from: side });
    } else {
      take.push({ name: e.name, scope: e.scope, id: e.row.id, gen: e.row.gen + 1, line: lineOf(e), from: side });
    }
  };
  for (const id of new Set([...O.keys(), ...T.keys()])) {
    const b = B.get(id);
    const o = O.get(id);
    const t = T.get(id);
    if (sameEntry(o, t)) keep(o, 'ours');
    else if (sameEntry(o, b)) keep(t, 'theirs');
    else if (sameEntry(t, b)) keep(o, 'ours');
    else conflicts.push({ id: o?.row.id ?? t!.row.id, base: b, ours: o, theirs: t });
  }
  return { header, keys, take, conflicts, headerFrom: from };
}
