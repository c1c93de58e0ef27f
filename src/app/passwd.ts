// vault passwd: a new passphrase and/or stronger KDF. Only the passphrase slot is rewrapped;
// the data key, and so the body and any keychain slot, stay as they are.
import { kdfReady } from '../crypto/kdf';
import { KdfParams } from '../format/limits';
import { randomBytes } from '../crypto/random';
import { makePassphraseSlot, passphraseSlotOf } from '../format/seal';
import { newPassphrase } from './passphrase';
import { AppContext, PassphraseSource } from './ports';
import { mutate, openSession } from './session';

export interface PasswdInput {
  /** New KDF parameters; the current ones when absent. */
  kdf?: KdfParams;
  /** Keep the current passphrase (only the KDF changes). */
  keepPassphrase: boolean;
  newSource?: PassphraseSource;
  allowWeakPassphrase?: boolean;
}

export async function changePassphrase(ctx: AppContext, input: PasswdInput): Promise<KdfParams> {
  // The current passphrase is read once: it unlocks, and is reused when only the KDF changes.
  const current = await ctx.unlocker.passphrase();
  const pinned = { ...ctx, unlocker: ctx.unlocker.withPassphrase(current) };
  // Check the current passphrase before asking for a new one.
  const { keys } = await openSession(pinned);
  await kdfReady();
  const next = input.keepPassphrase ? current : await newPassphrase(input.newSource, ctx.unlocker.prompter, ctx.notices, { allowWeak: Boolean(input.allowWeakPassphrase), flags: ['--new-passphrase-file', '--new-passphrase-fd'] });
  return mutate(pinned, (s) => {
    const old = passphraseSlotOf(s.header);
    const kdf = input.kdf ?? old.kdf;
    const slot = makePassphraseSlot(s.header, s.keys, next, kdf, randomBytes, old.scopes);
    s.header.slots = s.header.slots.map((x) => (x === old ? slot : x));
    return kdf;
  }, keys);
}
