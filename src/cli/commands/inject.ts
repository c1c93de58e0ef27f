import { Command } from 'commander';
import * as fs from 'node:fs';
import { renderInjected } from '../../app/inject';
import { UsageError } from '../../errors';
import { readCapped } from '../../platform/secret-input';
import { stdoutIsTerminal } from '../../platform/terminal';
import { writeFileAtomic } from '../../storage/atomic-write';
import { GlobalOptions, makeContext } from '../context';
import { done } from '../render';

/** The output file may be replaced only if it is a private regular file (or --force). */
function checkTarget(file: string, force: boolean): void {
  const st = fs.lstatSync(file, { throwIfNoEntry: false });
  if (!st) return;
  if (st.isSymbolicLink() || !st.isFile()) throw new UsageError(`${file} is not a regular file; refusing to write secrets there`);
  if ((st.mode & 0o777) !== 0o600 && !force) {
    throw new UsageError(`${file} exists with mode ${(st.mode & 0o777).toString(8)}, not 600`, ['others may have read its earlier contents; pass --force to replace it anyway']);
  }
}

export function registerInject(program: Command): void {
  program
    .command('inject')
    .description('fill {{ vault://ENTRY/FIELD }} references in a config template; write it with mode 0600')
    .requiredOption('-i, --in <template>', 'the template file')
    .option('-o, --out <file>', 'the file to write (mode 0600); default: standard output')
    .option('--force', 'replace an output file that is not mode 600')
    .option('--allow-withdraw', 'allow keys that can withdraw or transfer funds')
    .option('--reveal', 'allow writing to a terminal')
    .addHelpText('after', `
Examples:
  vault inject -i config.template.json -o config.json      freqtrade: "key": "{{ vault://binance-main/apiKey }}"
  vault inject -i conf_binance.yml.tmpl -o conf/connectors/binance.yml   hummingbot

The output holds secrets in clear text: prefer "vault exec" where the bot reads variables.`)
    .action(async (opts, c: Command) => {
      const template = readCapped(opts.in, 4 * 1024 * 1024, 'template').toString('utf8');
      if (opts.out) checkTarget(opts.out, Boolean(opts.force));
      else if (stdoutIsTerminal() && !opts.reveal) throw new UsageError('refusing to print secrets to the terminal', ['write to a file with -o FILE, or add --reveal']);
      const ctx = makeContext(c.optsWithGlobals<GlobalOptions>());
      const { text, count } = await renderInjected(ctx, template, Boolean(opts.allowWithdraw));
      if (!opts.out) return void process.stdout.write(text);
      writeFileAtomic(opts.out, Buffer.from(text));
      fs.chmodSync(opts.out, 0o600);
      done(`wrote ${opts.out} (${count} value${count === 1 ? '' : 's'}, mode 600)`);
    });
}
