import { Command, Option } from 'commander';
import { addEntry } from '../../app/entries';
import { unlockForWrite } from '../../app/session';
import { EXCHANGE_IDS, EXCHANGES, ExchangeId } from '../../domain/exchanges';
import { generateSecret } from '../../app/generate';
import { Secret } from '../../domain/secret';
import { NeedTerminalError, UsageError } from '../../errors';
import { GlobalOptions, makeContext } from '../context';
import { addMetaOptions, metaFromOptions } from '../entry-options';
import { done, json } from '../render';
import { entryJson } from '../entry-view';
import { readSecretFields } from '../secret-fields';

export function registerAdd(program: Command): void {
  const cmd = program
    .command('add <name>')
    .description('store a new exchange key; secret fields are asked for with echo off, or read as JSON')
    .addOption(new Option('--exchange <id>', 'the exchange (asked for on a terminal when missing)').choices(EXCHANGE_IDS))
    .option('--from-file <path>', 'read the secret fields as JSON from a file ("-" for standard input)')
    .option('--private-key-file <path>', 'read a PEM private key (Ed25519, RSA, EC) from a file, byte for byte')
    .option('--generate-passphrase', 'generate the API passphrase (OKX, KuCoin, Bitget, Coinbase Exchange) and show it once')
    .option('--scope <name>', 'put the entry in this scope (see: vault scope)')
    .option('--json', 'print the new entry as JSON');
  addMetaOptions(cmd).addHelpText('after', `
Examples:
  vault add binance-main --exchange binance --permissions reading,spot --ip 203.0.113.7
  vault add okx-grid --exchange okx --from-file okx.json --expires 90d
  vault add bybit-1 --exchange bybit < bybit.json      JSON on standard input
  vault add cb --exchange coinbase --private-key-file cdp_key.pem < key-name.json

Secret values are never taken from the command line: it is visible to other users in ps.`);
  cmd.action(async (name: string, opts, c: Command) => {
    const ctx = makeContext(c.optsWithGlobals<GlobalOptions>());
    const prompter = ctx.unlocker.prompter;
    let exchange = opts.exchange as ExchangeId | undefined;
    if (!exchange) {
      if (!prompter) throw new NeedTerminalError('which exchange is the key for?', ['give it with --exchange ID']);
      exchange = (await prompter.choose('Exchange', EXCHANGE_IDS.map((id) => ({ value: id, name: EXCHANGES[id].title })))) as ExchangeId;
    }
    // Options are checked before anything is asked; permissions are asked after the key.
    metaFromOptions(opts);
    // Unlock first: a wrong passphrase should fail before anyone types three secrets.
    await unlockForWrite(ctx);
    let generated: string | undefined;
    if (opts.generatePassphrase) {
      if (!EXCHANGES[exchange].required.some((alts) => alts.includes('passphrase'))) throw new UsageError(`${EXCHANGES[exchange].title} keys have no API passphrase`);
      generated = generateSecret(24, 'symbols');
    }
    const secrets = await readSecretFields(exchange, { ...opts, ...(generated && { skip: ['passphrase'] }) }, ctx.unlocker.prompter);
    if (generated) {
      if (secrets.passphrase) throw new UsageError('--generate-passphrase, but a passphrase was given too');
      secrets.passphrase = new Secret(generated);
    }
    // What the exchange needs (the key) first; then how it may be used.
    if (opts.permissions === undefined && prompter) {
      const terms = [...Object.keys(EXCHANGES[exchange].permissions), ...(Object.keys(EXCHANGES[exchange].permissions).length ? [] : ['read', 'trade', 'futures', 'margin', 'withdraw', 'transfer'])];
      const chosen = await prompter.chooseMany(`Permissions of this key on ${EXCHANGES[exchange].title} (space to select)`, terms.map((t) => ({ value: t, name: t })));
      if (chosen.length) opts.permissions = chosen.join(',');
    }
    const meta = metaFromOptions(opts);
    const entry = await addEntry(ctx, name, exchange, meta, secrets, opts.scope);
    if (opts.json) json(entryJson(entry));
    else done(`added ${entry.name} (${Object.keys(entry.secrets).sort().join(', ')})`);
    // Shown once, on request: the exchange asks for it when the key is created.
    if (generated) process.stderr.write(`API passphrase for ${entry.name} (enter it on ${EXCHANGES[exchange].title} now; it is stored in the vault):\n${generated}\n`);
  });
}
