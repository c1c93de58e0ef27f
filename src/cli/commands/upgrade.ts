import { Command } from 'commander';
import { upgradeVault } from '../../app/upgrade';
import { GlobalOptions, makeContext } from '../context';
import { done, info } from '../render';

export function registerUpgrade(program: Command): void {
  program
    .command('upgrade')
    .description('convert a format 1 vault to format 2 (keeps a verified copy of the old file as vault.exv.v1.bak)')
    .addHelpText('after', `
Examples:
  vault upgrade                                asks for the passphrase, converts, keeps vault.exv.v1.bak
  vault upgrade --passphrase-file ~/.config/exvault/passphrase`)
    .action(async (_opts, c: Command) => {
      const ctx = makeContext(c.optsWithGlobals<GlobalOptions>());
      const r = await upgradeVault(ctx);
      if (!r.upgraded) {
        done('the vault already is in format 2; nothing to do');
        return;
      }
      const kc = r.keychain === 'kept' ? '; keychain slot kept' : r.keychain === 'dropped' ? '; the keychain item no longer opened the vault, enable it again with: vault keychain enable' : '';
      done(`converted to format 2 (${r.entries} entr${r.entries === 1 ? 'y' : 'ies'}); the old file is kept as ${r.backup}${kc}`);
      // The copy opens with the passphrase of today for as long as it exists.
      info(`delete ${r.backup} once the converted vault works for you: it opens with this passphrase even after a passwd`);
    });
}
