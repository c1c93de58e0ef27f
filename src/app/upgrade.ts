// vault upgrade: converts a format 1 vault to format 2 under the writer lock. The vault id and
// the data key stay (the data key becomes the default scope's key, so the audit chain goes on
// and a keychain item keeps its account); the passphrase slot is made anew (new salt, same
// KDF settings); a keychain slot is carried over when its item still opens the vault. A copy of
// the old file is kept as vault.exv.v1.bak, read back and compared byte for byte, and the new
// file must open to the same document before it replaces the vault.
import { CorruptError, UsageError } from '../errors';
import { memzero } from '../crypto/memzero';
import { randomBytes } from '../crypto/random';
import { ready } from '../crypto/sodium';
import { decodeFile, decodeHead, HEAD_BYTES, KeychainSlot } from '../format/header';
import { FORMAT_V1, FORMAT_VERSION } from '../format/limits';
import { emptyHeader, keychainSlotOf, makePassphraseSlot, openBody, passphraseSlotOf, sealFile, unwrapSlot, unwrapWithPassphrase, VaultKeys, wrapSlot } from '../format/seal';
import { NONCE_BYTES } from '../crypto/aead';
import { parseDoc, serializeDoc } from '../domain/document';
import { auditHead } from './audit-writer';
import type { AppContext } from './ports';
import { keychainAccount } from './keychain-item';

export const v1BackupPath = (vault: string) => `${vault}.v1.bak`;

export interface UpgradeResult {
  /** False when the vault already was in the current format (nothing done). */
  upgraded: boolean;
  entries: number;
  backup: string;
  /** The keychain slot: carried over, dropped (its item no longer opens the vault), or none. */
  keychain: 'kept' | 'dropped' | 'none';
}

/** The v1 keychain slot as a v2 one with the same item (and so the same keychain account). */
async function carryKeychain(ctx: AppContext, header: { version: number; vaultId: Uint8Array }, old: KeychainSlot, keys: VaultKeys): Promise<KeychainSlot | null> {
  const keychain = ctx.unlocker.keychain;
  if (!keychain) return null;
  let kek: Uint8Array | null;
  try {
    kek = await keychain.read(keychainAccount(header.vaultId, old));
  } catch {
    return null;
  }
  if (!kek) return null;
  try {
    if (!unwrapSlot({ version: FORMAT_V1, vaultId: header.vaultId }, old, kek)) return null;
    return wrapSlot<KeychainSlot>(header, { type: 'keychain' as const, itemId: old.itemId, scopes: [0], nonce: randomBytes(NONCE_BYTES), wrapped: new Uint8Array() }, kek, keys);
  } finally {
    memzero(kek);
  }
}

export async function upgradeVault(ctx: AppContext): Promise<UpgradeResult> {
  const backup = v1BackupPath(ctx.vaultPath);
  const head = decodeHead(ctx.vault.readStart(HEAD_BYTES));
  if (head.header.version !== FORMAT_V1) return { upgraded: false, entries: 0, backup, keychain: 'none' };
  // The passphrase makes the new passphrase slot: asked (and checked) before the lock.
  const pass = await ctx.unlocker.passphrase();
  await ready();
  const keys = unwrapWithPassphrase(head, pass);
  const lock = await ctx.vault.lock('write');
  try {
    const old = ctx.vault.read();
    const parsed = decodeFile(old);
    if (parsed.header.version !== FORMAT_V1) return { upgraded: false, entries: 0, backup, keychain: 'none' };
    const doc = parseDoc(openBody(parsed, keys));
    const audit = auditHead(ctx);
    if (audit) doc.auditHead = audit;
    const body = serializeDoc(doc);

    const header = emptyHeader(FORMAT_VERSION, parsed.header.vaultId);
    header.slots.push(makePassphraseSlot(header, keys, pass, passphraseSlotOf(parsed.header).kdf));
    const oldKc = keychainSlotOf(parsed.header);
    const kc = oldKc ? await carryKeychain(ctx, header, oldKc, keys) : null;
    if (kc) header.slots.push(kc);
    const next = sealFile(header, keys, body);

    // The new file must open, through its passphrase slot, to the very same document.
    const check = decodeFile(next);
    const again = serializeDoc(parseDoc(openBody(check, unwrapWithPassphrase(check, pass))));
    if (!Buffer.from(again).equals(Buffer.from(body))) throw new CorruptError('the converted vault did not read back the same; nothing was changed');

    // The old file, kept and verified before anything replaces it.
    const had = ctx.vault.readCopy(backup);
    if (had) {
      if (!Buffer.from(had).equals(Buffer.from(old))) throw new UsageError(`${backup} exists and holds another file`, ['move it away, then run vault upgrade again; nothing was changed']);
    } else {
      for (const w of ctx.vault.writeCopy(backup, old, `the copy ${backup}`).warnings) ctx.notices.warn(w);
    }
    if (!Buffer.from(ctx.vault.readCopy(backup) ?? []).equals(Buffer.from(old))) throw new CorruptError(`the copy ${backup} did not read back the same; nothing was changed`);

    for (const w of ctx.vault.write(next).warnings) ctx.notices.warn(w);
    return { upgraded: true, entries: doc.entries.size, backup, keychain: oldKc ? (kc ? 'kept' : 'dropped') : 'none' };
  } finally {
    lock.release();
  }
}
