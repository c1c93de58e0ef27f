// The signature primitives exchanges use to authenticate API requests: HMAC (SHA-256 and
// SHA-512), Ed25519 and RSA (PKCS#1 v1.5, SHA-256) over a PEM key, and ES256 / EdDSA JSON Web
// Tokens. Pure functions; each exchange's file in platform/exchanges/ builds the text to sign.
// ES256 uses RFC 6979 deterministic nonces (@noble/curves, loaded on first use), so a request
// signed twice gives the same token, which is what lets the tests compare with ccxt's.
import { createHash, createHmac, createPrivateKey, KeyObject, sign as nodeSign } from 'node:crypto';
import { UsageError } from '../errors';

type Bytes = string | Uint8Array;

export function hmacSha256(key: Bytes, data: Bytes, enc: 'hex' | 'base64'): string {
  return createHmac('sha256', key).update(data).digest(enc);
}

export function hmacSha512(key: Bytes, data: Bytes, enc: 'hex' | 'base64'): string {
  return createHmac('sha512', key).update(data).digest(enc);
}

export function sha256(data: Bytes): Buffer {
  return createHash('sha256').update(data).digest();
}

/** Whether a stored secret is a PEM private key rather than an HMAC secret. */
export const isPem = (s: string): boolean => s.startsWith('-----BEGIN ');

/** A private key from its PEM; the error never quotes the key or the library's words. */
export function pemKey(pem: string, what: string): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch {
    throw new UsageError(`the ${what} is not a private key this can sign with (PEM: PKCS#8, PKCS#1 or SEC1)`);
  }
}

/** Ed25519 (over the bytes as given) or RSA PKCS#1 v1.5 SHA-256, by the key's own type; base64. */
export function signWithPem(pem: string, data: string, what: string): string {
  const key = pemKey(pem, what);
  if (key.asymmetricKeyType === 'ed25519') return nodeSign(null, Buffer.from(data), key).toString('base64');
  if (key.asymmetricKeyType === 'rsa') return nodeSign('sha256', Buffer.from(data), key).toString('base64');
  throw new UsageError(`the ${what} is a ${key.asymmetricKeyType ?? 'unknown'} key; this exchange takes Ed25519 or RSA keys`);
}

export const base64url = (b: Bytes): string => Buffer.from(b).toString('base64url');

function jwtInput(header: object, payload: object): string {
  return `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
}

/** An ES256 JWT (P-256, SHA-256, r||s) from an EC private key PEM; deterministic (RFC 6979, low S). */
export function es256Jwt(header: object, payload: object, pem: string, what: string): string {
  const key = pemKey(pem, what);
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new UsageError(`the ${what} is not an EC P-256 (ES256) key`);
  }
  const d = Buffer.from((key.export({ format: 'jwk' }) as { d: string }).d, 'base64url');
  const input = jwtInput(header, payload);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { p256 } = require('@noble/curves/nist') as typeof import('@noble/curves/nist');
  const sig = p256.sign(sha256(input), d, { lowS: true });
  d.fill(0);
  return `${input}.${base64url(sig.toCompactRawBytes())}`;
}

const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** An EdDSA JWT from a raw Ed25519 key given as base64 (its 32-byte seed first, as Coinbase's
 *  Ed25519 keys are: seed then public key). */
export function eddsaJwt(header: object, payload: object, base64Key: string, what: string): string {
  const raw = Buffer.from(base64Key, 'base64');
  if (raw.length !== 64 && raw.length !== 32) throw new UsageError(`the ${what} is not a base64 Ed25519 key (32 or 64 bytes)`);
  const der = Buffer.concat([ED25519_PKCS8_PREFIX, raw.subarray(0, 32)]);
  const key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  der.fill(0);
  raw.fill(0);
  const input = jwtInput(header, payload);
  return `${input}.${base64url(nodeSign(null, Buffer.from(input), key))}`;
}
