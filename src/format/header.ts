// Byte codec for the clear-text part of a vault file (preamble + header), per docs/FORMAT.md,
// for format v1 (one sealed body) and v2 (scopes, a table of contents, records sealed one by
// one). Decoding checks structure only; KDF bounds are checked by the caller before deriving.
// Slot payloads are read and written by their types (slots/registry.ts).
import { CorruptError } from '../errors';
import { NONCE_BYTES, TAG_BYTES } from '../crypto/aead';
import { FORMAT_V1, FORMAT_VERSION, MAGIC, MAX_HEADER_BYTES, MAX_HEADER_BYTES_V2, MAX_SCOPE_NAME_BYTES, MAX_SCOPES, MAX_SLOTS, PREAMBLE_BYTES } from './limits';
import { kindByCode, kindOf, Slot, slotCountsOk } from './slots/registry';
import type { KeychainSlot } from './slots/keychain';
import type { PassphraseSlot } from './slots/passphrase';

export const VAULT_ID_BYTES = 16;
export const WRITE_ID_BYTES = 16;
export const SCOPE_KEY_BYTES = 32;
export const WRAPPED_KEY_BYTES = SCOPE_KEY_BYTES + TAG_BYTES;
export { ITEM_ID_BYTES } from './slots/keychain';
export const DEFAULT_SCOPE = 0;
export const DEFAULT_SCOPE_NAME = 'default';

export type { KeychainSlot, PassphraseSlot, Slot };

export interface ScopeDef {
  id: number;
  name: string;
}

/** Where a sealed part lies in the file (absolute offset, length). */
export interface Span {
  off: number;
  len: number;
}

/** v2 table of contents: the meta record, and each scope's sealed index (in scope-table order). */
export interface Toc {
  meta: Span;
  indexes: Span[];
  /** The writer tag of this state (format.md "Writer tag"): present in a file written since
   *  tags exist (its header then ends with one, and so does every update's trailer). */
  tag?: Uint8Array;
}

/** The writer tag's length (HMAC-SHA256). */
export const WRITER_TAG_BYTES = 32;

export interface Header {
  version: number;
  vaultId: Uint8Array;
  /** v1 only: the body's nonce (new on every write). */
  bodyNonce: Uint8Array;
  /** v2 only: random on every write; binds the meta record and every index to this one write. */
  writeId: Uint8Array;
  /** v1: the default scope alone. */
  scopes: ScopeDef[];
  slots: Slot[];
  /** v2 only: the latest state's table of contents (the header's own, or the last update's). */
  toc: Toc;
  /** v2, set when read: where the header's own state ends (the size of the last whole write),
   *  where the latest state ends (the file's committed length), the write id of the update that
   *  made it (absent: the header's own state), and how many bytes of an unfinished update follow
   *  it (a write cut short by a crash). */
  state?: { base: number; end: number; update?: Uint8Array; torn: number };
}

/** What unlocking reads: the header with its key slots. */
export interface FileHead {
  header: Header;
}

export interface ParsedFile {
  header: Header;
  /** Preamble and header exactly as stored: v1's body associated data. */
  aad: Uint8Array;
  /** v1: the sealed body. v2: everything after the header. */
  body: Uint8Array;
  /** The whole file (v2 parts are read by absolute offset). */
  file: Uint8Array;
}

export function slotPayload(slot: Slot, version = FORMAT_VERSION): Uint8Array {
  return kindOf(slot).encode(slot, version);
}

export function slotTypeCode(slot: Slot): number {
  return kindOf(slot).code;
}

const te = new TextEncoder();

/** The scope table's bytes: also hashed into every index's associated data. */
export function encodeScopeTable(scopes: ScopeDef[]): Uint8Array {
  const parts: number[] = [scopes.length];
  for (const s of scopes) {
    const name = te.encode(s.name);
    parts.push((s.id >>> 24) & 255, (s.id >>> 16) & 255, (s.id >>> 8) & 255, s.id & 255, name.length, ...name);
  }
  return Uint8Array.from(parts);
}

