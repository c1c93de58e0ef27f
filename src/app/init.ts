// vault init: a new vault with a random data key wrapped by the passphrase.
import { kdfReady } from '../crypto/kdf';
import { GENESIS_MAC } from '../domain/audit-chain';
import { emptyDoc, serializeDoc } from '../domain/document';
import { KdfParams, lanesOf } from '../format/limits';
import { newVault, sealFile } from '../format/seal';
import { UsageError } from '../errors';
import { writeGenesisHead } from './audit-writer';
import { newKeychainSlot } from './keychain';
import { newPassphrase } from './passphrase';
import { AppContext, Keychain, PassphraseSource } from './ports';

export async function initVault(ctx: AppContext, kdf: KdfParams, source: PassphraseSource | undefined, keychain?: Keychain, opts: { allowWeakPassphrase?: boolean } = {}): Promise<void> {
  if (ctx.vault.exists()) throw new UsageError(`a vault already exists at ${ctx.vaultPath}`, ['use --vault PATH for a second vault']);
  const pass = await newPassphrase(source, ctx.unlocker.prompter, ctx.notices, { allowWeak: Boolean(opts.allowWeakPassphrase) });
  // The WebAssembly fallback computes one lane: same memory and passes then, slower to unlock.
  if ((await kdfReady()) === 'wasm' && lanesOf(kdf) > 1) {
    ctx.notices.warn(`the native Argon2id did not load here (see: vault doctor): deriving with 1 lane instead of ${lanesOf(kdf)}, which makes each unlock slower`);
    kdf = { ...kdf, lanes: 1 };
  }
  const make = () => newVault(pass, kdf);
  const { header, dataKey } = ctx.unlocker.prompter ? await ctx.unlocker.prompter.busy('Deriving the key', make) : make();
  // With --keychain the key goes into the keychain first: if that fails, no vault is created.
  if (keychain) header.slots.push(await newKeychainSlot(keychain, header, dataKey));
  ctx.vault.ensureFolder();
  const lock = await ctx.vault.lock('write');
  try {
    // The empty chain's head, in the vault and beside it: from now on a missing head file
    // means deleted, not "not yet written". Written after the vault, never over another's.
    const doc = emptyDoc();
    doc.auditHead = { seq: 0, mac: GENESIS_MAC };
    for (const w of ctx.vault.create(sealFile(header, dataKey, serializeDoc(doc))).warnings) ctx.notices.warn(w);
    writeGenesisHead(ctx.vaultPath, dataKey.primary, ctx.host?.());
  } finally {
    lock.release();
  }
}
