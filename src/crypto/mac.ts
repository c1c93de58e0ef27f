// Keys derived from the data key for other jobs than encryption (HKDF-SHA256), and
// HMAC-SHA256 with a constant-time comparison. node:crypto (OpenSSL).
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/** A 32-byte subkey of the data key, separate for each purpose (info label). */
export function subkey(dataKey: Uint8Array, info: string): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', dataKey, new Uint8Array(0), info, 32));
}

export function hmac(key: Uint8Array, ...parts: (Uint8Array | string)[]): Buffer {
  const h = createHmac('sha256', key);
  for (const p of parts) h.update(p);
  return h.digest();
}

/** The same MAC as hex text: digest('hex') skips the Buffer a 100,000-record audit verify feels. */
export function hmacHex(key: Uint8Array, ...parts: (Uint8Array | string)[]): string {
  const h = createHmac('sha256', key);
  for (const p of parts) h.update(p);
  return h.digest('hex');
}

/** Two MACs (hex text or bytes) compared in constant time: no early exit tells a forger how much matched. */
export function macEquals(a: string | Uint8Array, b: string | Uint8Array): boolean {
  if (!(typeof a === 'string' || a instanceof Uint8Array) || !(typeof b === 'string' || b instanceof Uint8Array)) return false;
  const x = typeof a === 'string' ? Buffer.from(a, 'utf8') : a;
  const y = typeof b === 'string' ? Buffer.from(b, 'utf8') : b;
  return x.length === y.length && timingSafeEqual(x, y);
}
