import { Command } from 'commander';
import { addRecipient, listRecipients } from '../../app/recipients';
import { revokeRecipient } from '../../app/revoke';
import { GlobalOptions, makeContext } from '../context';
import { confirmOrYes } from '../prompt';
import { done, info, json, line, warn } from '../render';

export function registerRecipient(program: Command): void {
  const recipient = program
    .command('recipient')
    .description('hosts and people (age X25519 recipients) granted some scopes of the vault')
    .addHelpText('after', `
Examples:
  vault recipient add vps-grid age1... --scope grid
  vault recipient list --json
  vault recipient rm vps-grid --yes`);
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
  recipient
    .command('rm <name>')
    .alias('remove')
    .description('revoke a recipient: its scopes get new keys, their exchange keys are marked exposed; needs the passphrase')
    .option('-y, --yes', 'do not ask for confirmation (for scripts; the warning is still printed)')
    .addHelpText('after', `
Every scope the recipient's slot held gets a new random key: its records are sealed again
under it, and every other slot that held the scope is wrapped again (the passphrase slot with
the passphrase, the keychain slot through its item, other recipients to their public key).
Nothing written afterwards opens with the removed identity. What its host already pulled
stays readable to it: every exchange key in those scopes is marked exposed ("vault check"
exits 11 naming it, "vault rotate --due" rotates it) until it is rotated.

Examples:
  vault recipient rm vps-grid
  vault recipient rm vps-grid --yes --passphrase-file ~/.config/exvault/pass`)
    .action(async (name: string, opts: { yes?: boolean }, c: Command) => {
      const ctx = makeContext(c.optsWithGlobals<GlobalOptions>());
      const r = await revokeRecipient(ctx, name, async (plan) => {
        await confirmOrYes(ctx.unlocker.prompter, Boolean(opts.yes), `Remove ${plan.name} and re-key ${plan.scopes.join(', ') || 'no scope'}?`, `removing ${plan.name} needs confirmation`);
        return true;
      });
      if (!r) return;
      for (const d of r.dropped) warn(`dropped the ${d}: enable it again with: vault keychain enable`);
      if (r.chainsToRestart.length) info(`the audit chains of ${r.chainsToRestart.join(', ')} were keyed from a re-keyed scope: once they have the new vault, run there: vault audit new-chain`);
      const files = r.oldCopies.filter((x) => !x.path.endsWith('.git'));
      if (files.length) {
        warn(`${files.map((x) => `${x.path} (${x.what})`).join(' and ')} still open${files.length === 1 ? 's' : ''} with ${r.name}'s identity; once the vault opens as it should (vault list), remove ${files.length === 1 ? 'it' : 'them'}: rm -- ${files.map((x) => `'${x.path.replace(/'/g, "'\\''")}'`).join(' ')}`);
      }
      for (const x of r.oldCopies.filter((y) => y.path.endsWith('.git'))) warn(`${x.path} (${x.what}) keeps opening with ${r.name}'s identity: only rotating the exposed keys on the exchange protects them`);
      info('vault sync ships only the vault file (never vault.exv.bak); backups made with vault backup and copies on other machines keep opening with the removed identity');
      if (r.newChain) info(`the audit chain's key changed with the default scope's: a new chain was started${r.newChain.keptAs ? `; the old log is kept as ${r.newChain.keptAs}` : ''}`);
      done(`removed recipient ${r.name}; re-keyed ${r.scopes.join(', ') || 'no scope'}${r.exposed.length ? `; exposed until rotated: ${r.exposed.join(', ')}` : ''}`);
    });
}
