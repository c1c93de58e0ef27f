// Format v2's sealed parts (docs/FORMAT.md): a meta record, one record per entry, and per
// scope an index of its entries. Each is XChaCha20-Poly1305 under its scope's key with
// associated data that binds it to its place: a record to its vault, scope, entry id and
// generation; the meta record and each index to the whole header (write id, scopes, slots).
// Each index row commits to its record's ciphertext, so one record cannot be removed,
// duplicated, swapped or rolled back unnoticed. A reader opens the index of a scope and only
// the records it needs.
import { createHash, createHmac, hkdfSync } from 'node:crypto';
import { AuthError, CorruptError } from '../errors';
import * as aead from '../crypto/aead';
import { HASH_BYTES, matchesCommit, sha256 } from '../crypto/hash';
import { macEquals } from '../crypto/mac';
import { DEFAULT_SCOPE, encodeHeader, encodeTrailer, Header, Span, Toc, trailerBytes, UPDATE_LEAD, WRITE_ID_BYTES, WRITER_TAG_BYTES } from './header';
import { headerFits, MAX_FILE_BYTES } from './limits';

export type Rng = (n: number) => Uint8Array;
export type ScopeKeyMap = Map<number, Uint8Array>;

/** Reads `len` bytes at absolute offset `off` of the vault file. */
export type Reader = (off: number, len: number) => Uint8Array;

export const ENTRY_ID_BYTES = 16;
const ROW_BYTES = ENTRY_ID_BYTES + 4 + 4 + 4 + HASH_BYTES + 4;
const INDEX_HEAD_BYTES = 4 + HASH_BYTES;

const te = new TextEncoder();
const LABEL_ENTRY = te.encode('exvault entry v2\0');
const LABEL_INDEX = te.encode('exvault index v2\0');
const LABEL_META = te.encode('exvault meta v2\0');
const LABEL_UPDATE = te.encode('exvault update v2\0');
const LABEL_TAGGED = te.encode('exvault header v2 tagged\0');
const LABEL_WRITER = 'exvault writer v2';
const LABEL_WRITER_TAG = te.encode('exvault writer v2\0');

