import { Command } from 'commander';
import { addScopeToVault, listScopes, setEntryScope } from '../../app/scopes';
import { GlobalOptions, makeContext } from '../context';
import { done, json, line, warn } from '../render';

export function registerScope(program: Command): void {
  const scope = program
    .command('scope')
    .description('groups of entries sealed under their own key (a key slot can be granted some of them)')
    .addHelpText('after', `
Examples:
  vault scope add bots
  vault add binance-grid --exchange binance --scope bots < key.json
  vault scope set okx-main bots
  vault scope list --json`);
  scope
    .command('add <name>')
    .description('add a scope; every slot that opened all scopes is given it too')
    .addHelpText('after', '\nExamples:\n  vault scope add bots')
    .action(async (name: string, _opts, c: Command) => {
      const r = await addScopeToVault(makeContext(c.optsWithGlobals<GlobalOptions>()), name);
      if (r.missed.length) warn(`the ${r.missed.join(', ')} slot could not be given the new scope (its key was not at hand); it opens the other scopes as before`);
      done(`added scope ${name}`);
    });
  scope
    .command('list')
    .description('list the scopes and how many entries each holds')
    .option('--json', 'print a JSON array')
    .addHelpText('after', '\nExamples:\n  vault scope list\n  vault scope list --json')
    .action(async (opts, c: Command) => {
      const scopes = await listScopes(makeContext(c.optsWithGlobals<GlobalOptions>()));
      if (opts.json) return json(scopes);
      for (const s of scopes) line(`${s.name}\t${s.entries === null ? 'not open' : `${s.entries} entr${s.entries === 1 ? 'y' : 'ies'}`}`);
    });
  scope
    .command('set <entry> <scope>')
    .description("move an entry to a scope (its record is sealed again under that scope's key)")
    .addHelpText('after', '\nExamples:\n  vault scope set okx-main bots\n  vault scope set okx-main default')
    .action(async (entry: string, name: string, _opts, c: Command) => {
      await setEntryScope(makeContext(c.optsWithGlobals<GlobalOptions>()), entry, name);
      done(`${entry} is now in scope ${name}`);
    });
}
