import { Command } from 'commander';
import { runDoctor } from '../../app/doctor';
import { GlobalOptions, Invocation, makeContext } from '../context';
import { json, line, paint, Style } from '../render';

const MARK: Record<string, [string, Style]> = { ok: ['ok  ', 'green'], warn: ['warn', 'yellow'], fail: ['FAIL', 'red'], info: ['info', 'dim'] };

export function registerDoctor(program: Command, invocation: Invocation): void {
  program
    .command('doctor')
    .description('check the vault file, key derivation, D-Bus session and keychain, and say what to do')
    .option('--json', 'print the checks as JSON')
    .addHelpText('after', '\nExamples:\n  vault doctor\n  EXVAULT_PASSPHRASE_FILE=/run/credentials/bot.service/vault vault doctor --json')
    .action(async (opts, c: Command) => {
      const ctx = makeContext(c.optsWithGlobals<GlobalOptions>());
      const { checks, status } = await runDoctor(ctx, ctx.unlocker.keychain!, ctx.unlocker.explicitSource);
      invocation.status = status;
      if (opts.json) json({ ok: status === 0, checks });
      else {
        for (const x of checks) {
          const [mark, style] = MARK[x.status]!;
          line(`${paint(style, mark)}  ${x.name.padEnd(16)} ${x.detail}`);
          if (x.fix) line(`      ${''.padEnd(16)} -> ${x.fix}`);
        }
      }
    });
}
