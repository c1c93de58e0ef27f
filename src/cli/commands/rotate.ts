import { Command } from 'commander';
import { markVersionRevoked, rotateDue, rotateEntry } from '../../app/rotate';
import { UsageError } from '../../errors';
import { confirmOrYes } from '../prompt';
import { GlobalOptions, Invocation, makeContext } from '../context';
import { done, info, json, line, warn } from '../render';
import { readSecretFields } from '../secret-fields';

export function registerRotate(program: Command, invocation: Invocation): void {
  program
    .command('rotate [name]')
    .description('replace a key: by hand (guided), through its hooks, or every due one with --due')
    .option('--from-file <path>', 'read the new secret fields as JSON ("-" for standard input)')
    .option('--private-key-file <path>', 'read a new PEM private key from a file')
    .option('--manual', 'rotate by hand even when the entry has a hook')
    .option('--revoked', 'record that the previous version was deleted on the exchange')
    .option('--version <n>', 'with --revoked: which version')
    .option('--due', 'rotate every entry that is due and has a hook; list those that need a person')
    .option('-y, --yes', 'with --due: no confirmation (for cron)')
    .option('--json', 'with --due: print the report as JSON')
    .addHelpText('after', `
Examples:
  vault rotate binance-main                     guided: steps, then the new fields (echo off)
  vault rotate okx-main --from-file new.json
  vault rotate binance-main --revoked           after deleting the old key on the exchange
  vault rotate --due --yes                      nightly from cron (exit status as vault check)

Hooks (vault edit NAME --rotate-hook CMD --revoke-hook CMD) get the credential as JSON on
standard input, never on the command line; the rotate hook prints the new one as JSON.`)
    .action(async (name: string | undefined, opts, c: Command) => {
      const ctx = makeContext(c.optsWithGlobals<GlobalOptions>());
      if (opts.due) {
        if (name) throw new UsageError('give an entry or --due, not both');
        await confirmOrYes(ctx.unlocker.prompter, Boolean(opts.yes), 'Rotate every due key that has a hook?', 'rotate --due runs hooks that change keys on exchanges');
        const { report: r, status } = await rotateDue(ctx);
        invocation.status = status;
        if (opts.json) json(r);
        else {
          for (const n of r.rotated) line(`rotated ${n}`);
          for (const m of r.manual) line(`needs a person: ${m.name} (${m.state}: ${m.reason}); run: vault rotate ${m.name}`);
          for (const f of r.failed) warn(f.message);
        }
        return;
      }
      if (!name) throw new UsageError('which entry? give a name, or --due');
      if (opts.revoked) {
        const v = await markVersionRevoked(ctx, name, opts.version === undefined ? undefined : Number(opts.version));
        return done(`${name}: version ${v.n} recorded as revoked`);
      }
      const byHand = Boolean(opts.manual || opts.fromFile || opts.privateKeyFile);
      const r = await rotateEntry(ctx, name, byHand, (e) => readSecretFields(e.exchange, opts, ctx.unlocker.prompter));
      if (r.via === 'hook') return done(`${name}: version ${r.version} is active${r.revoked ? '; the old key was revoked' : ''}`);
      done(`${name}: the new key is active; version ${r.retired.n} is kept as previous`);
      info(`once you have deleted the old key on the exchange: vault rotate ${name} --revoked`);
    });
}
