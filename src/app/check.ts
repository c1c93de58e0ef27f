// vault check: which keys are due soon, overdue or expired, and why.
import { checkStatus, dueInfo, DueInfo } from '../domain/schedule';
import { alert } from './alerts';
import type { AppContext } from './ports';
import { openSession } from './session';

export interface CheckRow extends DueInfo {
  name: string;
}

export async function checkDue(ctx: AppContext, withinDays?: number): Promise<{ rows: CheckRow[]; status: 0 | 10 | 11 }> {
  const s = await openSession(ctx);
  const now = ctx.clock.now();
  const all = [...s.doc.entries.values()].map((e) => ({ name: e.name, ...dueInfo(e, s.doc.config, now, withinDays) }));
  const rows = all.filter((r) => r.state !== 'ok');
  const status = checkStatus(rows.map((r) => r.state));
  if (status === 11) {
    await alert(ctx, s, 'keys-overdue', { entries: rows.filter((r) => r.state === 'overdue' || r.state === 'expired').map((r) => ({ entry: r.name, state: r.state, reason: r.rule!.reason })) });
  }
  return { rows, status };
}
