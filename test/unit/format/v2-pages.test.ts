// Format 2 index pages (docs/FORMAT.md "Index pages"): a scope's index is a root listing pages
// of rows in name order, each committed to by its SHA-256. A lookup opens the root and one
// page; an update writes only the pages its change falls in; a page flipped, swapped, taken
// from another vault or an earlier state, or rows moved between pages, are refused.
import { AuthError, CorruptError } from '../../../src/errors';
import { decodeFile, encodeHeader, Header } from '../../../src/format/header';
import { openBody, openV2, VaultKeys } from '../../../src/format/seal';
import { buildFile, buildFileParts, buildUpdate, Carried, ENTRY_ID_BYTES, EntryToWrite, headerDigest, indexAd, Reader, sealRecord } from '../../../src/format/v2';
import { encodeRoot, PageRef, ScopeIndex } from '../../../src/format/index-pages';
import { randomBytes } from '../../../src/crypto/random';
import { sha256 } from '../../../src/crypto/hash';
import { CANARY } from '../../helpers/canary';
import { twoScopeVault } from '../../helpers/vault-bytes';

const PASS = CANARY.vaultPassphrase;
const te = new TextEncoder();
const td = new TextDecoder();
const META = te.encode('{"entries":[],"v":1}');
/** Small pages, so a few dozen entries make several. */
const ROWS = 4;
// Names of one length and lines of one length: pages of the same row count have the same
// length, so they can be swapped byte for byte.
const nameOf = (i: number) => `bot-${String(i).padStart(3, '0')}`;
const line = (name: string, secret: string) => te.encode(`{"name":"${name}","secret":"${secret}"}`);

let header: Header;
let keys: VaultKeys;

beforeAll(async () => {
  ({ header, keys } = await twoScopeVault(PASS));
});

const cat = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));
const body = (file: Uint8Array) => td.decode(openBody(decodeFile(file), keys));
const entry = (i: number, secret = `${CANARY.apiSecret}-${i}`, scope = 0): EntryToWrite => ({ name: nameOf(i), scope, id: randomBytes(ENTRY_ID_BYTES), gen: 1, line: line(nameOf(i), secret) });

/** Entries 0, 2, 4, ... 2(n-1) in the default scope (room between names for inserts), and two in scope bots. */
function base(n = 20, h = header): Uint8Array {
  const entries = Array.from({ length: n }, (_, k) => entry(2 * k));
  entries.push(entry(901, 'bots-a', 1), entry(903, 'bots-b', 1));
  return buildFile(structuredClone(h), keys, META, entries, randomBytes, undefined, { pageRows: ROWS });
}

function keptOf(file: Uint8Array, drop: string[] = []): Carried[] {
  const v2 = openV2(decodeFile(file), keys);
  const kept = v2.openScopes().map((scope) => ({ scope, index: v2.index(scope), drop: new Set<number>() }));
  for (const n of drop) {
    const at = v2.find(n)!;
    kept.find((c) => c.scope === at.scope)!.drop.add(at.row.at!);
  }
  return kept;
}

function append(file: Uint8Array, fresh: EntryToWrite[], drop: string[] = []): { file: Uint8Array; start: number } {
  const h = decodeFile(file).header;
  const end = h.state!.end;
  const u = buildUpdate(h, keys, META, fresh, randomBytes, keptOf(file, drop), end, { pageRows: ROWS });
  return { file: cat(file.subarray(0, end), ...u.body, u.trailer), start: end };
}

const index = (file: Uint8Array, scope = 0, k: VaultKeys = keys): ScopeIndex => openV2(decodeFile(file), k).index(scope);
const refs = (ix: ScopeIndex): PageRef[] => Array.from({ length: ix.pageCount }, (_, p) => ix.pageRef(p));
const bytesOf = (file: Uint8Array, r: { off: number; len: number }) => file.subarray(r.off, r.off + r.len);

/** How opening `file` fares: the body, or the error class. */
function outcome(file: Uint8Array, k: Map<number, Uint8Array> = keys): string {
  try {
    return td.decode(openBody(decodeFile(file), k));
  } catch (e) {
    if (e instanceof AuthError) return 'auth';
    if (e instanceof CorruptError) return 'corrupt';
    throw e;
  }
}

