// age's X25519 recipient (https://age-encryption.org/v1, "The X25519 recipient type"), for key
// slots that a host or person identity opens: the same identities (AGE-SECRET-KEY-1...), the
// same recipients (age1...) and the same wrap as age's X25519 stanza, so a key made by
// `age-keygen` works here and a wrap made here is one `age -d` opens (proved in the tests
// against Debian's age). X25519 from @noble/curves (audited; it refuses the all-zero shared
// secret of a low-order point); bech32 from @scure/base; HKDF-SHA256 and ChaCha20-Poly1305
// from node:crypto (OpenSSL), as in mac.ts and aead.ts. Library error text is never passed
// on: @scure/base quotes its input, which here may be a secret key.
import { bech32 } from '@scure/base';
import { createCipheriv, createDecipheriv, hkdfSync } from 'node:crypto';
import { CorruptError, UsageError } from '../errors';
import { randomBytes } from './random';

/** Size of an X25519 public key, secret key, ephemeral share and shared secret. */
export const X25519_BYTES = 32;
export const TAG_BYTES = 16;
/** age wraps a 16-byte file key; slots may wrap a 32-byte key, or two (up to 64 bytes). */
export const MIN_KEY_BYTES = 16;
export const MAX_KEY_BYTES = 64;
/** HKDF info of age's X25519 stanza. */
export const X25519_LABEL = 'age-encryption.org/v1/X25519';
export const IDENTITY_HRP = 'AGE-SECRET-KEY-';
export const RECIPIENT_HRP = 'age';
/** An identity file larger than this is not one age-keygen wrote. */
export const MAX_IDENTITY_FILE_BYTES = 64 * 1024;

const ZERO_NONCE = new Uint8Array(12);

type X25519 = typeof import('@noble/curves/ed25519').x25519;
let curve: X25519 | undefined;
/** Loaded on first use, like libsodium in sodium.ts: noble's ed25519 module builds its curves
 *  when loaded (about 20M instructions, bench/age-x25519.mjs), which a command that never
 *  touches an age identity should not pay, `vault exec` through the keychain least of all. */
function x25519(): X25519 {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  curve ??= (require('@noble/curves/ed25519') as typeof import('@noble/curves/ed25519')).x25519;
  return curve;
}
const REDACTED = '[age identity]';
/** Each identity's secret key, out of reach of any code outside this file (no getter, no
 *  enumerable field for a logger or JSON to find). */
const SECRETS = new WeakMap<AgeIdentity, Uint8Array>();

/**
 * An X25519 secret key. It prints as "[age identity]" (toString, JSON, util.inspect) so it
 * cannot land in a log or message by accident; format() is the one explicit way to its text.
 */
export class AgeIdentity {
  /** The 32-byte X25519 public key: what a vault stores to wrap keys to this identity. */
  readonly publicKey: Uint8Array;

  private constructor(secret: Uint8Array) {
    SECRETS.set(this, secret);
    this.publicKey = x25519().getPublicKey(secret);
  }

  /** A new identity from the operating system's CSPRNG (as age-keygen makes one). */
  static generate(): AgeIdentity {
    return new AgeIdentity(randomBytes(X25519_BYTES));
  }

  /** From the 32 secret bytes (copied; the caller may wipe its own). */
  static fromSecretKey(secret: Uint8Array): AgeIdentity {
    if (secret.length !== X25519_BYTES) throw new UsageError(`an age identity is ${X25519_BYTES} bytes`);
    return new AgeIdentity(Uint8Array.from(secret));
  }

  /** The recipient string (age1...) that wraps keys to this identity; public. */
  recipient(): string {
    return formatRecipient(this.publicKey);
  }

  /** The secret key as age writes it: AGE-SECRET-KEY-1..., upper case. A secret: handle as one. */
  format(): string {
    return bech32.encode(IDENTITY_HRP, bech32.toWords(SECRETS.get(this)!), false).toUpperCase();
  }

