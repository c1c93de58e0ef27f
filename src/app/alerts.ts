// Alerts: the vault's alert command, told about events that need a person.
import { runAlert } from '../platform/alert';
import type { VaultDoc } from '../domain/document';
import type { AppContext } from './ports';

export type AlertEvent = 'unlock-failed' | 'audit-verify-failed' | 'rotation-failed' | 'keys-overdue' | 'keys-refused';

/** `opened` is the vault as read (an open Session will do): the alert command is its setting.
 *  Typed by what is used, so this file needs nothing from session.ts, which calls it. */
export async function alert(ctx: AppContext, opened: { doc: Pick<VaultDoc, 'config'> }, event: AlertEvent, details: Record<string, unknown>): Promise<void> {
  const command = opened.doc.config.alertCommand;
  if (!command) return;
  const status = await runAlert(command, { event, time: ctx.clock.now().toISOString(), vault: ctx.vaultPath, ...details });
  if (status !== 0) ctx.notices.warn(`the alert command failed (${status === null ? 'did not run or timed out' : `exit ${status}`})`);
}
