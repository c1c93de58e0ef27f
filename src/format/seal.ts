// Sealing and opening format v1: key slots wrap a random data key; the body is
// XChaCha20-Poly1305 under the data key with the whole preamble+header as associated data.
import { AuthError, CorruptError } from '../errors';
import * as aead from '../crypto/aead';
import { argon2id, KEY_BYTES, SALT_BYTES } from '../crypto/kdf';
import { memzero } from '../crypto/memzero';
import { randomBytes } from '../crypto/random';
import { decodeFile, encodeHeader, FileHead, Header, ITEM_ID_BYTES, KeychainSlot, ParsedFile, PassphraseSlot, Slot, slotPayload, slotTypeCode, VAULT_ID_BYTES } from './header';
import { KdfParams, kdfProblem, lanesOf } from './limits';

/** Source of random bytes; fixed only by the test-vector generator. */
export type Rng = (n: number) => Uint8Array;

const SLOT_AD_LABEL = new TextEncoder().encode('exvault slot v1\0');

/** Passphrases are NFC-normalised UTF-8, so the same text typed on any system opens the vault. */
export function passphraseBytes(passphrase: string): Uint8Array {
  return new TextEncoder().encode(passphrase.normalize('NFC'));
}

/** A slot is bound to its vault and its own parameters, so it cannot be moved or altered. */
function slotAd(vaultId: Uint8Array, slot: Slot): Uint8Array {
  const payload = slotPayload(slot);
  const ad = new Uint8Array(SLOT_AD_LABEL.length + vaultId.length + 1 + payload.length);
  ad.set(SLOT_AD_LABEL, 0);
  ad.set(vaultId, SLOT_AD_LABEL.length);
  ad[SLOT_AD_LABEL.length + vaultId.length] = slotTypeCode(slot);
  ad.set(payload, SLOT_AD_LABEL.length + vaultId.length + 1);
  return ad;
}

function wrap<T extends Slot>(vaultId: Uint8Array, slot: T, kek: Uint8Array, dataKey: Uint8Array): T {
  slot.wrapped = aead.seal(kek, slot.nonce, dataKey, slotAd(vaultId, slot));
  return slot;
}

function unwrap(vaultId: Uint8Array, slot: Slot, kek: Uint8Array): Uint8Array | null {
  return aead.open(kek, slot.nonce, slot.wrapped, slotAd(vaultId, slot));
}

export function derivePassphraseKey(passphrase: string, kdf: KdfParams, salt: Uint8Array): Uint8Array {
  const problem = kdfProblem(kdf);
  if (problem) throw new CorruptError(problem);
  const pw = passphraseBytes(passphrase);
  try {
    return argon2id(pw, salt, kdf.opsLimit, kdf.memKiB * 1024, lanesOf(kdf));
  } finally {
    memzero(pw);
  }
}

export function makePassphraseSlot(vaultId: Uint8Array, dataKey: Uint8Array, passphrase: string, kdf: KdfParams, rng: Rng = randomBytes): PassphraseSlot {
  const salt = rng(SALT_BYTES);
  const nonce = rng(aead.NONCE_BYTES);
  const kek = derivePassphraseKey(passphrase, kdf, salt);
  try {
    return wrap(vaultId, { type: 'passphrase', kdf: { ...kdf }, salt, nonce, wrapped: new Uint8Array() }, kek, dataKey);
  } finally {
    memzero(kek);
  }
}

export function makeKeychainSlot(vaultId: Uint8Array, dataKey: Uint8Array, keychainKey: Uint8Array, rng: Rng = randomBytes): KeychainSlot {
  const slot: KeychainSlot = { type: 'keychain', itemId: rng(ITEM_ID_BYTES), nonce: rng(aead.NONCE_BYTES), wrapped: new Uint8Array() };
  return wrap(vaultId, slot, keychainKey, dataKey);
}

export interface NewVault {
  header: Header;
  dataKey: Uint8Array;
}

export function newVault(passphrase: string, kdf: KdfParams, rng: Rng = randomBytes): NewVault {
  const vaultId = rng(VAULT_ID_BYTES);
  const dataKey = rng(KEY_BYTES);
  const slot = makePassphraseSlot(vaultId, dataKey, passphrase, kdf, rng);
  return { header: { vaultId, bodyNonce: new Uint8Array(aead.NONCE_BYTES), slots: [slot] }, dataKey };
}

/** Encrypts the body under a fresh nonce (every write) and returns the whole file. */
export function sealFile(header: Header, dataKey: Uint8Array, plaintext: Uint8Array, rng: Rng = randomBytes): Uint8Array {
  header.bodyNonce = rng(aead.NONCE_BYTES);
  const aad = encodeHeader(header);
  const body = aead.seal(dataKey, header.bodyNonce, plaintext, aad);
  // One copy, into memory not zeroed first: the body can be megabytes.
  const out = Buffer.concat([aad, body]);
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
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

/** The data key from the passphrase slot, given the key derived for it; wipes that key. */
function openPassphraseSlot(parsed: FileHead, kek: Uint8Array): Uint8Array {
  try {
    const key = unwrap(parsed.header.vaultId, passphraseSlotOf(parsed.header), kek);
    if (!key) throw new AuthError();
    return key;
  } finally {
    memzero(kek);
  }
}

/** As unwrapWithPassphrase, with the derivation done elsewhere (a worker thread). */
export async function unwrapWithPassphraseUsing(parsed: FileHead, passphrase: string, argon: AsyncArgon): Promise<Uint8Array> {
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

export function unwrapWithPassphrase(parsed: FileHead, passphrase: string): Uint8Array {
  const { kdf, salt } = passphraseSlotOf(parsed.header);
  return openPassphraseSlot(parsed, derivePassphraseKey(passphrase, kdf, salt));
}

/** Returns null when the key does not open the slot (e.g. a stale keychain item). */
export function unwrapWithKeychainKey(parsed: FileHead, keychainKey: Uint8Array): Uint8Array | null {
  const slot = keychainSlotOf(parsed.header);
  return slot ? unwrap(parsed.header.vaultId, slot, keychainKey) : null;
}

export function openBody(parsed: ParsedFile, dataKey: Uint8Array): Uint8Array {
  const plain = aead.open(dataKey, parsed.header.bodyNonce, parsed.body, parsed.aad);
  if (!plain) throw new AuthError();
  return plain;
}

export { decodeFile };
