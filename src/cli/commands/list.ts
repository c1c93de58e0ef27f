import { Command } from 'commander';
import { listEntries } from '../../app/entries';
import { scopesOfEntry } from '../../domain/entry';
import { GlobalOptions, makeContext } from '../context';
import { json, line, table } from '../render';
import { entryJson } from '../entry-view';

export function registerList(program: Command): void {
  program
    .command('list')
    .alias('ls')
    .description('list entries (metadata only)')
    .option('--json', 'print a JSON array of entries')
    .addHelpText('after', '\nExamples:\n  vault list\n  vault list --json | jq -r \'.[].name\'')
    .action(async (opts, c: Command) => {
      const entries = await listEntries(makeContext(c.optsWithGlobals<GlobalOptions>()));
      if (opts.json) return json(entries.map(entryJson));
      if (entries.length === 0) return line('no entries yet; add one with: vault add NAME --exchange EXCHANGE');
      table(
        ['NAME', 'EXCHANGE', 'SCOPES', 'IPS', 'EXPIRES', 'LABEL'],
        entries.map((e) => [e.name, e.exchange, scopesOfEntry(e).join(',') || '-', e.ips.length ? String(e.ips.length) : 'none', e.expires ?? '-', e.label ?? '']),
      );
    });
}
