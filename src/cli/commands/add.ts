import { Command, Option } from 'commander';
import { addNewEntry } from '../../app/add';
import { EXCHANGE_IDS, EXCHANGES, ExchangeId } from '../../domain/exchanges';
import { GlobalOptions, makeContext } from '../context';
import { addMetaOptions, metaFromOptions } from '../entry-options';
import { done, json } from '../render';
import { entryJson } from '../entry-view';
import { checkStdinOnce, readSecretFields } from '../secret-fields';

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
    const g = c.optsWithGlobals<GlobalOptions>();
    checkStdinOnce(opts, g.passphraseFile);
    const ctx = makeContext(g);
    // Options are checked before anything is asked.
    const meta = metaFromOptions(opts);
    const input = { name, meta, generatePassphrase: Boolean(opts.generatePassphrase), ...(opts.exchange && { exchange: opts.exchange as ExchangeId }), ...(opts.scope && { scope: opts.scope as string }) };
    const { entry, generated } = await addNewEntry(ctx, input, (exchange, skip) => readSecretFields(exchange, { ...opts, ...(skip.length && { skip }) }, ctx.unlocker.prompter));
    if (opts.json) json(entryJson(entry));
    else done(`added ${entry.name} (${Object.keys(entry.secrets).sort().join(', ')})`);
    // Shown once, on request: the exchange asks for it when the key is created.
    if (generated) process.stderr.write(`API passphrase for ${entry.name} (enter it on ${EXCHANGES[entry.exchange].title} now; it is stored in the vault):\n${generated}\n`);
  });
}