  /** Wipes the secret key; the identity is useless afterwards. */
  dispose(): void {
    SECRETS.get(this)!.fill(0);
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return REDACTED;
  }
}

/** bech32 data of exactly 32 bytes under the given prefix, or null; never throws library text. */
function decode32(text: string, hrp: string): Uint8Array | null {
  try {
    // 90 characters at most, as in age's bech32 (a recipient is 62, an identity 74).
    const { prefix, words } = bech32.decode(text as `${string}1${string}`, 90);
    if (prefix !== hrp.toLowerCase()) return null;
    const bytes = bech32.fromWords(words);
    return bytes.length === X25519_BYTES ? bytes : null;
  } catch {
    return null;
  }
}

/**
 * An identity string, as age parses one: upper case, prefix AGE-SECRET-KEY-1, valid bech32
 * checksum, 32 bytes. The message never holds the input (it would be a secret key).
 */
export function parseIdentity(text: string): AgeIdentity {
  const s = text.trim();
  // age compares the prefix with its original case: a lower-case identity is refused there too.
  const bytes = s.startsWith(`${IDENTITY_HRP}1`) && s === s.toUpperCase() ? decode32(s, IDENTITY_HRP) : null;
  if (!bytes) {
    throw new UsageError('not a valid age identity (expected AGE-SECRET-KEY-1 and 58 more characters, with a valid checksum)');
  }
  try {
    return AgeIdentity.fromSecretKey(bytes);
  } finally {
    bytes.fill(0);
  }
}

/**
 * The text of an identity file as age-keygen writes it: lines starting with # are comments,
 * blank lines are skipped, and exactly one AGE-SECRET-KEY-1 line is the identity. Errors name
 * a line number, never its content.
 */
export function parseIdentityFile(text: string): AgeIdentity {
  if (text.length > MAX_IDENTITY_FILE_BYTES) throw new UsageError('not an age identity file (too large)');
  let found: { line: number; text: string } | null = null;
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (found) {
      throw new UsageError(`the age identity file holds more than one identity (lines ${found.line} and ${i + 1}); exvault takes one`);
    }
    found = { line: i + 1, text: line };
  }
  if (!found) throw new UsageError('the age identity file holds no identity (no AGE-SECRET-KEY-1 line)');
  try {
    return parseIdentity(found.text);
  } catch {
    throw new UsageError(`line ${found.line} of the age identity file is not a valid age identity`);
  }
}

/** An identity file as age-keygen writes it: two comment lines, then the key. A secret. */
export function formatIdentityFile(identity: AgeIdentity, created: Date): string {
  // age-keygen: "# created: " + time.Now().Format(time.RFC3339), to the second.
  const when = created.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return `# created: ${when}\n# public key: ${identity.recipient()}\n${identity.format()}\n`;
}

/** A recipient string (age1..., lower case, as age requires) to its 32-byte public key. */
export function parseRecipient(text: string): Uint8Array {
  const s = text.trim();
  const bytes = s.startsWith(`${RECIPIENT_HRP}1`) && s === s.toLowerCase() ? decode32(s, RECIPIENT_HRP) : null;
  if (!bytes) throw new UsageError('not a valid age X25519 recipient (expected age1 and 58 more characters, with a valid checksum)');
  return bytes;
}

export function formatRecipient(publicKey: Uint8Array): string {
  if (publicKey.length !== X25519_BYTES) throw new UsageError(`an age recipient is ${X25519_BYTES} bytes`);
  return bech32.encode(RECIPIENT_HRP, bech32.toWords(publicKey), false);
}

/** age's X25519 wrap key: HKDF-SHA256(shared secret, salt = share || recipient, label). */
function wrapKeyFor(shared: Uint8Array, share: Uint8Array, recipient: Uint8Array): Buffer {
  const salt = new Uint8Array(2 * X25519_BYTES);
  salt.set(share, 0);
  salt.set(recipient, X25519_BYTES);
  return Buffer.from(hkdfSync('sha256', shared, salt, X25519_LABEL, 32));
}

