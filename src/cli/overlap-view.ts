// How a pending revoke is shown by rotate, check and show: which old version is still valid,
// until when, and which bots (vault exec pid, program, since) still hold it.
import type { PendingRevoke } from '../app/rotate';
import { printable } from '../domain/entry';

export function holdersText(p: PendingRevoke): string {
  if (p.heldBy === null) return 'running bots cannot be seen here';
  if (!p.heldBy.length) return 'no bot holds it';
  return `held by ${p.heldBy.map((h) => `pid ${h.pid} (${printable(h.program)}, since ${printable(h.since)})`).join(', ')}`;
}

/** One line: "version 3 kept valid (revoke due 2026-12-03T07:00:00.000Z or when its bots exit): held by ...". */
export function pendingText(p: PendingRevoke): string {
  const restart = p.restart === 'failed' ? '; its restart command failed' : p.restart === 'interrupted' ? '; its restart was interrupted (vault rotate --due runs it again)' : p.restart === 'pending' ? '; its restart has not run' : '';
  const when = p.revokeAfter ? `at the latest ${p.revokeAfter}` : 'now';
  const due = p.due ? 'revoke due now (vault rotate --due)' : p.revokeWhen === 'window' ? `revoke at ${p.revokeAfter}` : p.revokeWhen === 'both' ? `revoke after ${p.revokeAfter} once no bot holds it` : `revoke when its bots exit, ${when}`;
  return `old version ${p.version} still valid: ${due}${restart}; ${holdersText(p)}`;
}

export function pendingJson(p: PendingRevoke) {
  return { entry: p.entry, version: p.version, revokeAfter: p.revokeAfter, revokeWhen: p.revokeWhen, restart: p.restart, due: p.due, why: p.why, heldBy: p.heldBy };
}
