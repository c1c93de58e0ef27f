// Sealing and opening vault files. Key slots wrap the keys of the scopes they are granted
// (format v1: one data key, which seals the whole body with the preamble+header as associated
// data; format v2: one key per scope, records sealed one by one, see v2.ts). A slot's type
// says only where its key-encryption key comes from (slots/registry.ts).
import { AuthError, CorruptError } from '../errors';
import * as aead from '../crypto/aead';
import { KEY_BYTES } from '../crypto/kdf';
import { memzero } from '../crypto/memzero';
import { randomBytes } from '../crypto/random';
import { joinBody, splitBody } from './body-layout';
import { DEFAULT_SCOPE, DEFAULT_SCOPE_NAME, WRITE_ID_BYTES, decodeFile, encodeHeader, FileHead, Header, KeychainSlot, ParsedFile, PassphraseSlot, SCOPE_KEY_BYTES, Slot, slotPayload, slotTypeCode, VAULT_ID_BYTES } from './header';
import { FORMAT_V1, FORMAT_VERSION, KdfParams, kdfProblem, lanesOf } from './limits';
import { ITEM_ID_BYTES } from './slots/keychain';
import { derivePassphraseKey, passphraseBytes } from './slots/passphrase';
import { KEK_BYTES, newX25519Kek, X25519Slot } from './slots/x25519';
import { buildFile, ENTRY_ID_BYTES, OpenedV2, Reader, readerOf } from './v2';
import { SALT_BYTES } from '../crypto/kdf';

export { derivePassphraseKey, passphraseBytes };

/** Source of random bytes; fixed only by the test-vector generator. */
export type Rng = (n: number) => Uint8Array;

/** The keys a slot opened: scope id -> 32-byte key. In v1, scope 0's key is the data key. */
export class VaultKeys extends Map<number, Uint8Array> {
  /** The default scope's key: the root of the audit key, and what seals the meta record. */
  get primary(): Uint8Array {
    const k = this.get(DEFAULT_SCOPE);
    if (!k) throw new AuthError();
    return k;
  }

  /** The root of the audit key: the default scope's key, or for an unlock granted some scopes
   *  only (a host's slot), the key of the lowest-numbered scope it holds: such a host keeps a
   *  chain of its own, which it can verify and nobody without that scope can forge. */
  get auditRoot(): Uint8Array {
    const k = this.get(DEFAULT_SCOPE) ?? this.get(Math.min(...this.keys()));
    if (!k) throw new AuthError();
    return k;
  }

  /** Scope id (4 bytes) and key (32 bytes) per scope: what `vault unlock --for` keeps. */
  toBytes(): Uint8Array {
    const out = new Uint8Array(this.size * (4 + SCOPE_KEY_BYTES));
    let off = 0;
    for (const [id, key] of this) {
      new DataView(out.buffer).setUint32(off, id);
      out.set(key, off + 4);
      off += 4 + SCOPE_KEY_BYTES;
    }
    return out;
  }

  /** The inverse of toBytes; null for bytes of another shape (an item written by an older exvault). */
  static fromBytes(b: Uint8Array): VaultKeys | null {
    const step = 4 + SCOPE_KEY_BYTES;
    if (b.length === 0 || b.length % step !== 0) return null;
    const keys = new VaultKeys();
    const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    for (let off = 0; off < b.length; off += step) keys.set(view.getUint32(off), b.slice(off + 4, off + step));
    return keys.has(DEFAULT_SCOPE) ? keys : null;
  }
}