it('a whole write packs rows into even pages of at most the page size, listed in name order', () => {
  const file = base(21);
  const ix = index(file);
  expect(ix.paged).toBe(true);
  expect(ix.count).toBe(21);
  // 21 rows in pages of at most 4: 6 pages, 4 + 4 + 4 + 3 + 3 + 3.
  expect(refs(ix).map((r) => r.count)).toEqual([4, 4, 4, 3, 3, 3]);
  expect(refs(ix).map((r) => td.decode(r.first))).toEqual([0, 8, 16, 24, 30, 36].map(nameOf));
  expect(ix.names()).toEqual(Array.from({ length: 21 }, (_, k) => nameOf(2 * k)));
  // Pages come before the roots, which end the file's state.
  const root = decodeFile(file).header.toc.indexes[0]!;
  for (const r of refs(ix)) expect(r.off + r.len).toBeLessThanOrEqual(root.off);
  expect(body(file)).toContain(`${CANARY.apiSecret}-40`);
});

it('a lookup opens the root and one page, whichever page holds the name, and finds no name between pages', () => {
  const file = base(21);
  const spans = refs(index(file)).map((r) => r.off);
  for (let k = 0; k < 21; k++) {
    const read: number[] = [];
    const reader: Reader = (off, len) => {
      read.push(off);
      return file.subarray(off, off + len);
    };
    const v2 = openV2(decodeFile(file), keys, reader);
    read.length = 0;
    const at = v2.find(nameOf(2 * k))!;
    expect(at.row.at).toBe(k);
    expect(td.decode(v2.line(at.scope, at.row))).toContain(`${CANARY.apiSecret}-${2 * k}`);
    // Of the pages, only the one that holds the name.
    expect(read.filter((o) => spans.includes(o))).toEqual([spans[k < 12 ? Math.floor(k / 4) : 3 + Math.floor((k - 12) / 3)]]);
  }
  const v2 = openV2(decodeFile(file), keys);
  // Below the first page, between rows of a page, at a page's boundary, above the last.
  for (const name of ['aaa', nameOf(1), nameOf(7), nameOf(29), nameOf(41), 'zzz']) expect(v2.find(name)).toBeNull();
  expect(v2.find(nameOf(901))!.scope).toBe(1);
});

it('an update touching one page writes that page and the roots; every other page stays where it was, byte for byte', () => {
  const first = base(21);
  const before = refs(index(first));
  const { file, start } = append(first, [entry(9, 'new-9')]);
  const after = refs(index(file));
  // nameOf(9) falls in the second page (8 to 14): it now has 5 rows, over the page size, so it is split in two.
  expect(after.map((r) => r.count)).toEqual([4, 3, 2, 4, 3, 3, 3]);
  for (const p of [0, 2, 3, 4, 5]) {
    const q = p === 0 ? 0 : p + 1;
    expect([after[q]!.off, after[q]!.len, Buffer.from(after[q]!.commit).toString('hex')]).toEqual([before[p]!.off, before[p]!.len, Buffer.from(before[p]!.commit).toString('hex')]);
    expect(bytesOf(file, after[q]!)).toEqual(bytesOf(first, before[p]!));
  }
  for (const q of [1, 2]) expect(after[q]!.off).toBeGreaterThanOrEqual(start);
  // The scope bots gained nothing: its one page is still the whole write's.
  expect(refs(index(file, 1)).map((r) => r.off)).toEqual(refs(index(first, 1)).map((r) => r.off));
  // What the update wrote: lead, the record, two pages, meta record, two roots, trailer.
  expect(file.length - start).toBeLessThan(2000);
  expect(body(file)).toContain('new-9');
  expect(index(file).names()).toEqual([...Array.from({ length: 21 }, (_, k) => nameOf(2 * k)), nameOf(9)].sort());
});

it('pages split as updates fill them; names below the first page and above the last go to the first and last pages', () => {
  let file = base(8);
  const added: number[] = [];
  for (const i of [1, 3, 5, 15, 17, 19, 21, 23]) {
    file = append(file, [entry(i)]).file;
    added.push(i);
  }
  const ix = index(file);
  for (const r of refs(ix)) expect(r.count).toBeLessThanOrEqual(ROWS);
  const want = [...Array.from({ length: 8 }, (_, k) => 2 * k), ...added].sort((a, b) => a - b).map(nameOf);
  expect(ix.names()).toEqual(want);
  for (const n of want) expect(openV2(decodeFile(file), keys).find(n)).not.toBeNull();
  expect(body(file)).toContain(`${CANARY.apiSecret}-23`);
});

