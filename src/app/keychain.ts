// vault keychain enable / disable / status: a keychain slot wraps the data key with a random
// 32-byte key kept in the OS keychain, so the vault opens without typing the passphrase.
import { KeychainError, KeychainUnavailable, UsageError } from '../errors';
import { memzero } from '../crypto/memzero';
import { randomBytes } from '../crypto/random';
import { decodeFile, Header, KeychainSlot } from '../format/header';
import { keychainSlotOf, makeKeychainSlot } from '../format/seal';
import { recordRelease } from './audit-writer';
import { keychainAccount } from './keychain-item';
import type { AppContext, Keychain } from './ports';
import { mutate, openSession } from './session';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** Stores a new keychain key and returns the slot that it opens; the caller puts it in the header. */
export async function newKeychainSlot(keychain: Keychain, header: Header, keys: Map<number, Uint8Array>): Promise<KeychainSlot> {
  const key = randomBytes(32);
  try {
    const slot = makeKeychainSlot(header, keys, key);
    await keychain.write(keychainAccount(header.vaultId, slot), key);
    return slot;
  } finally {
    memzero(key);
  }
}

export async function enableKeychain(ctx: AppContext, keychain: Keychain): Promise<{ replaced: boolean }> {
  // The passphrase proves the right to add a way in; the keychain itself cannot.
  const pinned = { ...ctx, unlocker: ctx.unlocker.withPassphrase(await ctx.unlocker.passphrase()) };
  const { dataKey, keys } = await openSession(pinned);
  // Recorded before the key goes into the keychain (a release): if the record cannot be
  // written, nothing happens; once the vault is written, nothing after it can undo it.
  await recordRelease(ctx, dataKey, { cmd: 'keychain-enable' });
  let added: { account: string } | undefined;
  let old: string | undefined;
  try {
    old = await mutate(pinned, async (s) => {
      const previous = keychainSlotOf(s.header);
      const slot = await newKeychainSlot(keychain, s.header, s.keys);
      added = { account: keychainAccount(s.header.vaultId, slot) };
      s.header.slots = [...s.header.slots.filter((x) => x.type !== 'keychain'), slot];
      return previous && keychainAccount(s.header.vaultId, previous);
    }, keys);
  } catch (err) {
    // The vault was not changed: do not leave a key behind that opens nothing.
    if (added) await keychain.remove(added.account).catch(() => false);
    throw err;
  }
  if (old) await removeQuietly(ctx, keychain, old);
  return { replaced: Boolean(old) };
}

async function removeQuietly(ctx: AppContext, keychain: Keychain, account: string): Promise<void> {
  try {
    await keychain.remove(account);
  } catch {
    ctx.notices.warn(`could not delete the old keychain item (service exvault, account ${account}); it no longer opens the vault`);
  }
}

export async function disableKeychain(ctx: AppContext, keychain: Keychain): Promise<boolean> {
  const header = decodeFile(ctx.vault.read()).header;
  if (!keychainSlotOf(header)) return false;
  const account = await mutate(ctx, (s) => {
    const slot = keychainSlotOf(s.header);
    if (!slot) throw new UsageError('the keychain was disabled by another command meanwhile');
    s.header.slots = s.header.slots.filter((x) => x !== slot);
    return keychainAccount(s.header.vaultId, slot);
  });
  await removeQuietly(ctx, keychain, account);
  return true;
}

export interface KeychainStatus {
  backend: string;
  enabled: boolean;
  answers: boolean;
  problem: string | null;
  /** Whether the slot's item is in the keychain; null when that could not be asked. */
  itemPresent: boolean | null;
}

/** Reads only the clear-text header: no passphrase needed. */
export async function keychainStatus(ctx: AppContext, keychain: Keychain): Promise<KeychainStatus> {
  const header = decodeFile(ctx.vault.read()).header;
  const slot = keychainSlotOf(header);
  const account = slot ? keychainAccount(header.vaultId, slot) : `probe.${hex(randomBytes(8))}`;
  const status: KeychainStatus = { backend: keychain.backend, enabled: Boolean(slot), answers: false, problem: null, itemPresent: null };
  try {
    const item = await keychain.read(account);
    status.answers = true;
    if (slot) status.itemPresent = item !== null;
    memzero(item);
  } catch (err) {
    if (!(err instanceof KeychainError)) throw err;
    status.problem = err instanceof KeychainUnavailable ? err.reason : err.message;
  }
  return status;
}
