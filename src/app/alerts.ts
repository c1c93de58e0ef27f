// Alerts: the vault's alert command, told about events that need a person.
import { runAlert } from '../platform/alert';
import type { AppContext } from './ports';
import type { Session } from './session';

export type AlertEvent = 'unlock-failed' | 'audit-verify-failed' | 'rotation-failed' | 'keys-overdue';

export async function alert(ctx: AppContext, s: Session, event: AlertEvent, details: Record<string, unknown>): Promise<void> {
  const command = s.doc.config.alertCommand;
  if (!command) return;
  const status = await runAlert(command, { event, time: ctx.clock.now().toISOString(), vault: ctx.vaultPath, ...details });
  if (status !== 0) ctx.notices.warn(`the alert command failed (${status === null ? 'did not run or timed out' : `exit ${status}`})`);
}