it('an update that changes and moves rows keeps the others; a page left empty leaves the root, a full one splits', () => {
  const first = base(8);
  const v2 = openV2(decodeFile(first), keys);
  const changed = { ...entry(2, 'changed-2'), id: v2.find(nameOf(2))!.row.id, gen: 2 };
  // The second page (8 to 14) loses every row: moved to scope bots, whose one page of 2 rows gets 6.
  const moved = [8, 10, 12, 14].map((i) => ({ ...entry(i, `moved-${i}`, 1), id: v2.find(nameOf(i))!.row.id, gen: 2 }));
  const { file } = append(first, [changed, ...moved], [2, 8, 10, 12, 14].map(nameOf));
  expect(index(file).names()).toEqual([0, 2, 4, 6].map(nameOf));
  expect(index(file).pageCount).toBe(1);
  expect(index(file, 1).names()).toEqual([8, 10, 12, 14, 901, 903].map(nameOf));
  expect(refs(index(file, 1)).map((r) => r.count)).toEqual([3, 3]);
  const text = body(file);
  expect(text).toContain('changed-2');
  expect(text).toContain('moved-12');
});

it('a whole rewrite repacks every page, and an empty scope has a root of no pages', () => {
  let file = base(8);
  for (const i of [1, 3, 5, 7, 9]) file = append(file, [entry(i)]).file;
  const want = body(file);
  const f = file;
  const whole = cat(...buildFileParts(structuredClone(decodeFile(f).header), keys, META, [], randomBytes, { scopes: keptOf(f), read: (off, len) => f.subarray(off, off + len) }, { pageRows: ROWS }));
  expect(body(whole)).toBe(want);
  expect(refs(index(whole)).map((r) => r.count)).toEqual([4, 3, 3, 3]);
  const empty = buildFile(structuredClone(header), keys, META, [], randomBytes);
  expect([index(empty).pageCount, index(empty).count, index(empty).find('x')]).toEqual([0, 0, null]);
});

it('every byte of a page flipped is refused by a lookup of a name in it and by a full read', () => {
  const file = base(8);
  const page = refs(index(file))[1]!;
  for (let i = page.off; i < page.off + page.len; i++) {
    const bad = file.slice();
    bad[i]! ^= 0x01;
    expect([i, outcome(bad)]).toEqual([i, 'auth']);
    const v2 = openV2(decodeFile(bad), keys);
    expect(() => v2.find(nameOf(10))).toThrow(AuthError);
    // A lookup in another page does not open this one (it is noticed by whoever reads it).
    expect(v2.find(nameOf(0))).not.toBeNull();
  }
});

it('a page swapped with another of the file, taken from another vault, or replayed from an earlier state is refused', () => {
  const file = base(8);
  const [p0, p1] = refs(index(file));
  expect(p0!.len).toBe(p1!.len);
  const swapped = file.slice();
  swapped.set(bytesOf(file, p0!), p1!.off);
  swapped.set(bytesOf(file, p1!), p0!.off);
  expect(outcome(swapped)).toBe('auth');

  // The same page of another file of this vault, and of another vault (its own vault id).
  const h2 = structuredClone(header);
  h2.vaultId = randomBytes(16);
  for (const other of [base(8), base(8, h2)]) {
    const foreign = file.slice();
    const o1 = refs(index(other))[1]!;
    expect(o1.len).toBe(p1!.len);
    foreign.set(bytesOf(other, o1), p1!.off);
    expect(outcome(foreign)).toBe('auth');
  }

  // A same-length change of nameOf(2): the update writes page 0 again; its earlier bytes put back.
  const v2 = openV2(decodeFile(file), keys);
  const { file: later } = append(file, [{ ...entry(2, `${CANARY.apiSecret}-X`), id: v2.find(nameOf(2))!.row.id, gen: 2 }], [nameOf(2)]);
  const n0 = refs(index(later))[0]!;
  expect(n0.len).toBe(p0!.len);
  const replayed = later.slice();
  replayed.set(bytesOf(file, p0!), n0.off);
  expect(outcome(replayed)).toBe('auth');
  expect(outcome(later)).toContain(`${CANARY.apiSecret}-X`);
});

