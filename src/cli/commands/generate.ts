import { Command, Option } from 'commander';
import { CHARSETS, generateSecret } from '../../app/generate';
import { UsageError } from '../../errors';

export function registerGenerate(program: Command): void {
  program
    .command('generate')
    .description('print a strong random secret (for an API passphrase, a webhook token, ...)')
    .option('--length <n>', 'number of characters', '32')
    .addOption(new Option('--charset <name>', 'characters to use').choices(Object.keys(CHARSETS)).default('alnum'))
    .addHelpText('after', `
Examples:
  vault generate
  vault generate --length 24 --charset symbols      an OKX-style API passphrase
  vault add okx-main --exchange okx --generate-passphrase   generate and store it in one go`)
    .action((opts) => {
      if (!/^\d{1,4}$/.test(opts.length)) throw new UsageError('--length takes a whole number');
      process.stdout.write(`${generateSecret(Number(opts.length), opts.charset)}\n`);
    });
}
