// Byte codec for the clear-text part of a vault file (preamble + header), per docs/FORMAT.md.
// Decoding checks structure only; the KDF bounds are checked by the caller before any derivation.
import { CorruptError } from '../errors';
import { NONCE_BYTES, TAG_BYTES } from '../crypto/aead';
import { SALT_BYTES } from '../crypto/kdf';
import { FORMAT_VERSION, KdfParams, MAGIC, MAX_HEADER_BYTES, MAX_SLOTS, PREAMBLE_BYTES } from './limits';

export const VAULT_ID_BYTES = 16;
export const ITEM_ID_BYTES = 16;
export const WRAPPED_KEY_BYTES = 32 + TAG_BYTES;

export const SLOT_PASSPHRASE = 1;
export const SLOT_KEYCHAIN = 2;
const PASSPHRASE_PAYLOAD_BYTES = 1 + 4 + 4 + SALT_BYTES;

interface SlotCommon {
  nonce: Uint8Array;
  wrapped: Uint8Array;
}
export interface PassphraseSlot extends SlotCommon {
  type: 'passphrase';
  kdf: KdfParams;
  salt: Uint8Array;
}
export interface KeychainSlot extends SlotCommon {
  type: 'keychain';
  itemId: Uint8Array;
}
export type Slot = PassphraseSlot | KeychainSlot;

export interface Header {
  vaultId: Uint8Array;
  bodyNonce: Uint8Array;
  slots: Slot[];
}

/** What unlocking reads: the header with its key slots. */
export interface FileHead {
  header: Header;
}

export interface ParsedFile {
  header: Header;
  /** Preamble and header exactly as stored: the body's associated data. */
  aad: Uint8Array;
  body: Uint8Array;
}

/** The bytes a slot's payload contributes; also part of the slot's own associated data. */
export function slotPayload(slot: Slot): Uint8Array {
  if (slot.type === 'keychain') return slot.itemId;
  const p = new Uint8Array(PASSPHRASE_PAYLOAD_BYTES);
  const v = new DataView(p.buffer);
  // v1 has no lane count: a vault it could not open again is never written.
  if ((slot.kdf.lanes ?? 1) !== 1) throw new Error('format v1 stores one-lane key derivation only');
  p[0] = slot.kdf.alg;
  v.setUint32(1, slot.kdf.opsLimit);
  v.setUint32(5, slot.kdf.memKiB);
  p.set(slot.salt, 9);
  return p;
}

export function slotTypeCode(slot: Slot): number {
  return slot.type === 'passphrase' ? SLOT_PASSPHRASE : SLOT_KEYCHAIN;
}

/** Preamble + header bytes. */
export function encodeHeader(h: Header): Uint8Array {
  const parts: Uint8Array[] = [h.vaultId, h.bodyNonce, Uint8Array.of(h.slots.length)];
  for (const slot of h.slots) {
    const payload = slotPayload(slot);
    const head = new Uint8Array(3);
    head[0] = slotTypeCode(slot);
    new DataView(head.buffer).setUint16(1, payload.length);
    parts.push(head, payload, slot.nonce, slot.wrapped);
  }
  const headerLen = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(PREAMBLE_BYTES + headerLen);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  view.setUint16(8, FORMAT_VERSION);
  view.setUint32(10, headerLen);
  let off = PREAMBLE_BYTES;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

const malformed = () => new CorruptError('the vault header is malformed', ['restore the backup (vault.exv.bak beside the vault)']);

/** The header from the start of a file, and where the body begins. Never echoes file contents in an error. */
function decodeHeaderAt(file: Uint8Array, withBody: boolean): { header: Header; end: number } {
  if (file.length < MAGIC.length || !MAGIC.every((b, i) => file[i] === b)) {
    throw new CorruptError('not an exvault vault file');
  }
  if (file.length < PREAMBLE_BYTES) throw new CorruptError('the vault file is truncated');
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const version = view.getUint16(8);
  if (version !== FORMAT_VERSION) {
    throw new CorruptError(`unsupported vault format version ${version}`, [`this exvault reads format version ${FORMAT_VERSION}`]);
  }
  const headerLen = view.getUint32(10);
  if (headerLen > MAX_HEADER_BYTES) throw malformed();
  const end = PREAMBLE_BYTES + headerLen;
  if (file.length < end + (withBody ? TAG_BYTES : 0)) throw new CorruptError('the vault file is truncated');

  let off = PREAMBLE_BYTES;
  const take = (n: number): Uint8Array => {
    if (off + n > end) throw malformed();
    const s = file.slice(off, off + n);
    off += n;
    return s;
  };
  const vaultId = take(VAULT_ID_BYTES);
  const bodyNonce = take(NONCE_BYTES);
  const count = take(1)[0]!;
  if (count < 1 || count > MAX_SLOTS) throw malformed();
  const slots: Slot[] = [];
  for (let i = 0; i < count; i++) {
    const head = take(3);
    const type = head[0]!;
    const len = (head[1]! << 8) | head[2]!;
    const payload = take(len);
    const nonce = take(NONCE_BYTES);
    const wrapped = take(WRAPPED_KEY_BYTES);
    if (type === SLOT_PASSPHRASE && len === PASSPHRASE_PAYLOAD_BYTES) {
      const pv = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
      const kdf = { alg: payload[0]!, opsLimit: pv.getUint32(1), memKiB: pv.getUint32(5) };
      slots.push({ type: 'passphrase', kdf, salt: payload.slice(9), nonce, wrapped });
    } else if (type === SLOT_KEYCHAIN && len === ITEM_ID_BYTES) {
      slots.push({ type: 'keychain', itemId: payload, nonce, wrapped });
    } else {
      throw malformed();
    }
  }
  if (off !== end) throw malformed();
  if (slots.filter((s) => s.type === 'passphrase').length !== 1) throw malformed();
  if (slots.filter((s) => s.type === 'keychain').length > 1) throw malformed();
  return { header: { vaultId, bodyNonce, slots }, end };
}

/** Splits a vault file into header and body. */
export function decodeFile(file: Uint8Array): ParsedFile {
  const { header, end } = decodeHeaderAt(file, true);
  // Views, not copies: the body can be megabytes, and the caller owns the file buffer.
  return { header, aad: file.subarray(0, end), body: file.subarray(end) };
}

/** Enough of a file's start for decodeHead: the preamble and the largest header. */
export const HEAD_BYTES = PREAMBLE_BYTES + MAX_HEADER_BYTES;

/** The header alone, from the first HEAD_BYTES of a file: what unlocking needs. */
export function decodeHead(start: Uint8Array): FileHead {
  return { header: decodeHeaderAt(start, false).header };
}
