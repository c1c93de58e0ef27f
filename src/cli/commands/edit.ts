import { Command } from 'commander';
import { editEntry } from '../../app/entries';
import { GlobalOptions, makeContext } from '../context';
import { addMetaOptions, metaFromOptions } from '../entry-options';
import { done, json } from '../render';
import { entryJson } from '../entry-view';

export function registerEdit(program: Command): void {
  const cmd = program.command('edit <name>').description("change an entry's metadata (not its secret values)").option('--json', 'print the entry as JSON');
  addMetaOptions(cmd).addHelpText('after', `
Examples:
  vault edit binance-main --ip 203.0.113.7,203.0.113.8
  vault edit binance-main --permissions reading,spot --expires 2027-06-30
  vault edit kucoin-1 --env apiKey=KUCOIN_KEY --env apiSecret=KUCOIN_SECRET`);
  cmd.action(async (name: string, opts, c: Command) => {
    const ctx = makeContext(c.optsWithGlobals<GlobalOptions>());
    const entry = await editEntry(ctx, name, metaFromOptions(opts));
    if (opts.json) json(entryJson(entry));
    else done(`updated ${entry.name}`);
  });
}
