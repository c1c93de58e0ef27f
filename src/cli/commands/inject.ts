import { Command, Option } from 'commander';
import { formatOfFile, TEMPLATE_FORMATS } from '../../domain/inject-format';
import { renderInjected } from '../../app/inject';
import { readCapped } from '../../platform/secret-input';
import { checkSecretTarget, writeSecretOutput } from '../output-file';
import { GlobalOptions, makeContext } from '../context';
import { done } from '../render';


export function registerInject(program: Command): void {
  program
    .command('inject')
    .description('fill {{ vault://ENTRY/FIELD }} references in a config template; write it with mode 0600')
    .requiredOption('-i, --in <template>', 'the template file')
    .addOption(new Option('--format <format>', 'how to escape values (default: from the template file name; plain when unknown)').choices([...TEMPLATE_FORMATS]))
    .option('-o, --out <file>', 'the file to write (mode 0600); default: standard output')
    .option('--force', 'replace an output file that is not mode 600')
    .option('--allow-shared-dir', 'write into a folder other users can write or own (they could swap the file)')
    .option('--allow-withdraw', 'allow keys that can withdraw or transfer funds')
    .option('--reveal', 'allow writing to a terminal')
    .addHelpText('after', `
Examples:
  vault inject -i config.template.json -o config.json      freqtrade: "key": "{{ vault://binance-main/apiKey }}"
  vault inject -i conf_binance.yml.tmpl -o conf/connectors/binance.yml   hummingbot

Values are escaped for the format (JSON, YAML, TOML, .env, or plain: from the file name, or
--format), quoted or bare, and the result is parsed back before it is written: a value that
would not read back exactly is an error naming the placeholder, and nothing is written.

The output holds secrets in clear text: prefer "vault exec" where the bot reads variables.`)
    .action(async (opts, c: Command) => {
      const template = readCapped(opts.in, 4 * 1024 * 1024, 'template').toString('utf8');
      checkSecretTarget(opts.out, { force: Boolean(opts.force), reveal: Boolean(opts.reveal), allowSharedDir: Boolean(opts.allowSharedDir) });
      const ctx = makeContext(c.optsWithGlobals<GlobalOptions>());
      const { text, count } = await renderInjected(ctx, template, opts.format ?? formatOfFile(opts.in), Boolean(opts.allowWithdraw));
      writeSecretOutput(opts.out, text);
      if (opts.out) done(`wrote ${opts.out} (${count} value${count === 1 ? '' : 's'}, mode 600)`);
    });
}
