// `vault unlock --for` and `vault lock`: the unlocked key kept in the Linux kernel keyring for
// a while, so later commands of the same user need no passphrase (headless machines without a
// desktop keychain). The item is bound to its vault: its bytes carry an HMAC of the vault id
// under the key itself, so an item copied from another vault, or any bytes planted under this
// vault's name, are ignored (a wrong item is never tried on the body).
import { KeychainError, UsageError } from '../errors';
import { hmac, macEquals } from '../crypto/mac';
import { memzero } from '../crypto/memzero';
import { decodeHead, HEAD_BYTES } from '../format/header';
import { AppContext, UnlockCache } from './ports';
import { openSession } from './session';

const BIND_LABEL = 'exvault unlock cache v1\0';
const TAG_BYTES = 32;
/** Longest unlock: a week bounds how long a forgotten `unlock --for` leaves the vault open. */
export const MAX_UNLOCK_SECONDS = 7 * 24 * 3600;

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** "90s", "30m", "8h", "2d" -> seconds (1 s to 7 days). */
export function parseDuration(text: string): number {
  const m = /^(\d{1,7})([smhd])$/.exec(text.trim());
  const seconds = m ? Number(m[1]) * UNITS[m[2]!]! : NaN;
  if (!(seconds >= 1 && seconds <= MAX_UNLOCK_SECONDS)) throw new UsageError(`--for takes a duration from 1s to 7d, like 30m, 8h or 2d (got "${text}")`);
  return seconds;
}

function tag(key: Uint8Array, vaultIdHex: string): Uint8Array {
  return hmac(key, BIND_LABEL, Buffer.from(vaultIdHex, 'hex'));
}

type KernelKeyring = typeof import('../platform/kernel-keyring');
let kernel: KernelKeyring | undefined;
function keyring(): KernelKeyring {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (kernel ??= require('../platform/kernel-keyring') as KernelKeyring);
}

/** The kernel keyring (Linux; elsewhere every read is null and storing fails clearly). */
export const kernelUnlockCache: UnlockCache = {
  where: 'the kernel keyring (user keyring @u)',
  read(vaultIdHex) {
    let item: Uint8Array | null;
    try {
      item = keyring().readKey(vaultIdHex);
    } catch (err) {
      // No kernel keyring here (another OS, a seccomp filter): nothing was cached, then.
      if (err instanceof KeychainError) return null;
      throw err;
    }
    if (!item) return null;
    const key = item.slice(0, item.length - TAG_BYTES);
    const ok = item.length > TAG_BYTES && macEquals(tag(key, vaultIdHex), item.subarray(item.length - TAG_BYTES));
    memzero(item);
    if (ok) return key;
    memzero(key);
    return null;
  },
  store(vaultIdHex, key, seconds) {
    const item = new Uint8Array(key.length + TAG_BYTES);
    item.set(key, 0);
    item.set(tag(key, vaultIdHex), key.length);
    try {
      keyring().storeKey(vaultIdHex, item, seconds);
    } finally {
      memzero(item);
    }
  },
  drop(vaultIdHex) {
    return keyring().dropKey(vaultIdHex);
  },
};

export interface UnlockedFor {
  seconds: number;
  until: Date;
  where: string;
}

/** `vault unlock --for`: unlocks with the passphrase or the keychain (never with an earlier
 *  cached unlock, which would let anything that can read it extend itself for ever), checks
 *  the key opens the body, and caches it. */
export async function unlockFor(ctx: AppContext, cache: UnlockCache, seconds: number): Promise<UnlockedFor> {
  const fresh = { ...ctx, unlocker: ctx.unlocker.withoutCache() };
  const s = await openSession(fresh);
  const keys = s.keys.toBytes();
  try {
    cache.store(Buffer.from(s.header.vaultId).toString('hex'), keys, seconds);
  } finally {
    memzero(keys);
  }
  return { seconds, until: new Date(ctx.clock.now().getTime() + seconds * 1000), where: cache.where };
}

/** `vault lock`: drops the vault's cached unlock; needs no passphrase (the header's id only). */
export function lockVault(ctx: AppContext, cache: UnlockCache): boolean {
  const head = decodeHead(ctx.vault.readStart(HEAD_BYTES));
  return cache.drop(Buffer.from(head.header.vaultId).toString('hex'));
}
