// Keychain slot: the key-encryption key is 32 random bytes kept in the OS keychain under
// service "exvault", account "<vault id>.<item id>"; the payload is the random item id.
import { KeychainError } from '../../errors';
import { Slot, SlotKind } from './types';

export interface KeychainSlot extends Slot {
  type: 'keychain';
  itemId: Uint8Array;
}

export const ITEM_ID_BYTES = 16;

/** The Secret Service answered without the item: most often a keyring daemon restarted (or
 *  reset) without the user's keyring; also a deleted item or a copied vault. */
export const MISSING_ITEM = "the keychain answered without the vault's item: the keyring daemon may have been restarted, locked or reset (or the item was deleted, or this vault was copied from another machine)";

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

export function keychainAccount(vaultId: Uint8Array, slot: KeychainSlot): string {
  return `${hex(vaultId)}.${hex(slot.itemId)}`;
}

export const keychainKind: SlotKind<KeychainSlot> = {
  code: 2,
  name: 'keychain',
  min: 0,
  max: 1,
  rung: 10,
  automatic: true,
  decode: (p) => (p.length === ITEM_ID_BYTES ? { itemId: p.slice() } : null),
  encode: (slot) => slot.itemId,
  describe: (slot) => `OS keychain (item ${hex(slot.itemId).slice(0, 8)}…)`,
  stale: "the vault's keychain item does not open it (it was replaced, or this is another copy of the vault)",
  async kek(slot, vaultId, means) {
    if (!means.keychainRead) return null;
    const key = await means.keychainRead(keychainAccount(vaultId, slot));
    if (!key) throw new KeychainError(MISSING_ITEM);
    return key;
  },
};
