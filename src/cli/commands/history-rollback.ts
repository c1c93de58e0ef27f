import { Command } from 'commander';
import { getEntry } from '../../app/entries';
import { rollbackEntry } from '../../app/rollback';
import { UsageError } from '../../errors';
import { GlobalOptions, makeContext } from '../context';
import { done, json, table } from '../render';

const versionNumber = (t: string) => {
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
        { version: e.version ?? 1, state: 'active', activated: e.rotated ?? e.created, retired: null as string | null, revokedAt: null as string | null, revokePending: false },
        ...(e.history ?? []).map((v) => ({ version: v.n, state: v.state, activated: v.activated, retired: v.retired, revokedAt: v.revokedAt ?? null, revokePending: Boolean(v.revokePending) })),
      ];
      if (opts.json) return json(rows);
      table(['VERSION', 'STATE', 'ACTIVATED', 'RETIRED', 'NOTE'], rows.map((r) => [String(r.version), r.state, r.activated.slice(0, 10), (r.retired ?? '-').slice(0, 10), r.revokePending ? 'revoke pending' : r.revokedAt ? `revoked ${r.revokedAt.slice(0, 10)}` : '']));
    });

  program
    .command('rollback <name>')
    .description('make an earlier version active again (the newest one not revoked, or --to N)')
    .option('--to <n>', 'the version to bring back')
    .addHelpText('after', '\nExamples:\n  vault rollback binance-main\n  vault rollback binance-main --to 3')
    .action(async (name: string, opts, c: Command) => {
      const v = await rollbackEntry(makeContext(c.optsWithGlobals<GlobalOptions>()), name, opts.to === undefined ? undefined : versionNumber(opts.to));
      done(`${name}: version ${v.n} is active again`);
    });
}
