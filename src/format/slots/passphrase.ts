// Passphrase slot: the key-encryption key is Argon2id of the passphrase. Its payload holds
// the KDF parameters and salt (format v2 adds the lane count; v1 implies one lane).
import { argon2id, SALT_BYTES } from '../../crypto/kdf';
import { memzero } from '../../crypto/memzero';
import { describeKdf, KDF_ARGON2ID13, KdfParams, kdfProblem, lanesOf } from '../limits';
import { Slot, SlotKind } from './types';

export interface PassphraseSlot extends Slot {
  type: 'passphrase';
  kdf: KdfParams;
  salt: Uint8Array;
}

const V1_BYTES = 1 + 4 + 4 + SALT_BYTES;
const V2_BYTES = 1 + 4 + 4 + 4 + SALT_BYTES;

/** Passphrases are NFC-normalised UTF-8, so the same text typed on any system opens the vault. */
export function passphraseBytes(passphrase: string): Uint8Array {
  return new TextEncoder().encode(passphrase.normalize('NFC'));
}

export function derivePassphraseKey(passphrase: string, kdf: KdfParams, salt: Uint8Array): Uint8Array {
  const pw = passphraseBytes(passphrase);
  try {
    return argon2id(pw, salt, kdf.opsLimit, kdf.memKiB * 1024, lanesOf(kdf));
  } finally {
    memzero(pw);
  }
}

export const passphraseKind: SlotKind<PassphraseSlot> = {
  code: 1,
  name: 'passphrase',
  min: 1,
  max: 1,
  rung: 100,
  automatic: false,
  decode(p, version) {
    if (p.length !== (version === 1 ? V1_BYTES : V2_BYTES)) return null;
    const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
    const lanes = version === 1 ? 1 : v.getUint32(9);
    return { kdf: { alg: p[0]!, opsLimit: v.getUint32(1), memKiB: v.getUint32(5), lanes }, salt: p.slice(p.length - SALT_BYTES) };
  },
  encode(slot, version) {
    // v1 has no lane count: a vault it could not open again is never written.
    if (version === 1 && lanesOf(slot.kdf) !== 1) throw new Error('format v1 stores one-lane key derivation only');
    const p = new Uint8Array(version === 1 ? V1_BYTES : V2_BYTES);
    const v = new DataView(p.buffer);
    p[0] = slot.kdf.alg;
    v.setUint32(1, slot.kdf.opsLimit);
    v.setUint32(5, slot.kdf.memKiB);
    if (version !== 1) v.setUint32(9, slot.kdf.lanes ?? 1);
    p.set(slot.salt, p.length - SALT_BYTES);
    return p;
  },
  describe: (slot) => `passphrase (${describeKdf(slot.kdf)})`,
  problem: (slot) => kdfProblem(slot.kdf),
  async kek(slot, _vaultId, means) {
    if (!means.passphrase) return null;
    const pass = await means.passphrase();
    if (!means.argon2id) return derivePassphraseKey(pass, slot.kdf, slot.salt);
    const pw = passphraseBytes(pass);
    try {
      return await means.argon2id(pw, slot.salt, slot.kdf.opsLimit, slot.kdf.memKiB * 1024, lanesOf(slot.kdf));
    } finally {
      memzero(pw);
    }
  },
};

export { KDF_ARGON2ID13 };
