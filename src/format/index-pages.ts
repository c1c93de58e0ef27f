// Format 2's scope index as plaintext (docs/FORMAT.md "Index pages"): a root that lists pages
// of rows in name order, each page committed to by its SHA-256 in the root, or (files written
// before pages) one flat index holding every row. ScopeIndex reads either the same way, opening
// a page only when a row of it is asked for: a lookup opens the root and one page, not every
// row of the scope. Sealing is the caller's (v2.ts): this file lays out bytes only.
import { CorruptError } from '../errors';
import { HASH_BYTES } from '../crypto/hash';

export const ENTRY_ID_BYTES = 16;
export const PAGE_ID_BYTES = 16;
/** entry id, generation, record offset and length, commitment, name offset. */
const ROW_BYTES = ENTRY_ID_BYTES + 4 + 4 + 4 + HASH_BYTES + 4;
/** A flat index: entry count, meta commitment, then rows. */
const FLAT_HEAD = 4 + HASH_BYTES;
/** A page: row count, then rows. */
const PAGE_HEAD = 4;
/** A root: mark, entry count, meta commitment, page count, then page references. */
const ROOT_HEAD = 4 + 4 + HASH_BYTES + 4;
/** page id, page offset and length, row count, commitment, first-name offset. */
const REF_BYTES = PAGE_ID_BYTES + 4 + 4 + 4 + HASH_BYTES + 4;
/** A root's first four bytes. A flat index starts with its entry count, which can never be
 *  this (its rows alone would be 256 GiB): the mark tells the two layouts apart. */
const ROOT_MARK = 0xffffffff;
/** Most rows a writer puts in one page: at 50,000 entries a page of 256 rows is about 19 KB and
 *  the root lists 196 pages (14 KB); a lookup opens one of each, an update writes one of each
 *  (33 KB in all, against 45 KB with pages of 512 and 38 KB with 128). Readers take any size. */
export const PAGE_ROWS = 256;

const te = new TextEncoder();
const bytesCompare = (a: Uint8Array, b: Uint8Array): number => Buffer.compare(a, b);
const malformed = (): CorruptError => new CorruptError('a vault index is malformed');

/** Where an entry is, what it is bound to, and what its ciphertext hashes to. */
export interface Row {
  name: string;
  id: Uint8Array;
  gen: number;
  off: number;
  len: number;
  commit: Uint8Array;
  /** Its row number in the index it was read from (across all its pages). */
  at?: number;
}

/** A page as its root lists it. */
export interface PageRef {
  id: Uint8Array;
  off: number;
  len: number;
  count: number;
  /** SHA-256 of the page as stored (nonce, ciphertext, tag). */
  commit: Uint8Array;
  /** The UTF-8 name of its first row. */
  first: Uint8Array;
}

/** Opens a page: checks its bytes against ref.commit and returns its plaintext. */
export type PageOpener = (ref: PageRef) => Uint8Array;

/** Rows and their names after a head of `head` bytes starting with the row count: a flat
 *  index or one page. Rows are read in place, never copied into objects one by one. */
export class RowBlock {
  readonly count: number;
  readonly #plain: Uint8Array;
  readonly #view: DataView;
  readonly #head: number;
  readonly #names: number;

