import { Command } from 'commander';
import { checkDue } from '../../app/check';
import { UsageError } from '../../errors';
import { dueText } from '../../domain/schedule';
import { isoDay, parseDurationDays } from '../../domain/time';
import { GlobalOptions, Invocation, makeContext } from '../context';
import { json, line } from '../render';
import { pendingText } from '../overlap-view';

export function registerCheck(program: Command, invocation: Invocation): void {
  program
    .command('check')
    .description('report keys due for rotation soon, overdue, or expired (for cron and monitoring)')
    .option('--within <duration>', 'count as "due soon" what is due within this time (default: each entry\'s warn-before, else 14d)')
    .option('--json', 'print JSON')
    .addHelpText('after', `
Exit status: 0 nothing due, 10 due soon (or an old key's revoke is due, its restart
failed or was interrupted, or a rotation was interrupted), 11 overdue or expired. Old keys kept valid after a rotation are listed with the
bots (vault exec pid, program, since) that still hold them.

Examples:
  vault check
  vault check --within 7d --json
  0 8 * * *  EXVAULT_PASSPHRASE_FILE=~/.config/exvault/pass vault check || mail -s "rotate keys" me`)
    .action(async (opts, c: Command) => {
      const within = opts.within === undefined ? undefined : parseDurationDays(opts.within);
      if (within === null) throw new UsageError('--within takes a duration such as 7d, 2w or 1m');
      const { rows, pending, interrupted, status } = await checkDue(makeContext(c.optsWithGlobals<GlobalOptions>()), within);
      invocation.status = status;
      if (opts.json) {
        // Old keys kept valid after a rotation come after the due keys, with state "revoke-pending".
        const overlap = pending.map((p) => ({ name: p.entry, state: 'revoke-pending', due: p.revokeAfter, days: null, reason: p.why, version: p.version, revokeWhen: p.revokeWhen, restart: p.restart, revokeDue: p.due, heldBy: p.heldBy }));
        const stopped = interrupted.map((i) => ({ name: i.name, state: 'rotation-interrupted', due: null, days: null, reason: `a rotation started at ${i.since} did not finish` }));
        return json([...rows.map((r) => ({ name: r.name, state: r.state, due: r.rule ? isoDay(r.rule.due) : null, days: r.days, reason: r.rule?.reason ?? null })), ...overlap, ...stopped]);
      }
      for (const r of rows) line(`${r.name}: ${dueText(r)} (${r.rule!.reason})`);
      for (const p of pending) line(`${p.entry}: ${pendingText(p)}`);
      for (const i of interrupted) line(`${i.name}: a rotation started at ${i.since} did not finish; the current key is still active (vault rotate --due starts it again)`);
    });
}
