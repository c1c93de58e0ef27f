// Format v2's sealed parts (docs/FORMAT.md): a meta record, one record per entry, and per
// scope an index of its entries (a root and pages of rows: index-pages.ts). Each is
// XChaCha20-Poly1305 under its scope's key with associated data that binds it to its place: a
// record to its vault, scope, entry id and generation; a page to its vault, scope and page id;
// the meta record and each root to the whole header (write id, scopes, slots). Each root
// commits to its pages' ciphertexts and each row to its record's, so neither can be removed,
// duplicated, swapped or rolled back unnoticed. A reader opens the root of a scope and only
// the pages and records it needs; an update writes only the pages it changes.
import { createHmac, hkdfSync } from 'node:crypto';
import { AuthError, CorruptError } from '../errors';
import * as aead from '../crypto/aead';
import { HASH_BYTES, matchesCommit, sha256 } from '../crypto/hash';
import { macEquals } from '../crypto/mac';
import { DEFAULT_SCOPE, encodeHeader, encodeTrailer, Header, Span, Toc, trailerBytes, UPDATE_LEAD, WRITE_ID_BYTES, WRITER_TAG_BYTES } from './header';
import { buildFlatIndex, buildPagedIndex, IndexChange, PAGE_ID_BYTES, PAGE_ROWS, PageRef, Row, ScopeIndex } from './index-pages';
import { headerFits, MAX_FILE_BYTES } from './limits';

export { encodeIndex, ENTRY_ID_BYTES, ScopeIndex } from './index-pages';
export type { Row } from './index-pages';

export type Rng = (n: number) => Uint8Array;
export type ScopeKeyMap = Map<number, Uint8Array>;

/** Reads `len` bytes at absolute offset `off` of the vault file. */
export type Reader = (off: number, len: number) => Uint8Array;

const te = new TextEncoder();
const LABEL_ENTRY = te.encode('exvault entry v2\0');
const LABEL_INDEX = te.encode('exvault index v2\0');
const LABEL_PAGE = te.encode('exvault page v2\0');
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
/** A page is bound to its vault, scope and page id, not to the header digest: an update
 *  leaves the pages it does not change where they are, listed by the new root as they were. */
function pageAd(vaultId: Uint8Array, scope: number, id: Uint8Array): Uint8Array {
  return cat(LABEL_PAGE, vaultId, u32(scope), id);
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

/** `untagged`: write a file as exvault did before writer tags; `flat`: with one flat index
 *  per scope, as before index pages. Both only for the test vectors and tests that check such
 *  files still open (no command writes one). `pageRows`: the most rows in a page (tests and
 *  vectors use small pages to have several). */
export interface WriteOptions {
  untagged?: boolean;
  flat?: boolean;
  pageRows?: number;
}

/** Each scope's new index plaintext (scope-table order): a root whose new pages are sealed
 *  and laid out through `put` here, or (opts.flat) a flat index. `reuse` (an update): pages
 *  no row of the change falls in stay where they are. */
function newIndexes(header: Header, keys: ScopeKeyMap, change: (scope: number) => IndexChange, reuse: boolean, opts: WriteOptions, rng: Rng, put: (b: Uint8Array) => Span): Uint8Array[] {
  return header.scopes.map((s) => {
    const key = keys.get(s.id);
    if (!key) throw new AuthError();
    const c = change(s.id);
    if (opts.flat) return buildFlatIndex(c);
    return buildPagedIndex(c, reuse, opts.pageRows ?? PAGE_ROWS, (plain, count, first) => {
      const id = rng(PAGE_ID_BYTES);
      const sealed = sealRecord(key, plain, pageAd(header.vaultId, s.id, id), rng);
      const span = put(sealed);
      return { id, off: span.off, len: span.len, count, commit: sha256(sealed), first };
    });
  });
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
  // Pages (every scope's), then the roots: the roots end the file's state.
  const plains = newIndexes(header, keys, (scope) => {
    const kept = carried?.scopes.find((c) => c.scope === scope);
    return { old: kept?.index, drop: kept?.drop ?? new Set(), fresh: byScope.get(scope)!, newOffs: newOffs.get(scope) ?? null, metaCommit: scope === DEFAULT_SCOPE ? metaCommit : new Uint8Array(HASH_BYTES) };
  }, false, opts, rng, put);
  const indexes = header.scopes.map((s, i) => put(sealRecord(keys.get(s.id)!, plains[i]!, indexAd(header, s.id, digest), rng)));
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
export function buildUpdate(header: Header, keys: ScopeKeyMap, meta: Uint8Array, entries: EntryToWrite[], rng: Rng, kept: Carried[], start: number, opts: WriteOptions = {}): Update {
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
  const metaCommit = sha256(metaSealed);
  // The changed pages, then the meta record and the roots back to back before the trailer.
  const plains = newIndexes(header, keys, (scope) => {
    const c = kept.find((k) => k.scope === scope);
    if (!c) throw new AuthError();
    return { old: c.index, drop: c.drop, fresh: byScope.get(scope)!, newOffs: null, metaCommit: scope === DEFAULT_SCOPE ? metaCommit : new Uint8Array(HASH_BYTES) };
  }, true, opts, rng, put);
  const metaSpan = put(metaSealed);
  const hashes: Uint8Array[] = [];
  const indexes = header.scopes.map((s, i) => {
    const sealed = sealRecord(keys.get(s.id)!, plains[i]!, indexAd(header, s.id, digest), rng);
    hashes.push(sha256(sealed));
    return put(sealed);
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
    // A page is opened when a row of it is first needed, after checking it is the page the
    // root lists (its SHA-256 as stored): another page, or this one from another state or
    // place, is refused like a damaged one.
    const openPage = (ref: PageRef): Uint8Array => {
      const bytes = this.read(ref.off, ref.len);
      if (!matchesCommit(bytes, ref.commit)) throw new AuthError();
      return openRecord(key, bytes, pageAd(this.header.vaultId, scope, ref.id));
    };
    ix = new ScopeIndex(openRecord(key, this.read(span.off, span.len), indexAd(this.header, scope, this.#headerDigest())), openPage);
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
