// Randomness from the operating system's CSPRNG (getrandom on Linux), through node:crypto.
import { randomBytes as osRandom, randomInt } from 'node:crypto';

export function randomBytes(n: number): Uint8Array {
  const b = osRandom(n);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** Uniform integer in [0, upperExclusive), without modulo bias. */
export function randomBelow(upperExclusive: number): number {
  return randomInt(upperExclusive);
}
