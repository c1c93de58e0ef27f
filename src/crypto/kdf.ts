// Argon2id (libsodium's crypto_pwhash, version 1.3, one lane). Bounds are checked by the
// caller (format/limits.ts) before anything is derived.
import { lib } from './sodium';

export const SALT_BYTES = 16;
export const KEY_BYTES = 32;

export function argon2id(password: Uint8Array, salt: Uint8Array, opsLimit: number, memLimitBytes: number): Uint8Array {
  const s = lib();
  const key = s.crypto_pwhash(KEY_BYTES, password, salt, opsLimit, memLimitBytes, s.crypto_pwhash_ALG_ARGON2ID13);
  // An all-zero key would mean the binding silently failed; never use it.
  if (key.every((b) => b === 0)) throw new Error('key derivation returned an all-zero key');
  return key;
}
