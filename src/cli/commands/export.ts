import { Command, Option } from 'commander';
import { exportEntries } from '../../app/export';
import { UsageError } from '../../errors';
import { confirmOrYes } from '../prompt';
import { exportEnv, exportJson } from '../../domain/export-format';
import { GlobalOptions, makeContext } from '../context';
import { checkSecretTarget, writeSecretOutput } from '../output-file';
import { done } from '../render';

export function registerExport(program: Command): void {
  program
    .command('export [names...]')
    .description('write keys in clear text (JSON for vault import, or env lines); mode 0600; logged')
    .option('--all', 'every entry')
    .addOption(new Option('--format <format>', 'output format').choices(['json', 'env', 'docker']).default('json'))
    .option('-o, --out <file>', 'the file to write (mode 0600); default: standard output, never a terminal')
    .option('--force', 'replace an output file that is not mode 600')
    .option('--allow-shared-dir', 'write into a folder other users can write or own (they could swap the file)')
    .option('-y, --yes', 'do not ask for confirmation')
    .addHelpText('after', `
Examples:
  vault export --all -o keys.json --yes               to move to another machine (then: vault import json)
  vault export binance-main --format env -o bot.env    for: set -a; . ./bot.env   or dotenv
  vault export binance-main --format docker -o bot.env for: docker run --env-file bot.env

Prefer "vault backup": it copies the encrypted vault. An export is plain text.`)
    .action(async (names: string[], opts, c: Command) => {
      if (!opts.all && !names.length) throw new UsageError('name the entries to export, or --all');
      if (opts.all && names.length) throw new UsageError('give entry names or --all, not both');
      checkSecretTarget(opts.out, { force: Boolean(opts.force), allowSharedDir: Boolean(opts.allowSharedDir) });
      const ctx = makeContext(c.optsWithGlobals<GlobalOptions>());
      await confirmOrYes(ctx.unlocker.prompter, Boolean(opts.yes), `Write ${opts.all ? 'every key' : names.join(', ')} in clear text to ${opts.out ?? 'standard output'}?`, 'exporting writes keys in clear text and needs confirmation');
      const { entries, text } = await exportEntries(ctx, names, Boolean(opts.all), (b) => (opts.format === 'json' ? exportJson(b) : exportEnv(b, opts.format)));
      writeSecretOutput(opts.out, text);
      if (opts.out) done(`wrote ${entries.length} entr${entries.length === 1 ? 'y' : 'ies'} to ${opts.out} (mode 600)`);
    });
}
