import { Command } from 'commander';
import { revealField } from '../../app/entries';
import { UsageError } from '../../errors';
import { stdoutIsTerminal } from '../../platform/terminal';
import { GlobalOptions, makeContext } from '../context';
import { writeStdout } from '../render';

export function registerGet(program: Command): void {
  program
    .command('get <name> <field>')
    .description('print one secret value, for scripts')
    .option('--reveal', 'allow printing to a terminal')
    .option('--raw', 'print the value exactly, without adding a final newline')
    .addHelpText('after', `
Examples:
  KEY=$(vault get binance-main apiKey)
  vault get cb privateKey --raw > key.pem
  vault get okx-grid passphrase --reveal        shows it on the terminal

Prefer "vault exec" to hand keys to a program: it passes only what is asked for.`)
    .action(async (name: string, field: string, opts, c: Command) => {
      if (stdoutIsTerminal() && !opts.reveal) {
        throw new UsageError('refusing to print a secret to the terminal', ['add --reveal to show it, or redirect the output']);
      }
      const value = await revealField(makeContext(c.optsWithGlobals<GlobalOptions>()), name, field);
      writeStdout(opts.raw || value.endsWith('\n') ? value : `${value}\n`);
    });
}