/** What a slot stores: the ephemeral share (its payload) and the wrapped key with its tag (its body). */
export interface X25519Wrap {
  share: Uint8Array;
  body: Uint8Array;
}

/**
 * Wraps a 16..64-byte key to a recipient's public key exactly as age's X25519 stanza wraps a
 * file key: a fresh ephemeral key pair per wrap, so the zero nonce is never reused under a key.
 */
export function wrapKey(recipient: Uint8Array, key: Uint8Array): X25519Wrap {
  if (recipient.length !== X25519_BYTES) throw new UsageError(`an age recipient is ${X25519_BYTES} bytes`);
  if (key.length < MIN_KEY_BYTES || key.length > MAX_KEY_BYTES) throw new Error(`a wrapped key is ${MIN_KEY_BYTES} to ${MAX_KEY_BYTES} bytes`);
  const ephemeral = randomBytes(X25519_BYTES);
  let shared: Uint8Array | undefined;
  let wrapKeyBytes: Buffer | undefined;
  try {
    const share = x25519().getPublicKey(ephemeral);
    try {
      shared = x25519().getSharedSecret(ephemeral, recipient);
    } catch {
      // Only a low-order point gives the all-zero secret noble refuses; age refuses it too.
      throw new UsageError('the age recipient is not a usable X25519 public key (low-order point)');
    }
    wrapKeyBytes = wrapKeyFor(shared, share, recipient);
    const c = createCipheriv('chacha20-poly1305', wrapKeyBytes, ZERO_NONCE, { authTagLength: TAG_BYTES });
    const body = Buffer.concat([c.update(key), c.final(), c.getAuthTag()]);
    return { share, body: new Uint8Array(body.buffer, body.byteOffset, body.byteLength) };
  } finally {
    ephemeral.fill(0);
    shared?.fill(0);
    wrapKeyBytes?.fill(0);
  }
}

/**
 * Unwraps what wrapKey (or age's X25519 stanza) made. Returns null when the wrap does not open
 * with this identity (another recipient's, or a changed byte: one answer for both, as for any
 * AEAD). Throws CorruptError for what is malformed whatever the identity, as age does: a share
 * that is not 32 bytes, a low-order share (all-zero shared secret), or a body of the wrong
 * length (keyBytes, when given, is the exact key length expected: age's file key is 16).
 */
export function unwrapKey(identity: AgeIdentity, share: Uint8Array, body: Uint8Array, keyBytes?: number): Uint8Array | null {
  if (share.length !== X25519_BYTES) throw new CorruptError(`an age X25519 share must be ${X25519_BYTES} bytes`);
  const keyLength = body.length - TAG_BYTES;
  if (keyBytes !== undefined ? keyLength !== keyBytes : keyLength < MIN_KEY_BYTES || keyLength > MAX_KEY_BYTES) {
    throw new CorruptError('an age X25519 wrapped key has the wrong length');
  }
  let shared: Uint8Array;
  try {
    shared = x25519().getSharedSecret(SECRETS.get(identity)!, share);
  } catch {
    throw new CorruptError('an age X25519 share is a low-order point');
  }
  const wrapKeyBytes = wrapKeyFor(shared, share, identity.publicKey);
  shared.fill(0);
  let head: Buffer | undefined;
  try {
    const d = createDecipheriv('chacha20-poly1305', wrapKeyBytes, ZERO_NONCE, { authTagLength: TAG_BYTES });
    d.setAuthTag(body.subarray(keyLength));
    head = d.update(body.subarray(0, keyLength));
    // A stream cipher's final() adds nothing; it throws when the tag does not match.
    d.final();
    return new Uint8Array(head.buffer, head.byteOffset, head.byteLength);
  } catch {
    // Bytes decrypted before the tag failed are not the key: wiped, never returned.
    head?.fill(0);
    return null;
  } finally {
    wrapKeyBytes.fill(0);
  }
}
