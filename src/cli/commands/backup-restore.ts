import { Command } from 'commander';
import { backupVault, restoreVault } from '../../app/transfer';
import { confirmOrYes } from '../prompt';
import { GlobalOptions, makeContext } from '../context';
import { done } from '../render';

export function registerBackup(program: Command): void {
  program
    .command('backup <file>')
    .description('write a copy of the encrypted vault, checked to open')
    .option('--force', 'replace an existing file')
    .addHelpText('after', '\nExample:\n  vault backup /media/usb/vault-2026-11.exv')
    .action(async (file: string, opts, c: Command) => {
      await backupVault(makeContext(c.optsWithGlobals<GlobalOptions>()), file, Boolean(opts.force));
      done(`backup written to ${file} (encrypted; opens with the vault's passphrase)`);
    });

  program
    .command('restore <file>')
    .description('replace the vault with a backup, after checking that the backup opens')
    .option('-y, --yes', 'do not ask for confirmation')
    .addHelpText('after', '\nExample:\n  vault restore /media/usb/vault-2026-11.exv\n\nThe vault it replaces is kept as vault.exv.bak.')
    .action(async (file: string, opts, c: Command) => {
      const ctx = makeContext(c.optsWithGlobals<GlobalOptions>());
      await confirmOrYes(ctx.unlocker.prompter, Boolean(opts.yes), `Replace ${ctx.vaultPath} with ${file}?`, 'restoring replaces the vault and needs confirmation');
      const { entries: n, previous } = await restoreVault(ctx, file);
      done(`restored ${n} entr${n === 1 ? 'y' : 'ies'} from ${file}${previous ? `; the previous vault is ${ctx.vaultPath}.bak` : ` into ${ctx.vaultPath} (there was no vault before)`}`);
    });
}
