import { Command } from 'commander';
import { getEntry, removeEntry } from '../../app/entries';
import { confirmOrYes } from '../prompt';
import { GlobalOptions, makeContext } from '../context';
import { done } from '../render';

export function registerRm(program: Command): void {
  program
    .command('rm <name>')
    .alias('remove')
    .description('delete an entry (the vault file is rewritten without it; the previous vault stays in the backup file until the next whole rewrite)')
    .option('-y, --yes', 'do not ask for confirmation')
    .addHelpText('after', '\nExamples:\n  vault rm old-bybit\n  vault rm old-bybit --yes')
    .action(async (name: string, opts, c: Command) => {
      const ctx = makeContext(c.optsWithGlobals<GlobalOptions>());
      // Check the entry exists before asking about it.
      if (!opts.yes && ctx.unlocker.prompter) await getEntry(ctx, name);
      await confirmOrYes(ctx.unlocker.prompter, Boolean(opts.yes), `Delete ${name}? Its keys will be gone from the vault.`, `deleting ${name} needs confirmation`);
      await removeEntry(ctx, name);
      done(`removed ${name}`);
    });
}
