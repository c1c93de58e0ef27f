import { Command } from 'commander';
import { listEntries } from '../../app/entries';
import { scopesOfEntry } from '../../domain/entry';
import { GlobalOptions, makeContext } from '../context';
import { json, line, table } from '../render';
import { entryJson, rotationJson } from '../entry-view';
import { dueInfo, dueText } from '../../domain/schedule';

export function registerList(program: Command): void {
  program
    .command('list')
    .alias('ls')
    .description('list entries (metadata only)')
    .option('--json', 'print a JSON array of entries')
    .addHelpText('after', '\nExamples:\n  vault list\n  vault list --json | jq -r \'.[].name\'')
    .action(async (opts, c: Command) => {
      const ctx = makeContext(c.optsWithGlobals<GlobalOptions>());
      const { entries, config } = await listEntries(ctx);
      const now = ctx.clock.now();
      if (opts.json) return json(entries.map((e) => ({ ...entryJson(e), rotation: rotationJson(dueInfo(e, config, now)) })));
      if (entries.length === 0) return line('no entries yet; add one with: vault add NAME --exchange EXCHANGE');
      table(
        ['NAME', 'EXCHANGE', 'SCOPES', 'IPS', 'ROTATION', 'LABEL'],
        entries.map((e) => [e.name, e.exchange, scopesOfEntry(e).join(',') || '-', e.ips.length ? String(e.ips.length) : 'none', dueText(dueInfo(e, config, now)), e.label ?? '']),
      );
    });
}
