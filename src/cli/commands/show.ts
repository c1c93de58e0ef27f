import { Command } from 'commander';
import { entryWithPending } from '../../app/rotate';
import { pendingJson, pendingText } from '../overlap-view';
import { GlobalOptions, makeContext } from '../context';
import { json, line, paint } from '../render';
import { entryJson, entryLines } from '../entry-view';

export function registerShow(program: Command): void {
  program
    .command('show <name>')
    .description("show an entry's metadata, with secret values masked")
    .option('--json', 'print the entry as JSON (field names, never values)')
    .addHelpText('after', '\nExamples:\n  vault show binance-main\n  vault show binance-main --json')
    .action(async (name: string, opts, c: Command) => {
      const { entry: e, pending } = await entryWithPending(makeContext(c.optsWithGlobals<GlobalOptions>()), name);
      if (opts.json) return json({ ...entryJson(e), pendingRevokes: pending.map(pendingJson) });
      const rows = entryLines(e);
      for (const p of pending) rows.push(['pending revoke', pendingText(p)]);
      const w = Math.max(...rows.map(([k]) => k.length));
      for (const [k, v] of rows) line(`${paint('dim', k.padEnd(w))}  ${v}`);
    });
}
