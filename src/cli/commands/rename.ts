import { Command } from 'commander';
import { renameEntry } from '../../app/entries';
import { GlobalOptions, makeContext } from '../context';
import { done } from '../render';

export function registerRename(program: Command): void {
  program
    .command('rename <old> <new>')
    .description('rename an entry (its default variable names change with it)')
    .addHelpText('after', '\nExample:\n  vault rename binance binance-main')
    .action(async (from: string, to: string, _opts, c: Command) => {
      await renameEntry(makeContext(c.optsWithGlobals<GlobalOptions>()), from, to);
      done(`renamed ${from} to ${to}`);
    });
}
