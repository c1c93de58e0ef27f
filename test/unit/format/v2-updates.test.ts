// Format 2 updates (docs/FORMAT.md "Writing"): a write appends its new records, meta record,
// indexes and a trailer after the file's state, and the last complete trailer is the state.
// An update cut short reads as the state before it; any other change to an update is refused
// (or, in the trailer's magic, reads as an update cut short); a whole rewrite of an appended
// file keeps every entry and still stops at a damaged record.
import { AuthError, CorruptError } from '../../../src/errors';
import { decodeFile, Header, UPDATE_LEAD } from '../../../src/format/header';
import { openBody, openV2, VaultKeys } from '../../../src/format/seal';
import { buildFile, buildFileParts, buildUpdate, Carried, ENTRY_ID_BYTES, EntryToWrite } from '../../../src/format/v2';
import { randomBytes } from '../../../src/crypto/random';
import { CANARY } from '../../helpers/canary';
import { twoScopeVault } from '../../helpers/vault-bytes';

const PASS = CANARY.vaultPassphrase;
const te = new TextEncoder();
const td = new TextDecoder();
const line = (name: string, secret: string) => te.encode(`{"name":"${name}","secret":"${secret}"}`);
const META = te.encode('{"entries":[],"v":1}');

let header: Header;
let keys: VaultKeys;

beforeAll(async () => {
  ({ header, keys } = await twoScopeVault(PASS));
});

const cat = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));
const body = (file: Uint8Array) => td.decode(openBody(decodeFile(file), keys));

/** Entries a, b (default scope) and c (scope bots), written whole. */
function base(): Uint8Array {
  const entries: EntryToWrite[] = ['a', 'b', 'c'].map((name) => ({ name, scope: name === 'c' ? 1 : 0, id: randomBytes(ENTRY_ID_BYTES), gen: 1, line: line(name, `${CANARY.apiSecret}-${name}`) }));
  return buildFile(structuredClone(header), keys, META, entries, randomBytes);
}

/** The rows a write keeps, with `drop` left out. */
function keptOf(file: Uint8Array, drop: string[] = []): { kept: Carried[]; v2: ReturnType<typeof openV2> } {
  const v2 = openV2(decodeFile(file), keys);
  const kept = v2.openScopes().map((scope) => ({ scope, index: v2.index(scope), drop: new Set<number>() }));
  for (const n of drop) {
    const at = v2.find(n)!;
    kept.find((c) => c.scope === at.scope)!.drop.add(at.row.at!);
  }
  return { kept, v2 };
}

/** The file with one update appended: `fresh` sealed anew, `drop` removed. */
function append(file: Uint8Array, fresh: EntryToWrite[], drop: string[] = []): { file: Uint8Array; update: Uint8Array } {
  const h = decodeFile(file).header;
  const { kept } = keptOf(file, drop);
  const end = h.state!.end;
  const u = buildUpdate(h, keys, META, fresh, randomBytes, kept, end);
  const update = cat(...u.body, u.trailer);
  expect(u.end).toBe(end + update.length);
  return { file: cat(file.subarray(0, end), update), update };
}

const entry = (name: string, secret: string, scope = 0): EntryToWrite => ({ name, scope, id: randomBytes(ENTRY_ID_BYTES), gen: 1, line: line(name, secret) });

function refused(file: Uint8Array): void {
  let err: unknown;
  try {
    body(file);
  } catch (e) {
    err = e;
  }
  expect(err instanceof AuthError || err instanceof CorruptError).toBe(true);
}

it('updates appended after a whole file read as the latest state; kept records stay where they were, nothing of them is copied', () => {
  const first = base();
  const { file: one, update } = append(first, [entry('d', 'new-d')]);
  expect(update.subarray(0, UPDATE_LEAD.length)).toEqual(UPDATE_LEAD);
  expect(decodeFile(one).header.state).toMatchObject({ base: first.length, end: one.length, torn: 0 });
  expect(decodeFile(one).header.state!.update).toHaveLength(16);
  const { file: two } = append(one, [{ ...entry('b', 'changed-b'), id: keptOf(one).v2.find('b')!.row.id, gen: 2 }], ['a', 'b']);
  const text = body(two);
  expect(text).not.toContain('"name":"a"');
  expect(text).toContain('changed-b');
  expect(text).toContain('new-d');
  expect(text).toContain(`${CANARY.apiSecret}-c`);
  // c's record is the one the whole write put there: its row points into the first file's bytes.
  const c0 = keptOf(first).v2.find('c')!.row;
  const c2 = keptOf(two).v2.find('c')!.row;
  expect([c2.off, c2.len]).toEqual([c0.off, c0.len]);
  expect(decodeFile(two).header.state).toMatchObject({ base: first.length, end: two.length, torn: 0 });
});