/** A page's plaintext: row count, rows, names (a flat index without its meta commitment). */
function pagePlain(rows: { name: string; id: Uint8Array; gen: number; off: number; len: number; commit: Uint8Array }[]): Uint8Array {
  const names = rows.map((r) => te.encode(r.name));
  const out = new Uint8Array(4 + rows.length * 64 + names.reduce((n, b) => n + b.length, 0));
  const v = new DataView(out.buffer);
  v.setUint32(0, rows.length);
  let no = 0;
  rows.forEach((r, i) => {
    const at = 4 + i * 64;
    out.set(r.id, at);
    v.setUint32(at + 16, r.gen);
    v.setUint32(at + 20, r.off);
    v.setUint32(at + 24, r.len);
    out.set(r.commit, at + 28);
    v.setUint32(at + 60, no);
    out.set(names[i]!, 4 + rows.length * 64 + no);
    no += names[i]!.length;
  });
  return out;
}

it('rows moved between pages are refused, even re-sealed with the scope key by a holder of that scope alone', () => {
  const file = base(8);
  const h = decodeFile(file).header;
  const ix = index(file);
  const [p0, p1] = refs(ix);
  const key = keys.get(0)!;
  const scopeOnly = new Map([[0, key]]);
  const seal = (r: PageRef, plain: Uint8Array) => sealRecord(key, plain, cat(te.encode('exvault page v2\0'), h.vaultId, Uint8Array.of(0, 0, 0, 0), r.id), randomBytes);
  // Page 0's last row moved to page 1: page 0 of 3 rows, page 1 of 5, each sealed as a page.
  const rows = ix.rows();
  const a = seal(p0!, pagePlain(rows.slice(0, 3)));
  const b = seal(p1!, pagePlain(rows.slice(3, 8)));
  // The new page 0 in the old one's place (the root still commits to the old bytes): refused.
  const inPlace = file.slice();
  inPlace.set(a, p0!.off);
  expect(outcome(inPlace, scopeOnly)).toBe('auth');
  // The root sealed again too, committing to the new pages but routing as before (page 1
  // still listed as starting at the name page 0 no longer ends with): the page is not what
  // the root says it is.
  const at = file.length;
  const root = sealRecord(key, encodeRoot(ix.metaCommit, [
    { ...p0!, off: at, len: a.length, count: 3, commit: sha256(a) },
    { ...p1!, off: at + a.length, len: b.length, count: 5, commit: sha256(b) },
  ]), indexAd(h, 0, headerDigest(h)), randomBytes);
  const hh = structuredClone(h);
  hh.toc.indexes[0] = { off: at + a.length + b.length, len: root.length };
  const head = encodeHeader(hh);
  expect(head.length).toBe(decodeFile(file).aad.length);
  const forged = cat(head, file.subarray(head.length), a, b, root);
  const o = openV2(decodeFile(forged), scopeOnly);
  expect(o.find(nameOf(0))).not.toBeNull();
  expect(() => o.find(nameOf(8))).toThrow(CorruptError);
  expect(outcome(forged, scopeOnly)).toBe('corrupt');
  // A reader holding every scope refuses it before anything else (the writer tag covers the roots).
  expect(() => openV2(decodeFile(forged), keys)).toThrow(CorruptError);

  // Rows reordered inside page 1 (its first name, count and last name as the root says): a
  // lookup of a row out of place would miss it, so the page is refused.
  const c = seal(p1!, pagePlain([rows[4]!, rows[6]!, rows[5]!, rows[7]!]));
  const root2 = sealRecord(key, encodeRoot(ix.metaCommit, [p0!, { ...p1!, off: at, len: c.length, commit: sha256(c) }]), indexAd(h, 0, headerDigest(h)), randomBytes);
  const h2 = structuredClone(h);
  h2.toc.indexes[0] = { off: at + c.length, len: root2.length };
  const reordered = cat(encodeHeader(h2), file.subarray(head.length), c, root2);
  expect(openV2(decodeFile(reordered), scopeOnly).find(nameOf(0))).not.toBeNull();
  expect(() => openV2(decodeFile(reordered), scopeOnly).find(nameOf(8))).toThrow(CorruptError);
});

it('a file written before pages (flat indexes) reads as it did; its first update writes it paged', () => {
  const entries = Array.from({ length: 6 }, (_, k) => entry(2 * k));
  const flat = buildFile(structuredClone(header), keys, META, entries, randomBytes, undefined, { flat: true });
  expect(index(flat).paged).toBe(false);
  expect(index(flat).find(nameOf(4))!.at).toBe(2);
  const { file } = append(flat, [entry(3)]);
  const ix = index(file);
  expect(ix.paged).toBe(true);
  expect(refs(ix).map((r) => r.count)).toEqual([4, 3]);
  expect(body(file)).toContain(`${CANARY.apiSecret}-3`);
  expect(body(file)).toContain(`${CANARY.apiSecret}-10`);
});
