// X25519 recipient slot (format 2): a host's or a person's age identity opens it. The slot's
// key-encryption key is 32 random bytes wrapped to the recipient exactly as age's X25519
// stanza wraps a file key (crypto/age-x25519.ts), so `age-keygen` identities work; the scope
// keys are then wrapped under that key like every other slot's, with the slot bound to its
// vault, payload and granted scopes (age's own wrap binds nothing).
import type { AgeIdentity } from '../../crypto/age-x25519';
import { Slot, SlotKind } from './types';

type Age = typeof import('../../crypto/age-x25519');
let age: Age | undefined;
/** Loaded on first use: every command decodes headers, few meet an X25519 slot, and the
 *  module's libraries cost every process that loads them. */
function ageLib(): Age {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (age ??= require('../../crypto/age-x25519') as Age);
}

const X25519_BYTES = 32;

export interface X25519Slot extends Slot {
  type: 'x25519';
  /** The recipient's public key: which identity to try, and what `describe` names. */
  recipient: Uint8Array;
  /** age's ephemeral share. */
  share: Uint8Array;
  /** The key-encryption key wrapped to the recipient (32 bytes + tag). */
  wrappedKek: Uint8Array;
}

export const KEK_BYTES = 32;
const WRAPPED_KEK_BYTES = KEK_BYTES + 16;
const PAYLOAD_BYTES = X25519_BYTES + X25519_BYTES + WRAPPED_KEK_BYTES;

/** A new slot's type-specific half: a fresh key-encryption key, wrapped to the recipient. */
export function newX25519Kek(recipient: Uint8Array, kek: Uint8Array): Pick<X25519Slot, 'recipient' | 'share' | 'wrappedKek'> {
  const { share, body } = ageLib().wrapKey(recipient, kek);
  return { recipient: recipient.slice(), share, wrappedKek: body };
}

export const x25519Kind: SlotKind<X25519Slot> = {
  code: 3,
  name: 'x25519',
  min: 0,
  // The header's slot count bounds how many there can be.
  max: 255,
  // Before the keychain: a host's identity is the host's own way in.
  rung: 5,
  automatic: true,
  decode(p, version) {
    if (version === 1 || p.length !== PAYLOAD_BYTES) return null;
    return {
      recipient: p.slice(0, X25519_BYTES),
      share: p.slice(X25519_BYTES, 2 * X25519_BYTES),
      wrappedKek: p.slice(2 * X25519_BYTES),
    };
  },
  encode(slot, version) {
    if (version === 1) throw new Error('format v1 has no X25519 slots');
    const p = new Uint8Array(PAYLOAD_BYTES);
    p.set(slot.recipient, 0);
    p.set(slot.share, X25519_BYTES);
    p.set(slot.wrappedKek, 2 * X25519_BYTES);
    return p;
  },
  describe: (slot) => `X25519 recipient ${ageLib().formatRecipient(slot.recipient)}`,
  stale: "the identity matches this slot's recipient but does not open it (the slot was damaged)",
  async kek(slot, _vaultId, means) {
    if (!means.identities) return null;
    const mine = (await means.identities()).find((id: AgeIdentity) => Buffer.from(id.publicKey).equals(Buffer.from(slot.recipient)));
    if (!mine) return null;
    return ageLib().unwrapKey(mine, slot.share, slot.wrappedKek, KEK_BYTES);
  },
};
