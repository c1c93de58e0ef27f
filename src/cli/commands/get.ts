import { Command } from 'commander';
import { revealField } from '../../app/entries';
import { UsageError } from '../../errors';
import { parseVaultUri } from '../../domain/profile';
import { stdoutIsTerminal } from '../../platform/terminal';
import { GlobalOptions, makeContext } from '../context';
import { writeStdout } from '../render';

export function registerGet(program: Command): void {
  program
    .command('get <name> [field]')
    .description('print one secret value, for scripts')
    .option('--reveal', 'allow printing to a terminal')
    .option('--raw', 'print the value exactly, without adding a final newline')
    .addHelpText('after', `
Examples:
  KEY=$(vault get binance-main apiKey)
  KEY=$(vault get vault://binance-main/apiKey)   the reference form of templates and env files
  vault get cb privateKey --raw > key.pem
  vault get okx-grid passphrase --reveal        shows it on the terminal

Prefer "vault exec" to hand keys to a program: it passes only what is asked for.`)
    .action(async (name: string, field: string | undefined, opts, c: Command) => {
      if (field !== undefined && name.startsWith('vault://')) throw new UsageError('vault get takes vault://ENTRY/FIELD alone, or ENTRY FIELD', ['e.g. vault get vault://binance-main/apiKey']);
      const ref = field === undefined ? parseVaultUri(name) : null;
      if (ref) ({ entry: name, field } = ref);
      if (field === undefined) throw new UsageError('vault get takes ENTRY FIELD, or vault://ENTRY/FIELD', ['e.g. vault get binance-main apiKey']);
      if (stdoutIsTerminal() && !opts.reveal) {
        throw new UsageError('refusing to print a secret to the terminal', ['add --reveal to show it, or redirect the output']);
      }
      const value = await revealField(makeContext(c.optsWithGlobals<GlobalOptions>()), name, field);
      writeStdout(opts.raw || value.endsWith('\n') ? value : `${value}\n`);
    });
}
