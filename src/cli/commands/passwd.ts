import { Command } from 'commander';
import { changePassphrase } from '../../app/passwd';
import { describeKdf } from '../../format/limits';
import { GlobalOptions, makeContext, passphraseSource } from '../context';
import { addKdfOptions, kdfFromOptions } from '../kdf-options';
import { done } from '../render';

export function registerPasswd(program: Command): void {
  const cmd = program
    .command('passwd')
    .description('change the passphrase and/or the key derivation cost (the data key stays)')
    .option('--allow-weak-passphrase', 'accept a new passphrase that is easy to guess (a copy of the vault can then be cracked offline)')
    .option('--keep-passphrase', 'only change the key derivation cost')
    .option('--new-passphrase-file <path>', 'read the new passphrase from a file')
    .option('--new-passphrase-fd <n>', 'read the new passphrase from a file descriptor')
    .addHelpText('after', `
Examples:
  vault passwd                                 asks for the current and the new passphrase
  vault passwd --keep-passphrase --kdf sensitive`);
  addKdfOptions(cmd, 'default: keep the current').action(async (opts, c: Command) => {
    const ctx = makeContext(c.optsWithGlobals<GlobalOptions>());
    const newSource = passphraseSource(opts.newPassphraseFile, opts.newPassphraseFd, ['--new-passphrase-file', '--new-passphrase-fd']);
    const kdf = await changePassphrase(ctx, { kdf: kdfFromOptions(opts), keepPassphrase: Boolean(opts.keepPassphrase), allowWeakPassphrase: Boolean(opts.allowWeakPassphrase), ...(newSource && { newSource }) });
    done(`passphrase slot rewrapped (${describeKdf(kdf)})`);
  });
}
