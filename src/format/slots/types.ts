// What every key slot has, whatever its type, and what a slot type must provide. A type is
// one file in this folder plus one line in registry.ts; nothing else switches on slot types.
import type { AgeIdentity } from '../../crypto/age-x25519';

export interface Slot {
  /** The slot type's name, e.g. "passphrase". */
  type: string;
  /** Scopes whose keys this slot wraps, in order (format v1: always [0], the data key). */
  scopes: number[];
  nonce: Uint8Array;
  /** XChaCha20-Poly1305 of the granted scope keys (32 bytes each, in `scopes` order) and tag. */
  wrapped: Uint8Array;
}

/** The means the unlock ladder offers a slot type to obtain its key-encryption key. */
export interface KeyMeans {
  /** The passphrase: from the explicit source or a prompt. */
  passphrase?: () => Promise<string>;
  /** Argon2id, possibly in a worker thread; the sync one in-process is used otherwise. */
  argon2id?: (password: Uint8Array, salt: Uint8Array, ops: number, memBytes: number, lanes: number) => Promise<Uint8Array>;
  /** A secret kept in the OS keychain under an account name, or null when absent. */
  keychainRead?: (account: string) => Promise<Uint8Array | null>;
  /** age X25519 identities of this host or person (x25519 slots try the one that matches). */
  identities?: () => Promise<AgeIdentity[]>;
}

export interface SlotKind<S extends Slot = Slot> {
  /** The type byte in the file. */
  code: number;
  name: string;
  /** How many slots of this type a vault may hold. */
  min: number;
  max: number;
  /** Order in the unlock ladder; the prompt-capable passphrase goes last. */
  rung: number;
  /** Tried without asking anyone (keychain, host identity): skipped when a passphrase was given. */
  automatic: boolean;
  /** Payload -> slot fields; null when the payload is malformed for this format version. */
  decode(payload: Uint8Array, version: number): Omit<S, keyof Slot> | null;
  encode(slot: S, version: number): Uint8Array;
  /** One line for doctor and status output; never secret. */
  describe(slot: S): string;
  /** Why this slot must not be tried (a hostile KDF setting), checked before anything is asked. */
  problem?(slot: S): string | null;
  /** Said when the key-encryption key was found but does not open the slot. */
  stale?: string;
  /** The key-encryption key, or null when the means at hand cannot give it; may throw a
   *  KeychainError-like VaultError saying why the means failed. */
  kek(slot: S, vaultId: Uint8Array, means: KeyMeans): Promise<Uint8Array | null>;
}
