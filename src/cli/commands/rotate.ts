import { Command } from 'commander';
import { markRestarted, markVersionRevoked, rotateDue, rotateEntry, RotateOptions, RotationDeps } from '../../app/rotate';
import { parseRevokeAfter, parseRevokeWhen } from '../../domain/overlap';
import { UsageError } from '../../errors';
import { confirmOrYes } from '../prompt';
import { GlobalOptions, Invocation, makeContext } from '../context';
import { done, info, json, line, warn } from '../render';
import { readSecretFields } from '../secret-fields';
import { pendingJson, pendingText } from '../overlap-view';
import { parseTimeout } from './verify';
import { versionNumber } from './history-rollback';

/** The built-in exchange adapters (`--via`), loaded only when a rotation asks for one: no
 *  other command loads network code. EXVAULT_<EXCHANGE>_URL points an exchange elsewhere;
 *  `timeoutMs` bounds each request (--timeout, else the adapters' 15 s). */
export const rotationDeps = (timeoutMs?: number): RotationDeps => ({
  admins: () => (require('../../platform/exchanges/index') as typeof import('../../platform/exchanges/index')).exchangeAdmin({ timeoutMs }),
});

export function registerRotate(program: Command, invocation: Invocation): void {
  program
    .command('rotate [name]')
    .description('replace a key: by hand (guided), through its hooks, or every due one with --due')
    .option('--from-file <path>', 'read the new secret fields as JSON ("-" for standard input)')
    .option('--private-key-file <path>', 'read a new PEM private key from a file')
    .option('--manual', 'rotate by hand even when the entry has a hook')
    .option('--revoked [n]', 'record that the previous version (or version n) was deleted on the exchange')
    .option('--restarted', 'record that the bots were restarted by hand (a failed restart no longer holds the revoke back)')
    .option('--revoke-after <duration>', "keep the old key valid up to this long (0, 30m, 24h, 2d; default the entry's, the vault's, else 24h)")
    .option('--revoke-when <when>', 'idle: once no bot holds the old key, at the latest after the window (default); window: after the window; both: after the window and once no bot holds it')
    .option('--no-restart', "skip the entry's restart command this time")
    .option('--via <entry>', "make the new key through the exchange's API with this master key entry (remembered)")
    .option('--timeout <seconds>', 'with --via: give up on an exchange that has not answered a request after this long (default 15s)')
    .option('--due', 'rotate every entry that is due and has a hook; finish pending restarts and revokes; list those that need a person')
    .option('-y, --yes', 'with --due: no confirmation (for cron)')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', `
Examples:
  vault rotate binance-main                     guided: steps, then the new fields (echo off)
  vault rotate okx-main --from-file new.json
  vault rotate binance-main --revoked           after deleting the old key on the exchange
  vault rotate bn-bot --revoke-after 2h         through its hooks; old key valid up to 2 hours
  vault rotate --due --yes                      nightly from cron (exit status as vault check)

Hooks (vault edit NAME --rotate-hook CMD --revoke-hook CMD) get the credential as JSON on
standard input, never on the command line; the rotate hook prints the new one as JSON.
The old key is revoked only once no bot started with it by vault exec still runs, or its
grace window ends; until then vault check and vault show name the bots that hold it.
A restart command (vault edit NAME --restart CMD) runs after the new key is stored and
before the old one is revoked; if it fails the old key stays valid (exit 1).`)
    .action(async (name: string | undefined, opts, c: Command) => {
      const ctx = makeContext(c.optsWithGlobals<GlobalOptions>());
      const deps = rotationDeps(opts.timeout === undefined ? undefined : parseTimeout(opts.timeout));
      if (opts.due) {
        if (name) throw new UsageError('give an entry or --due, not both');
        if (opts.via || opts.revokeAfter || opts.revokeWhen) throw new UsageError('--due uses each entry\'s own settings: set them with vault edit, or vault config');
        await confirmOrYes(ctx.unlocker.prompter, Boolean(opts.yes), 'Rotate every due key that has a hook?', 'rotate --due runs hooks that change keys on exchanges');
        const { report: r, status } = await rotateDue(ctx, deps);
        invocation.status = status;
        if (opts.json) json({ ...r, pending: r.pending.map(pendingJson) });
        else {
          for (const n of r.rotated) line(`rotated ${n}`);
          for (const m of r.manual) line(`needs a person: ${m.name} (${m.state}: ${m.reason}); run: vault rotate ${m.name}`);
          for (const p of r.pending) line(`${p.entry}: ${pendingText(p)}`);
          for (const f of r.failed) warn(f.message);
        }
        return;
      }
      if (!name) throw new UsageError('which entry? give a name, or --due');
      if (opts.revoked) {
        // A number, not --version: the program's own --version would take that one.
        const v = await markVersionRevoked(ctx, name, opts.revoked === true ? undefined : versionNumber(opts.revoked));
        return done(`${name}: version ${v.n} recorded as revoked`);
      }
      if (opts.restarted) {
        const n = await markRestarted(ctx, name);
        return done(`${name}: the restart for version ${n}'s replacement recorded as done; the next vault rotate --due may revoke it`);
      }
      const rotateOpts: RotateOptions = {
        ...(opts.revokeAfter !== undefined && { revokeAfterMs: parseRevokeAfter(opts.revokeAfter) }),
        ...(opts.revokeWhen !== undefined && { revokeWhen: parseRevokeWhen(opts.revokeWhen) }),
        ...(opts.restart === false && { restart: false }),
        ...(opts.via && { via: opts.via }),
      };
      const byHand = Boolean(opts.manual || opts.fromFile || opts.privateKeyFile);
      const r = await rotateEntry(ctx, name, byHand, (e) => readSecretFields(e.exchange, opts, ctx.unlocker.prompter), rotateOpts, deps);
      if (opts.json) {
        return json(r.via === 'source' ? { entry: name, version: r.version, revoked: r.revoked, pending: r.pending.map(pendingJson) } : { entry: name, previous: r.retired.n, revoked: [], pending: r.pending.map(pendingJson) });
      }
      if (r.via === 'source') {
        const revoked = r.revoked.length ? `; the old key was revoked` : '';
        done(`${name}: version ${r.version} is active${revoked}`);
        for (const p of r.pending) info(pendingText(p));
        return;
      }
      done(`${name}: the new key is active; version ${r.retired.n} is kept as previous`);
      for (const p of r.pending) info(pendingText(p));
      info(`once you have deleted the old key on the exchange: vault rotate ${name} --revoked`);
    });
}