function u32(n: number): Uint8Array {
  return Uint8Array.of((n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
}
const cat = (...parts: Uint8Array[]): Uint8Array => {
  const b = Buffer.concat(parts);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
};

export function readerOf(file: Uint8Array): Reader {
  return (off, len) => {
    if (off + len > file.length) throw new CorruptError('the vault file is truncated');
    return file.subarray(off, off + len);
  };
}

/** Where an entry is, what it is bound to, and what its ciphertext hashes to. */
export interface Row {
  name: string;
  id: Uint8Array;
  gen: number;
  off: number;
  len: number;
  commit: Uint8Array;
  /** Its row number in the index it was read from. */
  at?: number;
}

function entryAd(vaultId: Uint8Array, scope: number, id: Uint8Array, gen: number): Uint8Array {
  return cat(LABEL_ENTRY, vaultId, u32(scope), id, u32(gen));
}
/** The whole header but its table of contents (zeroed): vault id, write id, scope table and
 *  every slot. Bound into the meta record and each index, so any header change is refused by
 *  whoever opens the file, whichever slot they came through. For the parts of an update: that
 *  digest with the update's own write id, so they belong to this header and this update. */
export function headerDigest(h: Header, update = h.state?.update): Uint8Array {
  // A tagged header hashes under its own label (and its length counts the tag): a tag stripped
  // to pass the file off as untagged changes the digest every index and the meta record are
  // bound to, and only the holder of every scope key could seal them all again.
  const zeroed = encodeHeader({ ...h, toc: zeroToc(h) });
  const d = h.toc.tag ? sha256(LABEL_TAGGED, zeroed) : sha256(zeroed);
  return update ? sha256(LABEL_UPDATE, d, update) : d;
}

/** The table of contents with its spans (and tag, if it has one) zeroed. */
function zeroToc(h: Header): Toc {
  return { meta: { off: 0, len: 0 }, indexes: h.scopes.map(() => ({ off: 0, len: 0 })), ...(h.toc.tag && { tag: new Uint8Array(WRITER_TAG_BYTES) }) };
}

/** The header's bytes a write may not change for its change to be appended (slots, scopes,
 *  vault id, the header's own write id, whether it is tagged). */
export function headerIdentity(h: Header): Uint8Array {
  return encodeHeader({ ...h, toc: zeroToc(h) });
}

/** The key of the writer tag: derived from every scope's key, so only a slot granted every
 *  scope (who may write) can make one; a host granted some scopes can seal its scopes' parts
 *  but not the tag over all of them. */
export function writerKey(h: Header, keys: ScopeKeyMap): Uint8Array {
  const all = h.scopes.map((s) => {
    const k = keys.get(s.id);
    if (!k) throw new AuthError();
    return k;
  });
  return new Uint8Array(hkdfSync('sha256', cat(...all), h.vaultId, LABEL_WRITER, 32));
}

/** HMAC-SHA256 under the writer key of the digest the parts are bound to, the meta record's
 *  SHA-256 as stored and each index's (scope-table order): one state, whole. */
function writerTag(key: Uint8Array, digest: Uint8Array, metaHash: Uint8Array, indexHashes: Uint8Array[]): Uint8Array {
  const m = createHmac('sha256', key).update(LABEL_WRITER_TAG).update(digest).update(metaHash);
  for (const x of indexHashes) m.update(x);
  return new Uint8Array(m.digest());
}

export const WRITER_REFUSED = 'the vault was changed by someone who does not hold every scope\'s key (or damaged)';

/** Checks the latest state's writer tag (a reader holding every scope key). A tagged file
 *  must carry a right tag; an untagged one (written before tags) opens as it did. */
export function verifyWriter(h: Header, keys: ScopeKeyMap, read: Reader): void {
  const tag = h.toc.tag;
  if (!tag) return;
  const hashOf = (s: Span): Uint8Array => sha256(read(s.off, s.len));
  const want = writerTag(writerKey(h, keys), headerDigest(h), hashOf(h.toc.meta), h.toc.indexes.map(hashOf));
  if (!macEquals(want, tag)) throw new CorruptError(WRITER_REFUSED, ['restore the backup if it opens (vault restore vault.exv.bak), and find out who could write this file']);
}
export function indexAd(h: Header, scope: number, digest = headerDigest(h)): Uint8Array {
  return cat(LABEL_INDEX, h.vaultId, u32(scope), digest);
}
function metaAd(h: Header, digest = headerDigest(h)): Uint8Array {
  return cat(LABEL_META, h.vaultId, digest);
}

/** A record: its nonce, then ciphertext and tag. */
export function sealRecord(key: Uint8Array, plain: Uint8Array, ad: Uint8Array, rng: Rng): Uint8Array {
  const nonce = rng(aead.NONCE_BYTES);
  return cat(nonce, aead.seal(key, nonce, plain, ad));
}

function openRecord(key: Uint8Array, bytes: Uint8Array, ad: Uint8Array): Uint8Array {
  if (bytes.length < aead.NONCE_BYTES + aead.TAG_BYTES) throw new AuthError();
  const plain = aead.open(key, bytes.subarray(0, aead.NONCE_BYTES), bytes.subarray(aead.NONCE_BYTES), ad);
  if (!plain) throw new AuthError();
  return plain;
}

export function sealEntry(vaultId: Uint8Array, key: Uint8Array, scope: number, id: Uint8Array, gen: number, line: Uint8Array, rng: Rng): Uint8Array {
  return sealRecord(key, line, entryAd(vaultId, scope, id, gen), rng);
}

const bytesCompare = (a: Uint8Array, b: Uint8Array): number => Buffer.compare(a, b);

/** An opened (authenticated) index: rows sorted by name, found by binary search. */
export class ScopeIndex {
  readonly count: number;
  readonly metaCommit: Uint8Array;
  readonly #plain: Uint8Array;
  readonly #view: DataView;
  readonly #names: number;

  constructor(plain: Uint8Array) {
    if (plain.length < INDEX_HEAD_BYTES) throw new CorruptError('a vault index is malformed');
    this.#plain = plain;
    this.#view = new DataView(plain.buffer, plain.byteOffset, plain.byteLength);
    this.count = this.#view.getUint32(0);
    this.metaCommit = plain.subarray(4, 4 + HASH_BYTES);
    this.#names = INDEX_HEAD_BYTES + this.count * ROW_BYTES;
    if (this.#names > plain.length) throw new CorruptError('a vault index is malformed');
  }

  #nameBytes(i: number): Uint8Array {
    const at = INDEX_HEAD_BYTES + i * ROW_BYTES + ROW_BYTES - 4;
    const start = this.#view.getUint32(at);
    const end = i + 1 < this.count ? this.#view.getUint32(at + ROW_BYTES) : this.#plain.length - this.#names;
    if (start > end || this.#names + end > this.#plain.length) throw new CorruptError('a vault index is malformed');
    return this.#plain.subarray(this.#names + start, this.#names + end);
  }

  row(i: number): Row {
    const at = INDEX_HEAD_BYTES + i * ROW_BYTES;
    const p = this.#plain;
    return {
      name: Buffer.from(this.#nameBytes(i)).toString('utf8'),
      // Views into the index's plaintext, not copies: a write walks every row of 50,000.
      id: p.subarray(at, at + ENTRY_ID_BYTES),
      gen: this.#view.getUint32(at + 16),
      off: this.#view.getUint32(at + 20),
      len: this.#view.getUint32(at + 24),
      commit: p.subarray(at + 28, at + 28 + HASH_BYTES),
      at: i,
    };
  }

  /** Where row i's name starts in the names area (i = count: the area's end). */
  nameStart(i: number): number {
    return i < this.count ? this.#view.getUint32(INDEX_HEAD_BYTES + i * ROW_BYTES + ROW_BYTES - 4) : this.#plain.length - this.#names;
  }

  /** Row i's record offset and length, without building a Row. */
  recordOff(i: number): number {
    return this.#view.getUint32(INDEX_HEAD_BYTES + i * ROW_BYTES + 20);
  }
  recordLen(i: number): number {
    return this.#view.getUint32(INDEX_HEAD_BYTES + i * ROW_BYTES + 24);
  }
  /** Row i's commitment: SHA-256 of its record as stored. */
  recordCommit(i: number): Uint8Array {
    const at = INDEX_HEAD_BYTES + i * ROW_BYTES + 28;
    return this.#plain.subarray(at, at + HASH_BYTES);
  }

  /** The index plaintext: rows [a, b) and their names, for copying them into a new index. */
  rowBytes(a: number, b: number): Uint8Array {
    return this.#plain.subarray(INDEX_HEAD_BYTES + a * ROW_BYTES, INDEX_HEAD_BYTES + b * ROW_BYTES);
  }
  nameArea(start: number, end: number): Uint8Array {
    if (start > end || this.#names + end > this.#plain.length) throw new CorruptError('a vault index is malformed');
    return this.#plain.subarray(this.#names + start, this.#names + end);
  }

  /** The first row whose name is not below `want` (UTF-8 bytes). */
  lowerBound(want: Uint8Array): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (bytesCompare(this.#nameBytes(mid), want) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Whether row i's name is exactly `want`. */
  nameIs(i: number, want: Uint8Array): boolean {
    return i < this.count && bytesCompare(this.#nameBytes(i), want) === 0;
  }

  /** Binary search by the name's UTF-8 bytes. */
  find(name: string): Row | null {
    const want = te.encode(name);
    let lo = 0;
    let hi = this.count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const c = bytesCompare(this.#nameBytes(mid), want);
      if (c === 0) return this.row(mid);
      if (c < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return null;
  }

  names(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.count; i++) out.push(Buffer.from(this.#nameBytes(i)).toString('utf8'));
    return out;
  }

  rows(): Row[] {
    const out: Row[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.row(i));
    return out;
  }
}

/** One index row at `at`: entry id, generation, record offset and length, commitment, name offset. */
function writeRow(out: Uint8Array, v: DataView, at: number, r: Pick<Row, 'id' | 'gen' | 'off' | 'len' | 'commit'>, nameOff: number): void {
  out.set(r.id, at);
  v.setUint32(at + 16, r.gen);
  v.setUint32(at + 20, r.off);
  v.setUint32(at + 24, r.len);
  out.set(r.commit, at + 28);
  v.setUint32(at + 28 + HASH_BYTES, nameOff);
}

export function encodeIndex(rows: Row[], metaCommit: Uint8Array): Uint8Array {
  const names = rows.map((r) => te.encode(r.name));
  const nameBytes = names.reduce((n, b) => n + b.length, 0);
  const out = new Uint8Array(INDEX_HEAD_BYTES + rows.length * ROW_BYTES + nameBytes);
  const v = new DataView(out.buffer);
  v.setUint32(0, rows.length);
  out.set(metaCommit, 4);
  let nameOff = 0;
  let at = INDEX_HEAD_BYTES;
  let n = INDEX_HEAD_BYTES + rows.length * ROW_BYTES;
  rows.forEach((r, i) => {
    writeRow(out, v, at, r, nameOff);
    out.set(names[i]!, n);
    n += names[i]!.length;
    nameOff += names[i]!.length;
    at += ROW_BYTES;
  });
  return out;
}

/** One entry to write: either its sealed bytes copied from the previous file, or its plaintext line. */
export interface EntryToWrite {
  name: string;
  scope: number;
  id: Uint8Array;
  gen: number;
  /** The record exactly as in the previous file, with its commitment from the previous index
   *  (carried, not recomputed: a damaged record stays detectably damaged). */
  sealed?: Uint8Array;
  commit?: Uint8Array;
  line?: Uint8Array;
}

/** The rows of a scope's previous index that a write keeps: their records are copied from the
 *  previous file with their commitments, their rows copied into the new index as they were
 *  (only the record offset and the name offset change). `drop`: rows not kept (row numbers). */
export interface Carried {
  scope: number;
  index: ScopeIndex;
  drop: Set<number>;
}

/**
 * The whole v2 file. Records of unchanged entries are copied verbatim (`carried`: runs of the
 * previous file, scope by scope in name order); changed ones are sealed anew and placed after
 * them, sorted by name; the meta record and the indexes are sealed on every write under
 * a fresh write id. The new index is the old one with rows dropped and inserted, copied in
 * runs: a write of one entry into 50,000 builds no object per entry.
 */
export function buildFile(header: Header, keys: ScopeKeyMap, meta: Uint8Array, entries: EntryToWrite[], rng: Rng, carried?: { scopes: Carried[]; read: Reader }, opts: WriteOptions = {}): Uint8Array {
  return cat(...buildFileParts(header, keys, meta, entries, rng, carried, opts));
}

/** `untagged`: write a file as exvault did before writer tags, only for the test vectors
 *  and tests that check such files still open (no command writes one). */
export interface WriteOptions {
  untagged?: boolean;
}

/** As buildFile, but the file as its pieces in order (header, meta, runs of copied records,
 *  new records, indexes), for writing without first copying them into one buffer. */
export function buildFileParts(header: Header, keys: ScopeKeyMap, meta: Uint8Array, entries: EntryToWrite[], rng: Rng, carried?: { scopes: Carried[]; read: Reader }, opts: WriteOptions = {}): Uint8Array[] {
  header.writeId = rng(WRITE_ID_BYTES);
  // A whole file: its header describes its one state (no update follows it).
  delete header.state;
  // Every whole write is tagged (an untagged file becomes tagged on its first write).
  header.toc = { meta: { off: 0, len: 0 }, indexes: header.scopes.map(() => ({ off: 0, len: 0 })), ...(!opts.untagged && { tag: new Uint8Array(WRITER_TAG_BYTES) }) };
  const headLen = encodeHeader(header).length;
  // Readers refuse a larger header: it must never be written (recipient add checks first).
  if (!headerFits(headLen)) throw new CorruptError('the vault header would be larger than 64 KiB (too many key slots)');
  const digest = headerDigest(header);
  const key0 = keys.get(DEFAULT_SCOPE);
  if (!key0) throw new AuthError();
  const parts: Uint8Array[] = [];
  let off = headLen;
  const put = (b: Uint8Array): Span => {
    parts.push(b);
    const s = { off, len: b.length };
    off += b.length;
    return s;
  };
  const metaSpan = put(sealRecord(key0, meta, metaAd(header, digest), rng));
  const metaCommit = sha256(parts[0]!);
  const newOffs = new Map<number, Uint32Array>();
  if (carried) off = copyCarried(carried.scopes, carried.read, off, parts, newOffs);
  const byScope = putNewRecords(header, keys, entries, rng, put, true);
  const indexes = header.scopes.map((s) => {
    const key = keys.get(s.id);
    if (!key) throw new AuthError();
    const kept = carried?.scopes.find((c) => c.scope === s.id);
    const commit = s.id === DEFAULT_SCOPE ? metaCommit : new Uint8Array(HASH_BYTES);
    const plain = kept ? mergeIndex(kept, newOffs.get(s.id)!, byScope.get(s.id)!, commit) : encodeIndex(byScope.get(s.id)!, commit);
    return put(sealRecord(key, plain, indexAd(header, s.id, digest), rng));
  });
  header.toc = { meta: metaSpan, indexes };
  if (!opts.untagged) header.toc.tag = writerTag(writerKey(header, keys), digest, metaCommit, indexes.map((_, i) => sha256(parts[parts.length - indexes.length + i]!)));
  const head = encodeHeader(header);
  if (head.length !== headLen) throw new Error('header length changed');
  if (off > MAX_FILE_BYTES) throw new CorruptError('the vault would be too large');
  return [head, ...coalesce(parts)];
}

/** A write appended to the file (docs/FORMAT.md "Writing"): its bytes up to the trailer, the
 *  trailer, and where the file would end. */
export interface Update {
  body: Uint8Array[];
  trailer: Uint8Array;
  end: number;
}

/** Lays out the records of this write, sorted by name, through `put`; returns each scope's new
 *  rows. `reuseSealed`: a record already sealed (a merge copies one byte for byte) is put as it
 *  is, with its commitment; an update always seals the entry's line. */
function putNewRecords(header: Header, keys: ScopeKeyMap, entries: EntryToWrite[], rng: Rng, put: (b: Uint8Array) => Span, reuseSealed: boolean): Map<number, Row[]> {
  const byScope = new Map<number, Row[]>(header.scopes.map((s) => [s.id, []]));
  const sorted = entries.map((e) => ({ e, key: Buffer.from(e.name, 'utf8') })).sort((a, b) => bytesCompare(a.key, b.key));
  for (const { e } of sorted) {
    const rows = byScope.get(e.scope);
    const key = keys.get(e.scope);
    if (!rows || !key) throw new CorruptError(`no such scope ${e.scope}`);
    const sealed = reuseSealed ? e.sealed : undefined;
    const bytes = sealed ?? sealEntry(header.vaultId, key, e.scope, e.id, e.gen, e.line!, rng);
    const span = put(bytes);
    rows.push({ name: e.name, id: e.id, gen: e.gen, off: span.off, len: span.len, commit: (sealed && e.commit) || sha256(bytes) });
  }
  return byScope;
}

/**
 * An update appended at `start` (the end of the file's current state): UPDATE_LEAD, the
 * records sealed in this write (sorted by name), the meta record and every index sealed
 * anew under a new write id, then the trailer. Kept records stay where they are: their
 * rows are carried into the new indexes as they were, nothing of them is read or copied.
 * The header is not rewritten, so it must be the one the file has (same slots and scopes).
 */
export function buildUpdate(header: Header, keys: ScopeKeyMap, meta: Uint8Array, entries: EntryToWrite[], rng: Rng, kept: Carried[], start: number): Update {
  // Tagged as the file is: a command writes an untagged file whole (session.ts sealUpdate),
  // so an untagged update is only made for the test vectors of files from before tags.
  const tagged = !!header.toc.tag;
  const writeId = rng(WRITE_ID_BYTES);
  const digest = headerDigest(header, writeId);
  const key0 = keys.get(DEFAULT_SCOPE);
  if (!key0) throw new AuthError();
  const body: Uint8Array[] = [];
  let off = start;
  const put = (...pieces: Uint8Array[]): Span => {
    const s = { off, len: 0 };
    for (const b of pieces) {
      body.push(b);
      s.len += b.length;
    }
    off += s.len;
    return s;
  };
  put(UPDATE_LEAD);
  const byScope = putNewRecords(header, keys, entries, rng, put, false);
  const metaSealed = sealRecord(key0, meta, metaAd(header, digest), rng);
  const metaSpan = put(metaSealed);
  const metaCommit = sha256(metaSealed);
  const hashes: Uint8Array[] = [];
  const indexes = header.scopes.map((s) => {
    const key = keys.get(s.id);
    const c = kept.find((k) => k.scope === s.id);
    if (!key || !c) throw new AuthError();
    const plain = mergeIndex(c, null, byScope.get(s.id)!, s.id === DEFAULT_SCOPE ? metaCommit : new Uint8Array(HASH_BYTES));
    // Written as the cipher gives it (nonce, ciphertext, tag): an index of 50,000 rows is 4 MB.
    const nonce = rng(aead.NONCE_BYTES);
    const pieces = [nonce, ...aead.sealPieces(key, nonce, plain, indexAd(header, s.id, digest))];
    const h = createHash('sha256');
    for (const p of pieces) h.update(p);
    hashes.push(new Uint8Array(h.digest()));
    return put(...pieces);
  });
  const toc: Toc = { meta: metaSpan, indexes, ...(tagged && { tag: writerTag(writerKey(header, keys), digest, metaCommit, hashes) }) };
  const trailer = encodeTrailer(writeId, toc, start);
  return { body, trailer, end: off + trailer.length };
}

/** Copies the kept records from the previous file, scope by scope in index (name) order, one
 *  piece per run of records that lie side by side there (no sorting: the previous write laid
 *  them out in this order but for its own new records); fills each scope's new record offsets
 *  by row. Returns where the copies end. */
function copyCarried(scopes: Carried[], read: Reader, start: number, parts: Uint8Array[], newOffs: Map<number, Uint32Array>): number {
  let cursor = start;
  let runStart = -1;
  let runEnd = -1;
  // The records of the current run, checked once the run is read: one read per run.
  let pending: { ix: ScopeIndex; rows: number[] } | null = null;
  const flush = (): void => {
    if (runStart < 0) return;
    const run = read(runStart, runEnd - runStart);
    // A record is carried only when it still matches its commitment: a damaged or swapped
    // record must stop the write, not ride along into the new file and, after it, the backup.
    for (const i of pending?.rows ?? []) {
      const ix = pending!.ix;
      const at = ix.recordOff(i) - runStart;
      if (!matchesCommit(run.subarray(at, at + ix.recordLen(i)), ix.recordCommit(i))) {
        const name = ix.row(i).name;
        throw new CorruptError(`the stored record of the entry "${name}" does not match the vault's index (damaged or modified): nothing was changed`, [
          `remove that entry (vault rm ${name} --yes: it needs only the index), then add its key again`,
          'or put back the backup if it opens (vault restore vault.exv.bak)',
        ]);
      }
    }
    parts.push(run);
    pending = null;
  };
  for (const c of scopes) {
    const ix = c.index;
    const offs = new Uint32Array(ix.count);
    newOffs.set(c.scope, offs);
    const drops = [...c.drop].sort((a, b) => a - b);
    let d = 0;
    for (let i = 0; i < ix.count; i++) {
      if (d < drops.length && drops[d] === i) {
        d++;
        continue;
      }
      const from = ix.recordOff(i);
      const len = ix.recordLen(i);
      // A new run where the bytes are not adjacent, and at each scope (rows are checked
      // against their own scope's index).
      if (from !== runEnd || (pending && pending.ix !== ix)) {
        flush();
        runStart = from;
        runEnd = from;
      }
      (pending ??= { ix, rows: [] }).rows.push(i);
      runEnd += len;
      offs[i] = cursor;
      cursor += len;
    }
  }
  flush();
  return cursor;
}

/** The new index of a scope: the kept rows of the previous one, copied in runs with their new
 *  record and name offsets, and the fresh rows (sorted by name) inserted in their places. */
function mergeIndex(c: Carried, newOffs: Uint32Array | null, fresh: Row[], metaCommit: Uint8Array): Uint8Array {
  const old = c.index;
  const freshNames = fresh.map((r) => te.encode(r.name));
  const at = freshNames.map((nm) => old.lowerBound(nm));
  const drops = [...c.drop].sort((a, b) => a - b);
  let droppedNames = 0;
  for (const d of drops) droppedNames += old.nameStart(d + 1) - old.nameStart(d);
  const count = old.count - drops.length + fresh.length;
  const namesLen = old.nameStart(old.count) - droppedNames + freshNames.reduce((k, b) => k + b.length, 0);
  const namesAt = INDEX_HEAD_BYTES + count * ROW_BYTES;
  const out = new Uint8Array(namesAt + namesLen);
  const v = new DataView(out.buffer);
  v.setUint32(0, count);
  out.set(metaCommit, 4);
  let r = 0;
  let nOut = 0;
  const copyRun = (a: number, b: number): void => {
    if (a >= b) return;
    const s = old.nameStart(a);
    const e = old.nameStart(b);
    out.set(old.rowBytes(a, b), INDEX_HEAD_BYTES + r * ROW_BYTES);
    out.set(old.nameArea(s, e), namesAt + nOut);
    shiftRows(out, v, INDEX_HEAD_BYTES + r * ROW_BYTES, b - a, s, e, nOut - s, newOffs, a);
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
    const p = INDEX_HEAD_BYTES + r * ROW_BYTES;
    writeRow(out, v, p, row, nOut);
    out.set(freshNames[f]!, namesAt + nOut);
    nOut += freshNames[f]!.length;
    r++;
  });
  copyKept(from, old.count);
  if (r !== count || nOut !== namesLen) throw new Error('index length mismatch');
  return out;
}

/** Rows copied into a new index: each name offset moved by `shift` (checked to rise within
 *  [s, e] as it was), and with `newOffs` each record offset replaced. A loop of its own, on
 *  locals only: it runs once per row of the largest index. */
function shiftRows(out: Uint8Array, v: DataView, at: number, n: number, s: number, e: number, shift: number, newOffs: Uint32Array | null, first: number): void {
  let prev = s;
  const nameAt = ROW_BYTES - 4;
  for (let k = 0; k < n; k++) {
    const p = at + k * ROW_BYTES;
    const ns = v.getUint32(p + nameAt);
    if (ns < prev || ns > e) throw new CorruptError('a vault index is malformed');
    prev = ns;
    if (newOffs !== null) v.setUint32(p + 20, newOffs[first + k]!);
    v.setUint32(p + nameAt, ns + shift);
  }
}

/** Records copied from one old file lie side by side there: one view per run, not per record
 *  (a write of 50,000 entries otherwise spends its time copying 50,000 small pieces). */
function coalesce(parts: Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const p of parts) {
    const last = out[out.length - 1];
    if (last && last.buffer === p.buffer && last.byteOffset + last.byteLength === p.byteOffset) {
      out[out.length - 1] = new Uint8Array(p.buffer, last.byteOffset, last.byteLength + p.byteLength);
    } else {
      out.push(p);
    }
  }
  return out;
}

/** Opening a v2 file part by part, with the scope keys a slot gave. */
export class OpenedV2 {
  readonly #indexes = new Map<number, ScopeIndex>();
  #digest: Uint8Array | undefined;

  readonly header: Header;
  readonly keys: ScopeKeyMap;

  /** Keeps its own copies of the header and keys: a writer changes its header (slots, scopes)
   *  while this still reads the file as it was. */
  constructor(header: Header, keys: ScopeKeyMap, private readonly read: Reader) {
    this.header = structuredClone(header);
    this.keys = new Map(keys);
    // Who holds every scope key checks that the state was written by such a holder, before
    // anything of it is used: a host granted some scopes can re-seal those scopes' parts (it
    // has their keys) but not the writer tag over all of them.
    if (this.header.scopes.every((s) => this.keys.has(s.id))) {
      try {
        verifyWriter(this.header, this.keys, read);
      } catch (err) {
        // Damaged bytes stay what they were (exit 3, the one message for any failed
        // authentication); the writer's refusal is for parts that open but that no holder of
        // every key sealed together. Only on this path, so a good file pays nothing for it.
        for (const s of this.header.scopes) this.index(s.id);
        this.meta();
        throw err;
      }
    }
  }

  /** Scope ids whose key is at hand, in scope-table order. */
  openScopes(): number[] {
    return this.header.scopes.filter((s) => this.keys.has(s.id)).map((s) => s.id);
  }

  index(scope: number): ScopeIndex {
    let ix = this.#indexes.get(scope);
    if (ix) return ix;
    const at = this.header.scopes.findIndex((s) => s.id === scope);
    const key = this.keys.get(scope);
    if (at === -1 || !key) throw new AuthError();
    const span = this.header.toc.indexes[at]!;
    ix = new ScopeIndex(openRecord(key, this.read(span.off, span.len), indexAd(this.header, scope, this.#headerDigest())));
    this.#indexes.set(scope, ix);
    return ix;
  }

  /** The meta record's plaintext (profiles, config, audit head): needs the default scope. */
  meta(): Uint8Array {
    const key = this.keys.get(DEFAULT_SCOPE);
    if (!key) throw new AuthError();
    const { off, len } = this.header.toc.meta;
    const bytes = this.read(off, len);
    if (!matchesCommit(bytes, this.index(DEFAULT_SCOPE).metaCommit)) throw new AuthError();
    return openRecord(key, bytes, metaAd(this.header, this.#headerDigest()));
  }

  #headerDigest(): Uint8Array {
    this.#digest ??= headerDigest(this.header);
    return this.#digest;
  }

  /** Which open scope holds the entry, and its row. */
  find(name: string): { scope: number; row: Row } | null {
    for (const scope of this.openScopes()) {
      const row = this.index(scope).find(name);
      if (row) return { scope, row };
    }
    return null;
  }

  /** The record's bytes as stored, unchecked: for copying with the row's own commitment. */
  raw(span: Span): Uint8Array {
    return this.read(span.off, span.len);
  }

  /** The record's bytes as stored, after checking them against the index's commitment. */
  sealed(row: Row): Uint8Array {
    const bytes = this.read(row.off, row.len);
    if (!matchesCommit(bytes, row.commit)) throw new AuthError();
    return bytes;
  }

  /** The entry's line of the body. */
  line(scope: number, row: Row): Uint8Array {
    const key = this.keys.get(scope);
    if (!key) throw new AuthError();
    return openRecord(key, this.sealed(row), entryAd(this.header.vaultId, scope, row.id, row.gen));
  }
}
