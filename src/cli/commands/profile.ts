import { Command } from 'commander';
import { listProfiles, removeProfile, setProfile } from '../../app/profiles';
import { GlobalOptions, makeContext } from '../context';
import { done, json, line, table } from '../render';
import { collect, parseMaps } from '../option-helpers';
import { parseRestartCommand } from '../../domain/overlap';

export function registerProfile(program: Command): void {
  const group = program
    .command('profile')
    .description('named sets of entries and variable names for vault exec')
    .addHelpText('after', `
Examples:
  vault profile set grid binance-main okx-main --map OKX_KEY=okx-main.apiKey --pristine
  vault exec --profile grid -- python grid.py
  vault profile list`);

  group
    .command('set <name> [entries...]')
    .description('create or replace a profile')
    .option('--map <VAR=entry.field>', 'inject a field under this name (repeatable)', collect)
    .option('--file <VAR=entry.field>', 'hand a field over as a private file, VAR holding its path (repeatable)', collect)
    .option('--pristine', 'start the program from an empty environment')
    .option('--keep <VAR>', 'with --pristine, also keep this variable (repeatable)', collect)
    .option('--allow-withdraw', 'allow keys that can withdraw or transfer funds')
    .option('--restart <command>', "after a rotation of one of its entries, restart this bot: a command run without a shell (words, or a JSON array)")
    .addHelpText('after', '\nExample:\n  vault profile set grid binance-main --map BINANCE_KEY=binance-main.apiKey --pristine --keep PYTHONPATH')
    .action(async (name: string, entries: string[], opts, c: Command) => {
      const ctx = makeContext(c.optsWithGlobals<GlobalOptions>());
      await setProfile(ctx, { name, entries, map: parseMaps(opts.map ?? []), ...(opts.file && { files: parseMaps(opts.file, '--file') }), pristine: Boolean(opts.pristine), allowWithdraw: Boolean(opts.allowWithdraw), keep: opts.keep ?? [], ...(opts.restart && { restart: parseRestartCommand(opts.restart) }) });
      done(`profile ${name} saved`);
    });

  group
    .command('list')
    .description('list profiles')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample:\n  vault profile list --json')
    .action(async (opts, c: Command) => {
      const profiles = await listProfiles(makeContext(c.optsWithGlobals<GlobalOptions>()));
      if (opts.json) return json(profiles);
      if (!profiles.length) return line('no profiles yet; create one with: vault profile set NAME ENTRY...');
      table(
        ['NAME', 'ENTRIES', 'MAPPED', 'OPTIONS', 'KEPT'],
        profiles.map((p) => [p.name, p.entries.join(',') || '-', [...Object.keys(p.map), ...Object.keys(p.files ?? {}).map((v) => `${v}(file)`)].join(',') || '-', [p.pristine && 'pristine', p.allowWithdraw && 'allow-withdraw', p.restart && 'restart'].filter(Boolean).join(',') || '-', p.keep.join(',') || '-']),
      );
    });

  group
    .command('rm <name>')
    .description('delete a profile')
    .addHelpText('after', '\nExample:\n  vault profile rm grid')
    .action(async (name: string, _opts, c: Command) => {
      await removeProfile(makeContext(c.optsWithGlobals<GlobalOptions>()), name);
      done(`profile ${name} removed`);
    });
}