  constructor(plain: Uint8Array, head: number) {
    if (plain.length < head) throw malformed();
    this.#plain = plain;
    this.#head = head;
    this.#view = new DataView(plain.buffer, plain.byteOffset, plain.byteLength);
    this.count = this.#view.getUint32(0);
    this.#names = head + this.count * ROW_BYTES;
    if (this.#names > plain.length) throw malformed();
  }

  nameBytes(i: number): Uint8Array {
    const at = this.#head + i * ROW_BYTES + ROW_BYTES - 4;
    const start = this.#view.getUint32(at);
    const end = i + 1 < this.count ? this.#view.getUint32(at + ROW_BYTES) : this.#plain.length - this.#names;
    if (start > end || this.#names + end > this.#plain.length) throw malformed();
    return this.#plain.subarray(this.#names + start, this.#names + end);
  }

  row(i: number, at: number): Row {
    const p = this.#head + i * ROW_BYTES;
    return {
      name: Buffer.from(this.nameBytes(i)).toString('utf8'),
      // Views into the plaintext, not copies: a write walks every row of 50,000.
      id: this.#plain.subarray(p, p + ENTRY_ID_BYTES),
      gen: this.#view.getUint32(p + 16),
      off: this.#view.getUint32(p + 20),
      len: this.#view.getUint32(p + 24),
      commit: this.#plain.subarray(p + 28, p + 28 + HASH_BYTES),
      at,
    };
  }

  /** Where row i's name starts in the names area (i = count: the area's end). */
  nameStart(i: number): number {
    return i < this.count ? this.#view.getUint32(this.#head + i * ROW_BYTES + ROW_BYTES - 4) : this.#plain.length - this.#names;
  }
  recordOff(i: number): number {
    return this.#view.getUint32(this.#head + i * ROW_BYTES + 20);
  }
  recordLen(i: number): number {
    return this.#view.getUint32(this.#head + i * ROW_BYTES + 24);
  }
  recordCommit(i: number): Uint8Array {
    const at = this.#head + i * ROW_BYTES + 28;
    return this.#plain.subarray(at, at + HASH_BYTES);
  }
  /** Rows [a, b) as stored, and a stretch of the names area: for copying into a new block. */
  rowBytes(a: number, b: number): Uint8Array {
    return this.#plain.subarray(this.#head + a * ROW_BYTES, this.#head + b * ROW_BYTES);
  }
  nameArea(start: number, end: number): Uint8Array {
    if (start > end || this.#names + end > this.#plain.length) throw malformed();
    return this.#plain.subarray(this.#names + start, this.#names + end);
  }

  /** The first row whose name is not below `want` (UTF-8 bytes). */
  lowerBound(want: Uint8Array): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (bytesCompare(this.nameBytes(mid), want) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Whether row i's name is exactly `want`. */
  nameIs(i: number, want: Uint8Array): boolean {
    return i < this.count && bytesCompare(this.nameBytes(i), want) === 0;
  }

  /** Whether the names rise strictly, row by row. Compared in place (no view per name): a
   *  whole write opens every page, 50,000 names. */
  risesStrictly(): boolean {
    const buf = Buffer.from(this.#plain.buffer, this.#plain.byteOffset, this.#plain.byteLength);
    const v = this.#view;
    const at = (i: number): number => this.#names + v.getUint32(this.#head + i * ROW_BYTES + ROW_BYTES - 4);
    const end = this.#plain.length;
    let ps = this.count > 0 ? at(0) : end;
    for (let i = 1; i < this.count; i++) {
      const s = at(i);
      if (s < ps || s > end || buf.compare(buf, s, i + 1 < this.count ? at(i + 1) : end, ps, s) >= 0) return false;
      ps = s;
    }
    return true;
  }
}

/**
 * An opened (authenticated) scope index: a paged root, whose pages are opened (and checked
 * against the root) when one of their rows is first asked for, or a flat index of one block.
 * Rows are numbered across pages in name order; a lookup is a binary search over the pages'
 * first names, then over one page.
 */
export class ScopeIndex {
  readonly count: number;
  readonly metaCommit: Uint8Array;
  /** A root of pages (every file written since pages), or a flat index (files before). */
  readonly paged: boolean;
  readonly pageCount: number;
  readonly #root: Uint8Array;
  readonly #view: DataView;
  readonly #names: number;
  readonly #starts: number[];
  readonly #blocks: (RowBlock | undefined)[];
  readonly #open: PageOpener | undefined;
  #last = 0;

  constructor(plain: Uint8Array, open?: PageOpener) {
    this.#root = plain;
    this.#view = new DataView(plain.buffer, plain.byteOffset, plain.byteLength);
    this.paged = plain.length >= 4 && this.#view.getUint32(0) === ROOT_MARK;
    if (!this.paged) {
      const flat = new RowBlock(plain, FLAT_HEAD);
      this.count = flat.count;
      this.metaCommit = plain.subarray(4, 4 + HASH_BYTES);
      this.pageCount = 1;
      this.#names = 0;
      this.#starts = [0, flat.count];
      this.#blocks = [flat];
      return;
    }
    if (!open || plain.length < ROOT_HEAD) throw malformed();
    this.#open = open;
    this.count = this.#view.getUint32(4);
    this.metaCommit = plain.subarray(8, 8 + HASH_BYTES);
    this.pageCount = this.#view.getUint32(8 + HASH_BYTES);
    this.#names = ROOT_HEAD + this.pageCount * REF_BYTES;
    if (this.#names > plain.length) throw malformed();
    this.#blocks = new Array<RowBlock | undefined>(this.pageCount);
    // Every page holds rows, the pages' counts add up to the entry count, and their first
    // names rise strictly: what routes a lookup is checked once, at open.
    this.#starts = [0];
    let prev: Uint8Array | null = null;
    for (let p = 0; p < this.pageCount; p++) {
      const n = this.#view.getUint32(ROOT_HEAD + p * REF_BYTES + 24);
      const first = this.firstName(p);
      if (n === 0 || (prev && bytesCompare(prev, first) >= 0)) throw malformed();
      prev = first;
      this.#starts.push(this.#starts[p]! + n);
    }
    if (this.#starts[this.pageCount] !== this.count) throw malformed();
  }

  /** Page p's first name, as the root lists it (paged only). */
  firstName(p: number): Uint8Array {
    const at = ROOT_HEAD + p * REF_BYTES + REF_BYTES - 4;
    const start = this.#view.getUint32(at);
    const end = p + 1 < this.pageCount ? this.#view.getUint32(at + REF_BYTES) : this.#root.length - this.#names;
    if (start > end || this.#names + end > this.#root.length) throw malformed();
    return this.#root.subarray(this.#names + start, this.#names + end);
  }

  /** Page p as the root lists it (paged only). */
  pageRef(p: number): PageRef {
    const at = ROOT_HEAD + p * REF_BYTES;
    const v = this.#view;
    return {
      id: this.#root.subarray(at, at + PAGE_ID_BYTES),
      off: v.getUint32(at + 16),
      len: v.getUint32(at + 20),
      count: v.getUint32(at + 24),
      commit: this.#root.subarray(at + 28, at + 28 + HASH_BYTES),
      first: this.firstName(p),
    };
  }

  /** The row number of page p's first row (p = pageCount: count). */
  pageStart(p: number): number {
    return this.#starts[p]!;
  }

  /** Page p's rows, opened on first use. A page must be the one the root lists (its
   *  commitment, checked by the opener) and hold what the root says: its row count, its first
   *  name, names rising strictly and below the next page's first name. */
  block(p: number): RowBlock {
    let b = this.#blocks[p];
    if (b) return b;
    const ref = this.pageRef(p);
    b = new RowBlock(this.#open!(ref), PAGE_HEAD);
    if (b.count !== ref.count || bytesCompare(b.nameBytes(0), ref.first) !== 0 || !b.risesStrictly()) throw malformed();
    if (p + 1 < this.pageCount && bytesCompare(b.nameBytes(b.count - 1), this.firstName(p + 1)) >= 0) throw malformed();
    this.#blocks[p] = b;
    return b;
  }

  /** The page a name belongs in: the last whose first name is not above it (the first page
   *  for a name below them all); -1 when there are no pages. */
  route(want: Uint8Array): number {
    if (!this.paged) return 0;
    let lo = 0;
    let hi = this.pageCount - 1;
    if (hi < 0) return -1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (bytesCompare(this.firstName(mid), want) <= 0) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** The page holding row i. */
  #locate(i: number): number {
    const s = this.#starts;
    if (i >= s[this.#last]! && i < s[this.#last + 1]!) return this.#last;
    if (i < 0 || i >= this.count) throw new RangeError('no such row');
    let lo = 0;
    let hi = this.#blocks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (s[mid]! <= i) lo = mid;
      else hi = mid - 1;
    }
    this.#last = lo;
    return lo;
  }

  row(i: number): Row {
    const p = this.#locate(i);
    return this.block(p).row(i - this.#starts[p]!, i);
  }
  recordOff(i: number): number {
    const p = this.#locate(i);
    return this.block(p).recordOff(i - this.#starts[p]!);
  }
  recordLen(i: number): number {
    const p = this.#locate(i);
    return this.block(p).recordLen(i - this.#starts[p]!);
  }
  /** Row i's commitment: SHA-256 of its record as stored. */
  recordCommit(i: number): Uint8Array {
    const p = this.#locate(i);
    return this.block(p).recordCommit(i - this.#starts[p]!);
  }

  /** Binary search by the name's UTF-8 bytes: the root, then one page. */
  find(name: string): Row | null {
    const want = te.encode(name);
    const p = this.route(want);
    if (p < 0) return null;
    const b = this.block(p);
    const j = b.lowerBound(want);
    return b.nameIs(j, want) ? b.row(j, this.#starts[p]! + j) : null;
  }

  names(): string[] {
    const out: string[] = [];
    for (let p = 0; p < this.pageCount; p++) {
      const b = this.block(p);
      for (let i = 0; i < b.count; i++) out.push(Buffer.from(b.nameBytes(i)).toString('utf8'));
    }
    return out;
  }

  rows(): Row[] {
    const out: Row[] = [];
    for (let p = 0; p < this.pageCount; p++) {
      const b = this.block(p);
      for (let i = 0; i < b.count; i++) out.push(b.row(i, this.#starts[p]! + i));
    }
    return out;
  }
}

/** One row at `at`: entry id, generation, record offset and length, commitment, name offset. */
function writeRow(out: Uint8Array, v: DataView, at: number, r: Pick<Row, 'id' | 'gen' | 'off' | 'len' | 'commit'>, nameOff: number): void {
  out.set(r.id, at);
  v.setUint32(at + 16, r.gen);
  v.setUint32(at + 20, r.off);
  v.setUint32(at + 24, r.len);
  out.set(r.commit, at + 28);
  v.setUint32(at + 28 + HASH_BYTES, nameOff);
}

/** A flat index (the layout before pages): written only for the test vectors and tests of
 *  files from before pages, and by tests that forge an index. */
export function encodeIndex(rows: Row[], metaCommit: Uint8Array): Uint8Array {
  const names = rows.map((r) => te.encode(r.name));
  const nameBytes = names.reduce((n, b) => n + b.length, 0);
  const out = new Uint8Array(FLAT_HEAD + rows.length * ROW_BYTES + nameBytes);
  const v = new DataView(out.buffer);
  v.setUint32(0, rows.length);
  out.set(metaCommit, 4);
  let nameOff = 0;
  let at = FLAT_HEAD;
  let n = FLAT_HEAD + rows.length * ROW_BYTES;
  rows.forEach((r, i) => {
    writeRow(out, v, at, r, nameOff);
    out.set(names[i]!, n);
    n += names[i]!.length;
    nameOff += names[i]!.length;
    at += ROW_BYTES;
  });
  return out;
}

/** A root listing `refs` in order. */
export function encodeRoot(metaCommit: Uint8Array, refs: PageRef[]): Uint8Array {
  const namesLen = refs.reduce((n, r) => n + r.first.length, 0);
  const out = new Uint8Array(ROOT_HEAD + refs.length * REF_BYTES + namesLen);
  const v = new DataView(out.buffer);
  v.setUint32(0, ROOT_MARK);
  v.setUint32(4, refs.reduce((n, r) => n + r.count, 0));
  out.set(metaCommit, 8);
  v.setUint32(8 + HASH_BYTES, refs.length);
  let at = ROOT_HEAD;
  let names = ROOT_HEAD + refs.length * REF_BYTES;
  let nameOff = 0;
  for (const r of refs) {
    out.set(r.id, at);
    v.setUint32(at + 16, r.off);
    v.setUint32(at + 20, r.len);
    v.setUint32(at + 24, r.count);
    out.set(r.commit, at + 28);
    v.setUint32(at + 28 + HASH_BYTES, nameOff);
    out.set(r.first, names);
    names += r.first.length;
    nameOff += r.first.length;
    at += REF_BYTES;
  }
  return out;
}

/** Seals a page's plaintext, lays it out, and returns how the root lists it (id, span,
 *  commitment; count and first name as given). */
export type PageSink = (plain: Uint8Array, count: number, first: Uint8Array) => PageRef;

/** A stretch of the new index's rows: kept rows [a, b) of an old block (its first row is row
 *  `base` of the old index), or fresh row f. */
type Item = { b: RowBlock; a: number; e: number; base: number } | { f: number };

/** What a scope's new index is made of: the previous index (if any) with the rows `drop`
 *  (row numbers) left out, and `fresh` rows (sorted by name) inserted. */
export interface IndexChange {
  old: ScopeIndex | undefined;
  drop: Set<number>;
  fresh: Row[];
  /** Kept rows' new record offsets, by old row number, when a whole write moved the records. */
  newOffs: Uint32Array | null;
  metaCommit: Uint8Array;
}

/**
 * A scope's new paged index: its root's plaintext, its new pages given to `sink` in name
 * order. `reuse` (an update): a page of the old root that loses no row and gains none stays
 * where it is and is listed as it was; only the pages a change falls in are written again
 * (with any such neighbours, repacked together). Otherwise (a whole write) every row is
 * repacked. Rows go into as few pages of at most `pageRows` as hold them, evenly filled, so
 * a full page that gains a row is split in two.
 */
export function buildPagedIndex(c: IndexChange, reuse: boolean, pageRows: number, sink: PageSink): Uint8Array {
  const { old, fresh, newOffs } = c;
  const freshNames = fresh.map((r) => te.encode(r.name));
  const drops = [...c.drop].sort((a, b) => a - b);
  const refs: PageRef[] = [];
  let pending: Item[] = [];
  let pendingN = 0;
  const flush = (): void => {
    if (pendingN) emitPages(pending, pendingN, pageRows, fresh, freshNames, newOffs, sink, refs);
    pending = [];
    pendingN = 0;
  };
  const pages = old ? old.pageCount : 0;
  let f = 0;
  let d = 0;
  for (let p = 0; p < pages; p++) {
    const lo = old!.pageStart(p);
    const hi = old!.pageStart(p + 1);
    // The fresh rows that route to this page (as a reader's lookup would), and its drops.
    let fEnd = f;
    if (p + 1 < pages) {
      const next = old!.firstName(p + 1);
      while (fEnd < fresh.length && bytesCompare(freshNames[fEnd]!, next) < 0) fEnd++;
    } else {
      fEnd = fresh.length;
    }
    const dFrom = d;
    while (d < drops.length && drops[d]! < hi) d++;
    if (reuse && old!.paged && fEnd === f && d === dFrom) {
      flush();
      refs.push(old!.pageRef(p));
      continue;
    }
    const b = old!.block(p);
    let from = 0;
    let dl = dFrom;
    const keep = (a: number, e: number): void => {
      for (; dl < d && drops[dl]! - lo < e; dl++) {
        if (drops[dl]! - lo > a) pending.push({ b, a, e: drops[dl]! - lo, base: lo });
        pendingN += Math.max(0, drops[dl]! - lo - a);
        a = Math.max(a, drops[dl]! - lo + 1);
      }
      if (e > a) {
        pending.push({ b, a, e, base: lo });
        pendingN += e - a;
      }
    };
    for (; f < fEnd; f++) {
      const at = b.lowerBound(freshNames[f]!);
      if (b.nameIs(at, freshNames[f]!) && !c.drop.has(lo + at)) throw new Error('an entry name twice in one scope');
      keep(from, at);
      from = at;
      pending.push({ f });
      pendingN++;
    }
    keep(from, b.count);
  }
  // A scope that had no page yet: every row is fresh.
  for (; f < fresh.length; f++) {
    pending.push({ f });
    pendingN++;
  }
  flush();
  return encodeRoot(c.metaCommit, refs);
}

/** The rows of `items` (n in all) as pages of at most pageRows, evenly filled. */
function emitPages(items: Item[], n: number, pageRows: number, fresh: Row[], freshNames: Uint8Array[], newOffs: Uint32Array | null, sink: PageSink, refs: PageRef[]): void {
  const k = Math.ceil(n / pageRows);
  const small = Math.floor(n / k);
  let it = 0;
  let into = 0;
  for (let c = 0; c < k; c++) {
    let need = small + (c < n % k ? 1 : 0);
    const size = need;
    const chunk: Item[] = [];
    while (need > 0) {
      const item = items[it]!;
      if ('f' in item) {
        chunk.push(item);
        need--;
        it++;
        continue;
      }
      const a = item.a + into;
      const take = Math.min(item.e - a, need);
      chunk.push({ b: item.b, a, e: a + take, base: item.base });
      need -= take;
      into += take;
      if (item.a + into === item.e) {
        it++;
        into = 0;
      }
    }
    refs.push(writePage(chunk, size, fresh, freshNames, newOffs, sink));
  }
}

/** One page's plaintext: its rows copied in runs (name offsets moved, record offsets replaced
 *  when the records moved) or written fresh. */
function writePage(chunk: Item[], count: number, fresh: Row[], freshNames: Uint8Array[], newOffs: Uint32Array | null, sink: PageSink): PageRef {
  let namesLen = 0;
  for (const item of chunk) namesLen += 'f' in item ? freshNames[item.f]!.length : item.b.nameStart(item.e) - item.b.nameStart(item.a);
  const namesAt = PAGE_HEAD + count * ROW_BYTES;
  const out = new Uint8Array(namesAt + namesLen);
  const v = new DataView(out.buffer);
  v.setUint32(0, count);
  let r = 0;
  let nOut = 0;
  for (const item of chunk) {
    const at = PAGE_HEAD + r * ROW_BYTES;
    if ('f' in item) {
      const nm = freshNames[item.f]!;
      writeRow(out, v, at, fresh[item.f]!, nOut);
      out.set(nm, namesAt + nOut);
      nOut += nm.length;
      r++;
      continue;
    }
    const { b, a, e } = item;
    const s = b.nameStart(a);
    const end = b.nameStart(e);
    out.set(b.rowBytes(a, e), at);
    out.set(b.nameArea(s, end), namesAt + nOut);
    shiftRows(out, v, at, e - a, s, end, nOut - s, newOffs, item.base + a);
    r += e - a;
    nOut += end - s;
  }
  if (r !== count || nOut !== namesLen) throw new Error('index page length mismatch');
  const first = new RowBlock(out, PAGE_HEAD).nameBytes(0);
  return sink(out, count, first);
}

/**
 * A flat index (the layout before pages, for the vectors of such files only): the kept rows of
 * the previous flat index copied in runs with their new record and name offsets, the fresh
 * rows (sorted by name) inserted in their places.
 */
export function buildFlatIndex(c: IndexChange): Uint8Array {
  if (!c.old) return encodeIndex(c.fresh, c.metaCommit);
  if (c.old.paged) throw new Error('a flat index is only written over a flat one');
  const old = c.old.block(0);
  const fresh = c.fresh;
  const freshNames = fresh.map((r) => te.encode(r.name));
  const at = freshNames.map((nm) => old.lowerBound(nm));
  const drops = [...c.drop].sort((a, b) => a - b);
  let droppedNames = 0;
  for (const d of drops) droppedNames += old.nameStart(d + 1) - old.nameStart(d);
  const count = old.count - drops.length + fresh.length;
  const namesLen = old.nameStart(old.count) - droppedNames + freshNames.reduce((k, b) => k + b.length, 0);
  const namesAt = FLAT_HEAD + count * ROW_BYTES;
  const out = new Uint8Array(namesAt + namesLen);
  const v = new DataView(out.buffer);
  v.setUint32(0, count);
  out.set(c.metaCommit, 4);
  let r = 0;
  let nOut = 0;
  const copyRun = (a: number, b: number): void => {
    if (a >= b) return;
    const s = old.nameStart(a);
    const e = old.nameStart(b);
    out.set(old.rowBytes(a, b), FLAT_HEAD + r * ROW_BYTES);
    out.set(old.nameArea(s, e), namesAt + nOut);
    shiftRows(out, v, FLAT_HEAD + r * ROW_BYTES, b - a, s, e, nOut - s, c.newOffs, a);
    r += b - a;
    nOut += e - s;
  };
  let d = 0;
  const copyKept = (a: number, b: number): void => {
    for (; d < drops.length && drops[d]! < b; d++) {
      copyRun(a, drops[d]!);
      a = drops[d]! + 1;
    }
    copyRun(a, b);
  };
  let from = 0;
  fresh.forEach((row, f) => {
    if (old.nameIs(at[f]!, freshNames[f]!) && !c.drop.has(at[f]!)) throw new Error('an entry name twice in one scope');
    copyKept(from, at[f]!);
    from = at[f]!;
    writeRow(out, v, FLAT_HEAD + r * ROW_BYTES, row, nOut);
    out.set(freshNames[f]!, namesAt + nOut);
    nOut += freshNames[f]!.length;
    r++;
  });
  copyKept(from, old.count);
  if (r !== count || nOut !== namesLen) throw new Error('index length mismatch');
  return out;
}

/** Rows copied into a new block: each name offset moved by `shift` (checked to rise within
 *  [s, e] as it was), and with `newOffs` each record offset replaced (newOffs is by old row
 *  number; `first` is the first copied row's). A loop of its own, on locals only: it runs once
 *  per row of the largest index. */
function shiftRows(out: Uint8Array, v: DataView, at: number, n: number, s: number, e: number, shift: number, newOffs: Uint32Array | null, first: number): void {
  let prev = s;
  const nameAt = ROW_BYTES - 4;
  for (let k = 0; k < n; k++) {
    const p = at + k * ROW_BYTES;
    const ns = v.getUint32(p + nameAt);
    if (ns < prev || ns > e) throw malformed();
    prev = ns;
    if (newOffs !== null) v.setUint32(p + 20, newOffs[first + k]!);
    v.setUint32(p + nameAt, ns + shift);
  }
}
