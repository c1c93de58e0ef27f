// XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha): HChaCha20 from @noble/ciphers (audited)
// derives the subkey, then OpenSSL's ChaCha20-Poly1305 through node:crypto does the bulk.
// Not libsodium: its WASM build costs ~50 ms to load, and `vault exec` through the keychain
// needs no key derivation, only this. Known answers and a cross-check against libsodium's
// own XChaCha20-Poly1305 are in test/unit/crypto. open() returns null on any failure, so no
// library error text can escape.
import { hchacha } from '@noble/ciphers/chacha';
import { createCipheriv, createDecipheriv } from 'node:crypto';

export const NONCE_BYTES = 24;
export const KEY_BYTES = 32;
export const TAG_BYTES = 16;

const SIGMA = Uint32Array.of(0x61707865, 0x3320646e, 0x79622d32, 0x6b206574);

function words(b: Uint8Array): Uint32Array {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return Uint32Array.from({ length: b.length / 4 }, (_, i) => v.getUint32(i * 4, true));
}

/** The ChaCha20-Poly1305 key and 12-byte nonce that XChaCha20 reduces to. */
function reduce(key: Uint8Array, nonce: Uint8Array): { subkey: Buffer; iv: Buffer } {
  if (key.length !== KEY_BYTES || nonce.length !== NONCE_BYTES) throw new Error('bad key or nonce length');
  const out = new Uint32Array(8);
  hchacha(SIGMA, words(key), words(nonce.subarray(0, 16)), out);
  const subkey = Buffer.alloc(32);
  out.forEach((w, i) => subkey.writeUInt32LE(w, i * 4));
  out.fill(0);
  const iv = Buffer.alloc(12);
  iv.set(nonce.subarray(16), 4);
  return { subkey, iv };
}

export function seal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, ad: Uint8Array): Uint8Array {
  const { subkey, iv } = reduce(key, nonce);
  try {
    const c = createCipheriv('chacha20-poly1305', subkey, iv, { authTagLength: TAG_BYTES });
    c.setAAD(ad, { plaintextLength: plaintext.length });
    const out = Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } finally {
    subkey.fill(0);
  }
}

/** As seal, but the ciphertext and tag as the pieces the cipher gave (no copy into one buffer:
 *  a format 2 update writes a 4 MB index as it comes). */
export function sealPieces(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, ad: Uint8Array): Uint8Array[] {
  const { subkey, iv } = reduce(key, nonce);
  try {
    const c = createCipheriv('chacha20-poly1305', subkey, iv, { authTagLength: TAG_BYTES });
    c.setAAD(ad, { plaintextLength: plaintext.length });
    return [c.update(plaintext), c.final(), c.getAuthTag()].filter((b) => b.length > 0);
  } finally {
    subkey.fill(0);
  }
}

export function open(key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, ad: Uint8Array): Uint8Array | null {
  if (ciphertext.length < TAG_BYTES || key.length !== KEY_BYTES || nonce.length !== NONCE_BYTES) return null;
  const { subkey, iv } = reduce(key, nonce);
  try {
    const d = createDecipheriv('chacha20-poly1305', subkey, iv, { authTagLength: TAG_BYTES });
    const body = ciphertext.subarray(0, ciphertext.length - TAG_BYTES);
    d.setAAD(ad, { plaintextLength: body.length });
    d.setAuthTag(ciphertext.subarray(ciphertext.length - TAG_BYTES));
    const head = d.update(body);
    const tail = d.final();
    // A stream cipher's final() gives nothing more: no copy of a megabytes-long body.
    const out = tail.length ? Buffer.concat([head, tail]) : head;
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch {
    return null;
  } finally {
    subkey.fill(0);
  }
}