it('an update cut short anywhere reads as the state before it, the cut-off bytes counted as torn', () => {
  const { file: one } = append(base(), [entry('d', 'new-d')]);
  const want = body(one);
  const { update } = append(one, [entry('e', 'new-e')]);
  for (let n = 1; n < update.length; n++) {
    const cut = cat(one, update.subarray(0, n));
    expect([n, body(cut)]).toEqual([n, want]);
    expect(decodeFile(cut).header.state).toMatchObject({ end: one.length, torn: n });
  }
});

it('bytes after the state that do not begin an update are refused, after a whole file or after an update', () => {
  const first = base();
  const { file: one } = append(first, [entry('d', 'new-d')]);
  for (const f of [first, one]) {
    refused(cat(f, Uint8Array.of(0)));
    refused(cat(f, te.encode('EXVAULT')));
    refused(cat(f, UPDATE_LEAD.subarray(0, 2), te.encode('W')));
  }
});

it('every single-byte change in an update is refused, but for its trailer magic, which reads as the update cut short', () => {
  const { file: one } = append(base(), [entry('d', 'new-d')]);
  const before = body(one);
  const { file: two, update } = append(one, [entry('e', 'new-e')]);
  const after = body(two);
  for (let i = one.length; i < two.length; i++) {
    const bad = two.slice();
    bad[i]! ^= 0x01;
    let got: string | null = null;
    try {
      got = body(bad);
    } catch (e) {
      expect(e instanceof AuthError || e instanceof CorruptError).toBe(true);
    }
    if (got === null) continue;
    if (i >= two.length - 8) {
      expect(got).toBe(before);
      expect(decodeFile(bad).header.state).toMatchObject({ end: one.length, torn: update.length });
    } else {
      // Only the trailer's note of where the update starts is not bound; it must still point at an update's start.
      expect([i, got]).toEqual([i, after]);
      expect(i).toBeGreaterThanOrEqual(two.length - 8 - 8);
    }
  }
});

it("an update's parts are bound to the header and to the update's write id: taken into another file of the same vault, they are refused", () => {
  const first = base();
  const { update } = append(first, [entry('d', 'new-d')]);
  // Another whole file of the same vault (same slots and scopes, another write id), and the update moved onto it.
  const other = base();
  const moved = cat(other, update.map((b) => b));
  const start = new DataView(update.buffer, update.byteOffset).getUint32(update.length - 16);
  expect(start).toBe(first.length);
  refused(moved);
});

it('a whole rewrite of an appended file keeps every entry, carries the kept records byte for byte, and stops at a damaged one, naming it', () => {
  let file = base();
  for (const n of ['d', 'e', 'f']) file = append(file, [entry(n, `new-${n}`, n === 'e' ? 1 : 0)]).file;
  const want = body(file);
  const whole = (f: Uint8Array) => {
    const { kept } = keptOf(f);
    return cat(...buildFileParts(structuredClone(decodeFile(f).header), keys, META, [], randomBytes, { scopes: kept, read: (off, len) => f.subarray(off, off + len) }));
  };
  const compacted = whole(file);
  expect(body(compacted)).toBe(want);
  expect(decodeFile(compacted).header.state).toMatchObject({ base: compacted.length, end: compacted.length, torn: 0 });
  expect(compacted.length).toBeLessThan(file.length);
  // A record of the whole write and a record of an update, each damaged in turn.
  for (const name of ['b', 'e']) {
    const row = keptOf(file).v2.find(name)!.row;
    const bad = file.slice();
    bad[row.off + 30]! ^= 1;
    expect(() => whole(bad)).toThrow(new RegExp(`the stored record of the entry "${name}" does not match`));
  }
});
