import { Command } from 'commander';
import { addRecipient, listRecipients } from '../../app/recipients';
import { GlobalOptions, makeContext } from '../context';
import { done, json, line } from '../render';

export function registerRecipient(program: Command): void {
  const recipient = program
    .command('recipient')
    .description('hosts and people (age X25519 recipients) granted some scopes of the vault')
    .addHelpText('after', `
Examples:
  vault recipient add vps-grid age1... --scope grid
  vault recipient list --json`);
  recipient
    .command('add <name> <recipient>')
    .description('grant an age recipient (from `vault identity show` on its host) the given scopes; needs the passphrase')
    .requiredOption('--scope <scope>', 'a scope it may open (repeat for more; default is the default scope)', (v: string, prev: string[] = []) => [...prev, v])
    .addHelpText('after', '\nExamples:\n  vault recipient add vps-grid age1... --scope grid\n  vault recipient add laptop age1... --scope default --scope grid')
    .action(async (name: string, rcpt: string, opts: { scope: string[] }, c: Command) => {
      const r = await addRecipient(makeContext(c.optsWithGlobals<GlobalOptions>()), name, rcpt, opts.scope);
      done(`added recipient ${r.name} (scopes: ${r.scopes.join(', ')})`);
    });
  recipient
    .command('list')
    .description('list the recipients: name, recipient and the scopes it opens')
    .option('--json', 'print a JSON array')
    .addHelpText('after', '\nExamples:\n  vault recipient list\n  vault recipient list --json')
    .action(async (opts: { json?: boolean }, c: Command) => {
      const rows = await listRecipients(makeContext(c.optsWithGlobals<GlobalOptions>()));
      if (opts.json) return json(rows);
      for (const r of rows) line(`${r.name}\t${r.recipient}\t${r.scopes.join(',') || '(no slot)'}`);
    });
}