const u16 = (n: number) => Uint8Array.of((n >>> 8) & 255, n & 255);
const u32 = (n: number) => Uint8Array.of((n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
const te = new TextEncoder();

/** A slot is bound to its vault, its type, its own parameters and (v2) the scopes it grants. */
function slotAd(version: number, vaultId: Uint8Array, slot: Slot): Uint8Array {
  const payload = slotPayload(slot, version);
  const parts = version === FORMAT_V1
    ? [te.encode('exvault slot v1\0'), vaultId, Uint8Array.of(slotTypeCode(slot)), payload]
    : [te.encode('exvault slot v2\0'), vaultId, Uint8Array.of(slotTypeCode(slot)), u16(payload.length), payload, Uint8Array.of(slot.scopes.length), ...slot.scopes.map(u32)];
  const b = Buffer.concat(parts);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** Wraps the keys of the slot's scopes under the slot's key-encryption key. */
export function wrapSlot<T extends Slot>(header: Pick<Header, 'version' | 'vaultId'>, slot: T, kek: Uint8Array, keys: Map<number, Uint8Array>): T {
  const plain = new Uint8Array(slot.scopes.length * SCOPE_KEY_BYTES);
  slot.scopes.forEach((id, i) => {
    const k = keys.get(id);
    if (!k) throw new AuthError();
    plain.set(k, i * SCOPE_KEY_BYTES);
  });
  slot.wrapped = aead.seal(kek, slot.nonce, plain, slotAd(header.version, header.vaultId, slot));
  memzero(plain);
  return slot;
}

/** The scope keys a slot wraps, or null when the key-encryption key does not open it. */
export function unwrapSlot(header: Pick<Header, 'version' | 'vaultId'>, slot: Slot, kek: Uint8Array): VaultKeys | null {
  const plain = aead.open(kek, slot.nonce, slot.wrapped, slotAd(header.version, header.vaultId, slot));
  if (!plain) return null;
  const keys = new VaultKeys();
  slot.scopes.forEach((id, i) => keys.set(id, plain.slice(i * SCOPE_KEY_BYTES, (i + 1) * SCOPE_KEY_BYTES)));
  memzero(plain);
  return keys;
}

type HeaderRef = Pick<Header, 'version' | 'vaultId'>;

export function makePassphraseSlot(header: HeaderRef, keys: Map<number, Uint8Array>, passphrase: string, kdf: KdfParams, rng: Rng = randomBytes, scopes = [...keys.keys()]): PassphraseSlot {
  const salt = rng(SALT_BYTES);
  const nonce = rng(aead.NONCE_BYTES);
  const problem = kdfProblem(kdf);
  if (problem) throw new CorruptError(problem);
  const kek = derivePassphraseKey(passphrase, kdf, salt);
  try {
    const fixed = header.version === FORMAT_V1 ? { alg: kdf.alg, opsLimit: kdf.opsLimit, memKiB: kdf.memKiB } : { ...kdf, lanes: kdf.lanes ?? 1 };
    return wrapSlot(header, { type: 'passphrase', kdf: fixed, salt, scopes, nonce, wrapped: new Uint8Array() }, kek, keys);
  } finally {
    memzero(kek);
  }
}

export function makeKeychainSlot(header: HeaderRef, keys: Map<number, Uint8Array>, keychainKey: Uint8Array, rng: Rng = randomBytes, scopes = [...keys.keys()]): KeychainSlot {
  const slot: KeychainSlot = { type: 'keychain', itemId: rng(ITEM_ID_BYTES), scopes, nonce: rng(aead.NONCE_BYTES), wrapped: new Uint8Array() };
  return wrapSlot(header, slot, keychainKey, keys);
}

/** A slot for an age X25519 recipient (a host or a person), granted `scopes`. */
export function makeX25519Slot(header: HeaderRef, keys: Map<number, Uint8Array>, recipient: Uint8Array, scopes: number[], rng: Rng = randomBytes): X25519Slot {
  if (header.version === FORMAT_V1) throw new Error('format v1 has no X25519 slots');
  const kek = rng(KEK_BYTES);
  try {
    const slot: X25519Slot = { type: 'x25519', ...newX25519Kek(recipient, kek), scopes: [...scopes], nonce: rng(aead.NONCE_BYTES), wrapped: new Uint8Array() };
    return wrapSlot(header, slot, kek, keys);
  } finally {
    memzero(kek);
  }
}

export interface NewVault {
  header: Header;
  /** The scope keys (v1: the data key as scope 0). */
  dataKey: VaultKeys;
}

export function emptyHeader(version: number, vaultId: Uint8Array): Header {
  return {
    version,
    vaultId,
    bodyNonce: new Uint8Array(version === FORMAT_V1 ? aead.NONCE_BYTES : 0),
    // Zeros until the first write picks one (so an unwritten header still encodes).
    writeId: new Uint8Array(version === FORMAT_V1 ? 0 : WRITE_ID_BYTES),
    scopes: [{ id: DEFAULT_SCOPE, name: DEFAULT_SCOPE_NAME }],
    slots: [],
    toc: { meta: { off: 0, len: 0 }, indexes: [] },
  };
}

/** A new vault's header and keys; version 1 only for the test vectors. */
export function newVault(passphrase: string, kdf: KdfParams, rng: Rng = randomBytes, version = FORMAT_VERSION): NewVault {
  const header = emptyHeader(version, rng(VAULT_ID_BYTES));
  const keys = new VaultKeys([[DEFAULT_SCOPE, rng(KEY_BYTES)]]);
  header.slots.push(makePassphraseSlot(header, keys, passphrase, kdf, rng));
  return { header, dataKey: keys };
}

/** Adds a scope with a fresh key to the header and the key set; returns its id. */
export function addScope(header: Header, keys: Map<number, Uint8Array>, name: string, rng: Rng = randomBytes): number {
  const id = Math.max(...header.scopes.map((s) => s.id)) + 1;
  header.scopes.push({ id, name });
  keys.set(id, rng(SCOPE_KEY_BYTES));
  return id;
}

/**
 * The whole file from a canonical body (docs/FORMAT.md "Body"). v1 seals it as one; v2 seals
 * each entry line as a new record in the default scope, and the rest as the meta record.
 */
export function sealFile(header: Header, keys: Map<number, Uint8Array>, plaintext: Uint8Array, rng: Rng = randomBytes): Uint8Array {
  if (header.version === FORMAT_V1) {
    header.bodyNonce = rng(aead.NONCE_BYTES);
    const aad = encodeHeader(header);
    const body = aead.seal(keys.get(DEFAULT_SCOPE)!, header.bodyNonce, plaintext, aad);
    // One copy, into memory not zeroed first: the body can be megabytes.
    const out = Buffer.concat([aad, body]);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  }
  const split = splitBody(plaintext);
  if (!split) throw new CorruptError('the vault body is not in the line layout');
  const entries = split.entries.map((e) => ({ name: e.name, scope: DEFAULT_SCOPE, id: rng(ENTRY_ID_BYTES), gen: 1, line: e.line }));
  return buildFile(header, keys, split.skeleton, entries, rng);
}

export function passphraseSlotOf(header: Header): PassphraseSlot {
  const slot = header.slots.find((s): s is PassphraseSlot => s.type === 'passphrase');
  if (!slot) throw new CorruptError('the vault header is malformed');
  return slot;
}

export function keychainSlotOf(header: Header): KeychainSlot | undefined {
  return header.slots.find((s): s is KeychainSlot => s.type === 'keychain');
}

export type AsyncArgon = (password: Uint8Array, salt: Uint8Array, ops: number, memBytes: number, lanes: number) => Promise<Uint8Array>;

/** The keys from the passphrase slot, given the key derived for it; wipes that key. */
function openPassphraseSlot(parsed: FileHead, kek: Uint8Array): VaultKeys {
  try {
    const keys = unwrapSlot(parsed.header, passphraseSlotOf(parsed.header), kek);
    if (!keys) throw new AuthError();
    return keys;
  } finally {
    memzero(kek);
  }
}

/** As unwrapWithPassphrase, with the derivation done elsewhere (a worker thread). */
export async function unwrapWithPassphraseUsing(parsed: FileHead, passphrase: string, argon: AsyncArgon): Promise<VaultKeys> {
  const { kdf, salt } = passphraseSlotOf(parsed.header);
  const problem = kdfProblem(kdf);
  if (problem) throw new CorruptError(problem);
  const pw = passphraseBytes(passphrase);
  let kek: Uint8Array;
  try {
    kek = await argon(pw, salt, kdf.opsLimit, kdf.memKiB * 1024, lanesOf(kdf));
  } finally {
    memzero(pw);
  }
  return openPassphraseSlot(parsed, kek);
}

export function unwrapWithPassphrase(parsed: FileHead, passphrase: string): VaultKeys {
  const { kdf, salt } = passphraseSlotOf(parsed.header);
  const problem = kdfProblem(kdf);
  if (problem) throw new CorruptError(problem);
  return openPassphraseSlot(parsed, derivePassphraseKey(passphrase, kdf, salt));
}

/** Returns null when the key does not open the slot (e.g. a stale keychain item). */
export function unwrapWithKeychainKey(parsed: FileHead, keychainKey: Uint8Array): VaultKeys | null {
  const slot = keychainSlotOf(parsed.header);
  return slot ? unwrapSlot(parsed.header, slot, keychainKey) : null;
}

/** A v2 file opened part by part (v1 files have no parts: use openBody); `read` reads by
 *  position (default: from the parsed file's bytes). */
export function openV2(parsed: FileHead & { file?: Uint8Array }, keys: Map<number, Uint8Array>, read: Reader = readerOf(parsed.file!)): OpenedV2 {
  return new OpenedV2(parsed.header, keys, read);
}

/** The canonical body (docs/FORMAT.md "Body"); for v2, every record the keys open, joined. */
export function openBody(parsed: ParsedFile, keys: Map<number, Uint8Array>): Uint8Array {
  if (parsed.header.version === FORMAT_V1) {
    const key = keys.get(DEFAULT_SCOPE);
    const plain = key && aead.open(key, parsed.header.bodyNonce, parsed.body, parsed.aad);
    if (!plain) throw new AuthError();
    return plain;
  }
  const v2 = openV2(parsed, keys);
  const meta = v2.meta();
  const lines: { name: string; line: Uint8Array }[] = [];
  for (const scope of v2.openScopes()) for (const row of v2.index(scope).rows()) lines.push({ name: row.name, line: v2.line(scope, row) });
  lines.sort((a, b) => Buffer.compare(te.encode(a.name), te.encode(b.name)));
  return joinBody(meta, lines.map((l) => l.line));
}

export { decodeFile };
