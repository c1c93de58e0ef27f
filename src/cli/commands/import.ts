import { Command, Option } from 'commander';
import { destroyFile, planDotenvImport, rewriteWithRefs } from '../../app/import-dotenv';
import { importEntries, importWhole } from '../../app/import';
import { UsageError } from '../../errors';
import { confirmOrYes } from '../prompt';
import { EXCHANGE_IDS, ExchangeId } from '../../domain/exchanges';
import { ImportedEntry, parseExportJson } from '../../domain/export-format';
import { Prompter } from '../../app/ports';
import { readCapped } from '../../platform/secret-input';
import { GlobalOptions, makeContext } from '../context';
import { done, line, table, warn } from '../render';

async function confirmPlan(items: ImportedEntry[], yes: boolean, prompter: Prompter | undefined): Promise<void> {
  table(['ENTRY', 'EXCHANGE', 'FIELDS'], items.map((i) => [i.name, i.exchange, Object.keys(i.secrets).sort().join(', ')]));
  await confirmOrYes(prompter, yes, `Create ${items.length} entr${items.length === 1 ? 'y' : 'ies'}?`, 'importing needs confirmation', true);
}

export function registerImport(program: Command): void {
  const group = program.command('import').description('bring keys in from a .env file or a vault export').addHelpText('after', `
Examples:
  vault import dotenv .env                     BINANCE_API_KEY=..., OKX_PASSPHRASE=..., apiKey/secret/password
  vault import dotenv bot/.env --entry grid --exchange okx --rewrite-refs
  vault import json keys.json --yes
  ssh old-host vault export --all --yes | vault import json - --yes     - is standard input`);

  group
    .command('dotenv <file>')
    .description("read a bot's .env, show what it will create, then offer to rewrite or delete the plain-text file")
    .option('--entry <name>', 'entry name (when the file holds one set of keys)')
    .addOption(new Option('--exchange <id>', 'the exchange (when the names do not say)').choices(EXCHANGE_IDS))
    .option('--rewrite-refs', 'afterwards, rewrite the file with vault:// references (for vault exec --env-from)')
    .option('--remove-plaintext', 'afterwards, overwrite the file with zeros and delete it')
    .option('-y, --yes', 'do not ask for confirmation')
    .addHelpText('after', '\nExample:\n  vault import dotenv .env --rewrite-refs --yes')
    .action(async (file: string, opts, c: Command) => {
      if (opts.rewriteRefs && opts.removePlaintext) throw new UsageError('choose --rewrite-refs or --remove-plaintext');
      if (file === '-' && (opts.rewriteRefs || opts.removePlaintext)) throw new UsageError('standard input (-) cannot be rewritten or deleted', ['give the file by its name']);
      const ctx = makeContext(c.optsWithGlobals<GlobalOptions>());
      const plan = planDotenvImport(file, opts.entry, opts.exchange as ExchangeId | undefined);
      await confirmPlan(plan.items, Boolean(opts.yes), ctx.unlocker.prompter);
      const names = await importEntries(ctx, plan.items);
      done(`imported ${names.join(', ')}`);
      if (plan.ignored.length) line(`left in ${file === '-' ? 'standard input' : file}: ${plan.ignored.join(', ')}`);
      // Standard input is gone once read: nothing to rewrite, delete or warn about.
      if (file === '-') return;
      let rewrite = Boolean(opts.rewriteRefs);
      let remove = Boolean(opts.removePlaintext);
      const prompter = ctx.unlocker.prompter;
      if (!rewrite && !remove && !opts.yes && prompter) {
        rewrite = await prompter.confirm(`Rewrite ${file} with vault:// references (run the bot with vault exec --env-from)?`, true);
        if (!rewrite) remove = await prompter.confirm(`Delete ${file} (overwritten with zeros first)?`, false);
      }
      if (rewrite) {
        for (const w of rewriteWithRefs(file, plan)) warn(w);
        done(`${file} now holds vault:// references instead of keys`);
      } else if (remove) {
        for (const w of destroyFile(file)) warn(w);
        done(`${file} overwritten and deleted`);
      } else {
        line(`${file} still holds the keys in plain text: delete it, or rerun with --rewrite-refs`);
      }
    });

  group
    .command('json <file>')
    .description('import the JSON that vault export writes')
    .option('-y, --yes', 'do not ask for confirmation')
    .addHelpText('after', '\nExample:\n  vault import json keys.json --yes')
    .action(async (file: string, opts, c: Command) => {
      const ctx = makeContext(c.optsWithGlobals<GlobalOptions>());
      const parsed = parseExportJson(readCapped(file, 64 * 1024 * 1024, 'export file').toString('utf8'));
      if (parsed.version === 1) {
        await confirmPlan(parsed.items, Boolean(opts.yes), ctx.unlocker.prompter);
        return done(`imported ${(await importEntries(ctx, parsed.items)).join(', ')}`);
      }
      const { entries, profiles, config, scopes } = parsed;
      if (profiles.length) line(`and the profiles ${profiles.map((p) => p.name).join(', ')}`);
      if (config) line(`and the settings ${Object.keys(config).join(', ')}`);
      await confirmPlan(entries.map((e) => ({ name: e.name, exchange: e.exchange, meta: {}, secrets: e.secrets })), Boolean(opts.yes), ctx.unlocker.prompter);
      if (scopes.size) line(`into the scopes ${[...new Set(scopes.values())].sort().join(', ')} (made when this vault lacks them)`);
      done(`imported ${(await importWhole(ctx, entries, profiles, config, scopes)).join(', ')}`);
    });
}
