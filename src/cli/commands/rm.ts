import { Command } from 'commander';
import { getEntry, removeEntry } from '../../app/entries';
import { CancelledError, NeedTerminalError } from '../../errors';
import { GlobalOptions, makeContext } from '../context';
import { done } from '../render';

export function registerRm(program: Command): void {
  program
    .command('rm <name>')
    .alias('remove')
    .description('delete an entry (the previous vault stays in the backup file until the next change)')
    .option('-y, --yes', 'do not ask for confirmation')
    .addHelpText('after', '\nExamples:\n  vault rm old-bybit\n  vault rm old-bybit --yes')
    .action(async (name: string, opts, c: Command) => {
      const ctx = makeContext(c.optsWithGlobals<GlobalOptions>());
      if (!opts.yes) {
        const prompter = ctx.unlocker.prompter;
        if (!prompter) throw new NeedTerminalError(`deleting ${name} needs confirmation`, ['add --yes to delete without asking']);
        await getEntry(ctx, name);
        if (!(await prompter.confirm(`Delete ${name}? Its keys will be gone from the vault.`))) throw new CancelledError();
      }
      await removeEntry(ctx, name);
      done(`removed ${name}`);
    });
}
