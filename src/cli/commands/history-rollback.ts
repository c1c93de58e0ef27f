import { Command } from 'commander';
import { getEntry } from '../../app/entries';
import { rollbackEntry } from '../../app/rollback';
import { UsageError } from '../../errors';
import { GlobalOptions, makeContext } from '../context';
import { confirmOrYes } from '../prompt';
import { done, json, table, warn } from '../render';

export const versionNumber = (t: string) => {
  if (!/^\d{1,9}$/.test(t)) throw new UsageError('a version is a number, as listed by vault history');
  return Number(t);
};

export function registerVersions(program: Command): void {
  program
    .command('history <name>')
    .description("an entry's versions: when each was active, and whether it was revoked (no values)")
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample:\n  vault history binance-main')
    .action(async (name: string, opts, c: Command) => {
      const e = await getEntry(makeContext(c.optsWithGlobals<GlobalOptions>()), name);
      const rows = [
        { version: e.version ?? 1, state: 'active', activated: e.rotated ?? e.created, retired: null as string | null, revokedAt: null as string | null, revokePending: false, exposed: e.exposed?.by ?? null },
        ...(e.history ?? []).map((v) => ({ version: v.n, state: v.state, activated: v.activated, retired: v.retired, revokedAt: v.revokedAt ?? null, revokePending: Boolean(v.revokePending), exposed: v.exposed?.by ?? null })),
      ];
      if (opts.json) return json(rows);
      table(['VERSION', 'STATE', 'ACTIVATED', 'RETIRED', 'NOTE'], rows.map((r) => [String(r.version), r.state, r.activated.slice(0, 10), (r.retired ?? '-').slice(0, 10), [r.revokePending ? 'revoke pending' : r.revokedAt ? `revoked ${r.revokedAt.slice(0, 10)}` : '', r.exposed ? `exposed to ${r.exposed.join(', ')}` : ''].filter(Boolean).join('; ')]));
    });

  program
    .command('rollback <name>')
    .description('make an earlier version active again (the newest one not revoked, or --to N)')
    .option('--to <n>', 'the version to bring back')
    .option('-y, --yes', 'bring back a version marked exposed without asking (it stays exposed)')
    .addHelpText('after', `
A version a removed recipient could read (vault recipient rm) stays marked exposed when it is
brought back: vault check still exits 11 for it until the entry is rotated. Bringing such a
version back asks first (--yes without a terminal).

Examples:
  vault rollback binance-main
  vault rollback binance-main --to 3`)
    .action(async (name: string, opts: { to?: string; yes?: boolean }, c: Command) => {
      const ctx = makeContext(c.optsWithGlobals<GlobalOptions>());
      const r = await rollbackEntry(ctx, name, opts.to === undefined ? undefined : versionNumber(opts.to), async (n, exposed) => {
        const why = `version ${n} of ${name} was readable by removed recipient ${exposed.by.join(', ')}; it stays marked exposed (vault check exits 11) until ${name} is rotated`;
        warn(why);
        await confirmOrYes(ctx.unlocker.prompter, Boolean(opts.yes), `Bring back exposed version ${n} of ${name}?`, `bringing back an exposed version of ${name} needs confirmation`);
        return true;
      });
      if (!r) return;
      done(`${name}: version ${r.version.n} is active again${r.exposed ? `; it is exposed to removed recipient ${r.exposed.by.join(', ')}: rotate it on the exchange` : ''}`);
      // Both keys now work on the exchange and nothing will revoke either: say so.
      if (r.revokeCancelled) warn(`version ${r.version.n} was waiting to be revoked: that revoke is cancelled. Version ${r.from} stays valid on the exchange and nothing will revoke it; delete it there, then: vault rotate ${name} --revoked (or rotate again when ready)`);
    });
}
