// vault check: which keys are due soon, overdue or expired, and why.
import { checkStatus, dueInfo, DueInfo } from '../domain/schedule';
import { alert } from './alerts';
import type { AppContext } from './ports';
import { openSession } from './session';
import { pendingRevokes, PendingRevoke } from './rotate';

export interface CheckRow extends DueInfo {
  name: string;
}

/**
 * Also reports old keys kept valid after a rotation (and the bots holding them). One whose
 * revoke is due, or whose restart failed, needs `rotate --due` or a person: at least 10.
 */
export async function checkDue(ctx: AppContext, withinDays?: number): Promise<{ rows: CheckRow[]; pending: PendingRevoke[]; interrupted: { name: string; since: string }[]; status: 0 | 10 | 11 }> {
  const s = await openSession(ctx);
  const now = ctx.clock.now();
  const entries = [...s.doc.entries.values()];
  const all = entries.map((e) => ({ name: e.name, ...dueInfo(e, s.doc.config, now, withinDays) }));
  const rows = all.filter((r) => r.state !== 'ok');
  const pending = pendingRevokes(ctx, entries);
  // Rotations killed before their new key was stored: rotate --due starts them again.
  const interrupted = entries.filter((e) => e.rotating).map((e) => ({ name: e.name, since: e.rotating!.since }));
  const needs = interrupted.length > 0 || pending.some((p) => p.due || p.restart === 'failed' || p.restart === 'interrupted');
  const due = checkStatus(rows.map((r) => r.state));
  const status = needs && due === 0 ? 10 : due;
  if (status === 11) {
    await alert(ctx, s, 'keys-overdue', { entries: rows.filter((r) => r.state === 'overdue' || r.state === 'expired').map((r) => ({ entry: r.name, state: r.state, reason: r.rule!.reason })) });
  }
  return { rows, pending, interrupted, status };
}
