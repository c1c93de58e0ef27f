import { Command } from 'commander';
import { disableKeychain, enableKeychain, keychainStatus } from '../../app/keychain';
import { GlobalOptions, makeContext } from '../context';
import { done, json, line } from '../render';

export function registerKeychain(program: Command): void {
  const group = program
    .command('keychain')
    .description('unlock the vault through the OS keychain instead of typing the passphrase')
    .addHelpText('after', `
Examples:
  vault keychain enable       asks for the passphrase once; later commands need none
  vault keychain status
  vault keychain disable      the passphrase is needed again

The keychain holds a random key that opens this vault on this machine only; the vault file
alone still needs the passphrase, so a copy elsewhere stays protected.`);

  group
    .command('enable')
    .description('store a key in the OS keychain that opens this vault (asks for the passphrase once)')
    .addHelpText('after', '\nExample:\n  vault keychain enable')
    .action(async (_opts, c: Command) => {
      const ctx = makeContext(c.optsWithGlobals<GlobalOptions>());
      const { replaced } = await enableKeychain(ctx, ctx.unlocker.keychain!);
      done(replaced ? 'keychain key replaced' : `keychain enabled (${ctx.unlocker.keychain!.backend}): this vault now opens without its passphrase on this machine`);
    });

  group
    .command('disable')
    .description("remove the vault's keychain slot and its keychain item")
    .addHelpText('after', '\nExample:\n  vault keychain disable')
    .action(async (_opts, c: Command) => {
      const ctx = makeContext(c.optsWithGlobals<GlobalOptions>());
      const was = await disableKeychain(ctx, ctx.unlocker.keychain!);
      done(was ? 'keychain disabled: the vault needs its passphrase again' : 'the keychain was not enabled for this vault');
    });

  group
    .command('status')
    .description('whether the keychain slot exists, whether the keychain answers, and which backend it is')
    .option('--json', 'print the status as JSON')
    .addHelpText('after', '\nExamples:\n  vault keychain status\n  vault keychain status --json')
    .action(async (opts, c: Command) => {
      const ctx = makeContext(c.optsWithGlobals<GlobalOptions>());
      const s = await keychainStatus(ctx, ctx.unlocker.keychain!);
      if (opts.json) return json(s);
      line(`backend   ${s.backend}`);
      line(`answers   ${s.answers ? 'yes' : `no: ${s.problem}`}`);
      line(`enabled   ${s.enabled ? 'yes' : 'no'}`);
      if (s.enabled) line(`item      ${s.itemPresent === null ? 'unknown' : s.itemPresent ? 'present' : 'missing (unlock with the passphrase, then: vault keychain enable)'}`);
    });
}
