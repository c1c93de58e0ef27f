import { Command } from 'commander';
import { initVault } from '../../app/init';
import { DEFAULT_KDF, describeKdf, KDF_PRESETS } from '../../format/limits';
import { GlobalOptions, makeContext } from '../context';
import { addKdfOptions, kdfFromOptions } from '../kdf-options';
import { done } from '../render';

export function registerInit(program: Command): void {
  const cmd = program
    .command('init')
    .description('create a new, empty vault protected by a passphrase')
    .option('--allow-weak-passphrase', 'accept a passphrase that is easy to guess (a copy of the vault can then be cracked offline)')
    .option('--keychain', 'also store a key in the OS keychain, so this machine opens the vault without the passphrase')
    .addHelpText('after', `
Examples:
  vault init                                   asks for a passphrase twice
  vault init --keychain                        unlock through the OS keychain from now on
  vault init --kdf sensitive                   1 GiB Argon2id: slower to unlock, harder to crack
  vault init --passphrase-file ~/.vault-pass   for a headless machine`);
  addKdfOptions(cmd, `default ${DEFAULT_KDF}`).action(async (opts, c: Command) => {
    const ctx = makeContext(c.optsWithGlobals<GlobalOptions>());
    const kdf = kdfFromOptions(opts) ?? { ...KDF_PRESETS[DEFAULT_KDF] };
    await initVault(ctx, kdf, ctx.unlocker.explicitSource, opts.keychain ? ctx.unlocker.keychain : undefined, { allowWeakPassphrase: Boolean(opts.allowWeakPassphrase) });
    done(`created ${ctx.vaultPath} (${describeKdf(kdf)}${opts.keychain ? ', keychain enabled' : ''})`);
  });
}
