import { Command } from 'commander';
import { lockVault, parseDuration, unlockFor } from '../../app/unlock-cache';
import { GlobalOptions, makeContext } from '../context';
import { done } from '../render';

export function registerUnlock(program: Command): void {
  program
    .command('unlock')
    .description('unlock the vault for a while: later commands of this user need no passphrase (Linux kernel keyring)')
    .requiredOption('--for <duration>', 'how long: 30m, 8h, 2d (at most 7d); the kernel drops the key then')
    .addHelpText('after', `
Examples:
  vault unlock --for 8h                         asks for the passphrase (or uses the keychain)
  vault unlock --for 8h --passphrase-file PATH  on a headless machine, once per boot
  vault lock                                    ends it early

The unlocked key is kept in kernel memory (the user keyring), never on disk, until the time
is up, "vault lock", or a reboot. Any process of the same OS user can use it meanwhile: a bot
launched by "vault exec" included. Other users cannot.`)
    .action(async (opts: { for: string }, c: Command) => {
      const seconds = parseDuration(opts.for);
      const ctx = makeContext(c.optsWithGlobals<GlobalOptions>());
      const r = await unlockFor(ctx, ctx.unlocker.cache!, seconds);
      done(`unlocked until ${r.until.toISOString().replace(/\.\d+Z$/, 'Z')} (${opts.for}) in ${r.where}: end it early with: vault lock`);
    });

  program
    .command('lock')
    .description('drop the unlock kept by "vault unlock --for" (no passphrase needed)')
    .addHelpText('after', '\nExample:\n  vault lock')
    .action((_opts, c: Command) => {
      const ctx = makeContext(c.optsWithGlobals<GlobalOptions>());
      done(lockVault(ctx, ctx.unlocker.cache!) ? 'locked: the next command needs the passphrase or the keychain again' : 'the vault was not unlocked for a while (nothing to drop)');
    });
}
