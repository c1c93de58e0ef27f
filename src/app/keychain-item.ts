// Where a vault's keychain key is kept: service "exvault", account "<vault id>.<item id>".
import { KeychainSlot } from '../format/header';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

export function keychainAccount(vaultId: Uint8Array, slot: KeychainSlot): string {
  return `${hex(vaultId)}.${hex(slot.itemId)}`;
}
