// Randomness from libsodium's CSPRNG (getrandom on Linux).
import { lib } from './sodium';

export function randomBytes(n: number): Uint8Array {
  return lib().randombytes_buf(n);
}

/** Uniform integer in [0, upperExclusive), without modulo bias. */
export function randomBelow(upperExclusive: number): number {
  return lib().randombytes_uniform(upperExclusive);
}