function u16(n: number): Uint8Array {
  return Uint8Array.of((n >>> 8) & 255, n & 255);
}
function u32(n: number): Uint8Array {
  return Uint8Array.of((n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
}

/** Preamble + header bytes. */
export function encodeHeader(h: Header): Uint8Array {
  // Counts are one byte: more would wrap silently into a different header.
  if (h.slots.length > MAX_SLOTS || h.scopes.length > MAX_SCOPES) throw new Error('slot or scope count out of range');
  const parts: Uint8Array[] = [];
  if (h.version === FORMAT_V1) {
    parts.push(h.vaultId, h.bodyNonce, Uint8Array.of(h.slots.length));
    for (const slot of h.slots) {
      const payload = slotPayload(slot, FORMAT_V1);
      parts.push(Uint8Array.of(slotTypeCode(slot)), u16(payload.length), payload, slot.nonce, slot.wrapped);
    }
  } else {
    parts.push(h.vaultId, h.writeId, encodeScopeTable(h.scopes), Uint8Array.of(h.slots.length));
    for (const slot of h.slots) {
      const payload = slotPayload(slot, h.version);
      parts.push(Uint8Array.of(slotTypeCode(slot)), u16(payload.length), payload, Uint8Array.of(slot.scopes.length), ...slot.scopes.map(u32), slot.nonce, slot.wrapped);
    }
    parts.push(u32(h.toc.meta.off), u32(h.toc.meta.len));
    // One span per scope always (zeros until the writer places the indexes).
    h.scopes.forEach((_, i) => {
      const span = h.toc.indexes[i] ?? { off: 0, len: 0 };
      parts.push(u32(span.off), u32(span.len));
    });
    // Optional last field: a header that ends 32 bytes after its spans holds the writer tag.
    if (h.toc.tag) parts.push(h.toc.tag);
  }
  const headerLen = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(PREAMBLE_BYTES + headerLen);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  view.setUint16(8, h.version);
  view.setUint32(10, headerLen);
  let off = PREAMBLE_BYTES;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** The header's length for a given header (table of contents values do not change it). */
export function headerBytes(h: Header): number {
  return encodeHeader(h).length;
}

const malformed = () => new CorruptError('the vault header is malformed', ['restore the backup (vault.exv.bak beside the vault)']);

/** The header from the start of a file, and where it ends. Never echoes file contents in an error. */
function decodeHeaderAt(file: Uint8Array, withBody: boolean): { header: Header; end: number } {
  if (file.length < MAGIC.length || !MAGIC.every((b, i) => file[i] === b)) {
    throw new CorruptError('not an exvault vault file');
  }
  if (file.length < PREAMBLE_BYTES) throw new CorruptError('the vault file is truncated');
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const version = view.getUint16(8);
  if (version !== FORMAT_V1 && version !== FORMAT_VERSION) {
    throw new CorruptError(`unsupported vault format version ${version}`, [`this exvault reads format versions ${FORMAT_V1} and ${FORMAT_VERSION}`]);
  }
  const headerLen = view.getUint32(10);
  if (headerLen > (version === FORMAT_V1 ? MAX_HEADER_BYTES : MAX_HEADER_BYTES_V2)) throw malformed();
  const end = PREAMBLE_BYTES + headerLen;
  if (file.length < end + (withBody ? TAG_BYTES : 0)) throw new CorruptError('the vault file is truncated');

  let off = PREAMBLE_BYTES;
  const take = (n: number): Uint8Array => {
    if (off + n > end) throw malformed();
    const s = file.slice(off, off + n);
    off += n;
    return s;
  };
  const num = (n: 1 | 2 | 4): number => {
    const b = take(n);
    let v = 0;
    for (const x of b) v = v * 256 + x;
    return v;
  };
  const vaultId = take(VAULT_ID_BYTES);
  let bodyNonce: Uint8Array = new Uint8Array(0);
  let writeId: Uint8Array = new Uint8Array(0);
  let scopes: ScopeDef[] = [{ id: 0, name: DEFAULT_SCOPE_NAME }];
  if (version === FORMAT_V1) {
    bodyNonce = take(NONCE_BYTES);
  } else {
    writeId = take(WRITE_ID_BYTES);
    const n = num(1);
    if (n < 1 || n > MAX_SCOPES) throw malformed();
    scopes = [];
    for (let i = 0; i < n; i++) {
      const id = num(4);
      const len = num(1);
      if (len < 1 || len > MAX_SCOPE_NAME_BYTES) throw malformed();
      let name: string;
      try {
        name = new TextDecoder('utf-8', { fatal: true }).decode(take(len));
      } catch {
        throw malformed();
      }
      if (scopes.some((s) => s.id === id || s.name === name)) throw malformed();
      scopes.push({ id, name });
    }
    if (scopes[0]!.id !== DEFAULT_SCOPE) throw malformed();
  }
  const count = num(1);
  if (count < 1 || count > MAX_SLOTS) throw malformed();
  const slots: Slot[] = [];
  for (let i = 0; i < count; i++) {
    const kind = kindByCode(num(1));
    const payload = take(num(2));
    const fields = kind?.decode(payload, version);
    if (!kind || !fields) throw malformed();
    let granted = [DEFAULT_SCOPE];
    if (version !== FORMAT_V1) {
      const n = num(1);
      if (n < 1 || n > scopes.length) throw malformed();
      granted = [];
      for (let j = 0; j < n; j++) {
        const id = num(4);
        if (!scopes.some((s) => s.id === id) || granted.includes(id)) throw malformed();
        granted.push(id);
      }
    }
    const nonce = take(NONCE_BYTES);
    const wrapped = take(granted.length * SCOPE_KEY_BYTES + TAG_BYTES);
    slots.push({ ...fields, type: kind.name, scopes: granted, nonce, wrapped });
  }
  let toc: Toc = { meta: { off: 0, len: 0 }, indexes: [] };
  if (version !== FORMAT_V1) {
    const meta = { off: num(4), len: num(4) };
    toc = { meta, indexes: scopes.map(() => ({ off: num(4), len: num(4) })) };
    if (end - off === WRITER_TAG_BYTES) toc.tag = take(WRITER_TAG_BYTES);
  }
  if (off !== end) throw malformed();
  if (!slotCountsOk(slots)) throw malformed();
  const header: Header = { version, vaultId, bodyNonce, writeId, scopes, slots, toc };
  if (version !== FORMAT_V1 && withBody) resolveState(header, end, file.length, (o, n) => file.subarray(o, o + n));
  return { header, end };
}

const lengthMismatch = () => new CorruptError("the vault file's length does not match its table of contents", ['restore the backup (vault.exv.bak beside the vault)']);

/** Format 2 updates (docs/FORMAT.md "Writing"): a write may append, after the file's last
 *  state, its new records, meta record and indexes, starting with UPDATE_LEAD and ending with
 *  a trailer (write id, table of contents, where the update starts, the trailer's length,
 *  COMMIT_MAGIC). The last complete trailer is the vault's state. */
export const UPDATE_LEAD = te.encode('EXVUPDAT');
export const COMMIT_MAGIC = te.encode('EXVCOMIT');

/** A trailer's length; `tagged`: it ends its spans with the update's writer tag. */
export function trailerBytes(scopes: number, tagged = false): number {
  return WRITE_ID_BYTES + 8 + 8 * scopes + (tagged ? WRITER_TAG_BYTES : 0) + 4 + 4 + COMMIT_MAGIC.length;
}

export function encodeTrailer(writeId: Uint8Array, toc: Toc, start: number): Uint8Array {
  const out = new Uint8Array(trailerBytes(toc.indexes.length, !!toc.tag));
  const v = new DataView(out.buffer);
  out.set(writeId, 0);
  let at = WRITE_ID_BYTES;
  for (const s of [toc.meta, ...toc.indexes]) {
    v.setUint32(at, s.off);
    v.setUint32(at + 4, s.len);
    at += 8;
  }
  if (toc.tag) {
    out.set(toc.tag, at);
    at += WRITER_TAG_BYTES;
  }
  v.setUint32(at, start);
  v.setUint32(at + 4, out.length);
  out.set(COMMIT_MAGIC, at + 8);
  return out;
}

type ReadAt = (off: number, len: number) => Uint8Array;
const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

/** The update whose trailer ends at `end`, checked for shape: it starts after the header's
 *  own state with UPDATE_LEAD, and its meta record and indexes lie back to back up to the
 *  trailer. Their contents are checked when they are opened (the write id is in their
 *  associated data). */
function trailerAt(h: Header, baseEnd: number, end: number, read: ReadAt): { toc: Toc; writeId: Uint8Array } | null {
  // A tagged file's updates are tagged, an untagged file's are not: a trailer of the other
  // length is not a trailer of this file (a tag cannot be dropped from one update alone).
  const tagged = !!h.toc.tag;
  const t = trailerBytes(h.scopes.length, tagged);
  if (end - t < baseEnd) return null;
  const b = read(end - t, t);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (!same(b.subarray(t - COMMIT_MAGIC.length), COMMIT_MAGIC) || v.getUint32(t - COMMIT_MAGIC.length - 4) !== t) return null;
  const span = (i: number): Span => ({ off: v.getUint32(WRITE_ID_BYTES + 8 * i), len: v.getUint32(WRITE_ID_BYTES + 8 * i + 4) });
  const toc: Toc = { meta: span(0), indexes: h.scopes.map((_, i) => span(i + 1)) };
  if (tagged) toc.tag = b.slice(WRITE_ID_BYTES + 8 + 8 * h.scopes.length, WRITE_ID_BYTES + 8 + 8 * h.scopes.length + WRITER_TAG_BYTES);
  const start = v.getUint32(t - COMMIT_MAGIC.length - 8);
  if (start < baseEnd || toc.meta.off < start + UPDATE_LEAD.length || !same(read(start, UPDATE_LEAD.length), UPDATE_LEAD)) return null;
  let at = toc.meta.off;
  for (const s of [toc.meta, ...toc.indexes]) {
    if (s.off !== at) return null;
    at += s.len;
  }
  return at === end - t ? { toc, writeId: b.slice(0, WRITE_ID_BYTES) } : null;
}

/** Where the last COMMIT_MAGIC in [from, to) ends, or -1: how the state before an unfinished
 *  update is found (the update's own bytes never hold a whole trailer). */
function lastCommitEnd(from: number, to: number, read: ReadAt): number {
  const CHUNK = 1 << 20;
  for (let hi = to; hi > from; ) {
    const lo = Math.max(from, hi - CHUNK);
    const at = Buffer.from(read(lo, hi - lo)).lastIndexOf(COMMIT_MAGIC);
    if (at >= 0) return lo + at + COMMIT_MAGIC.length;
    if (lo === from) break;
    hi = lo + COMMIT_MAGIC.length - 1;
  }
  return -1;
}

/**
 * Format 2: the file's latest state. The header's table of contents must start right after
 * the header and fit in the file; when the file is longer, the state is the last update's
 * (the file ends with its trailer), or, when the file ends with the beginning of an update
 * that was never finished (bytes starting as UPDATE_LEAD does, after the last trailer), the
 * state before it. Anything else after the state is refused (exit 5). Sets header.toc and
 * header.state.
 */
export function resolveState(h: Header, headerEnd: number, size: number, read: ReadAt): void {
  if (h.version === FORMAT_V1) return;
  const spans = [h.toc.meta, ...h.toc.indexes];
  if (h.toc.meta.off !== headerEnd || spans.some((s) => s.off + s.len > size)) throw lengthMismatch();
  const baseEnd = Math.max(...spans.map((s) => s.off + s.len));
  let end = size;
  let found = baseEnd === size ? null : trailerAt(h, baseEnd, size, read);
  if (baseEnd !== size && !found) {
    const at = lastCommitEnd(baseEnd, size, read);
    end = at < 0 ? baseEnd : at;
    const tail = read(end, Math.min(UPDATE_LEAD.length, size - end));
    if (!same(tail, UPDATE_LEAD.subarray(0, tail.length))) throw lengthMismatch();
    if (at >= 0 && !(found = trailerAt(h, baseEnd, at, read))) throw lengthMismatch();
  }
  if (found) h.toc = found.toc;
  h.state = { base: baseEnd, end, torn: size - end, ...(found && { update: found.writeId }) };
}

/** Format 2: checks the file's size against its table of contents and finds its latest
 *  state (resolveState), for a positioned reader that has not read the whole file. */
export function checkLayout(header: Header, size: number, read: ReadAt): void {
  resolveState(header, encodeHeader(header).length, size, read);
}

/** Splits a vault file into header and the rest. */
export function decodeFile(file: Uint8Array): ParsedFile {
  const { header, end } = decodeHeaderAt(file, true);
  // Views, not copies: the body can be megabytes, and the caller owns the file buffer.
  return { header, aad: file.subarray(0, end), body: file.subarray(end), file };
}

/** Enough of a file's start for decodeHead: the preamble and the largest header. */
export const HEAD_BYTES = PREAMBLE_BYTES + MAX_HEADER_BYTES_V2;

/** The header alone, from the first HEAD_BYTES of a file: what unlocking needs. */
export function decodeHead(start: Uint8Array): FileHead {
  return { header: decodeHeaderAt(start, false).header };
}
