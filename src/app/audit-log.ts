// Writing the audit log: the record of a release goes in before the release happens;
// failed unlocks go in without a MAC. (Reading and verifying: audit.ts.)
import { subkey, hmac } from '../crypto/mac';
import { AuditEvent, AuditRecord, ChainState, makeRecord, MacFn } from '../domain/audit';
import { appendLogLine, readChainTail } from '../storage/audit-file';
import { acquireLock } from '../storage/lock';
import { auditPath } from '../storage/paths';
import type { AppContext } from './session';

const AUDIT_KEY_INFO = 'exvault audit mac v1';

/** HMAC with a key derived from the data key: separate from the key that encrypts the body. */
export function auditMac(dataKey: Uint8Array): MacFn {
  const key = subkey(dataKey, AUDIT_KEY_INFO);
  return (...parts) => hmac(key, ...parts).toString('hex');
}

const uid = () => (typeof process.getuid === 'function' ? process.getuid() : -1);

async function append(ctx: AppContext, event: AuditEvent, macFn: MacFn | null): Promise<AuditRecord> {
  const file = auditPath(ctx.vaultPath);
  const lock = await acquireLock(`${file}.lock`, undefined, 'nothing was released');
  try {
    const state: ChainState = readChainTail(file);
    const { line, record } = makeRecord(event, state, macFn, ctx.clock.now(), uid(), process.pid);
    appendLogLine(file, line);
    return record;
  } finally {
    lock.release();
  }
}

/**
 * Writes (and fsyncs) the record of a release. Call it before the secret leaves the process:
 * when it throws (AuditError), nothing may be released.
 */
export async function recordRelease(ctx: AppContext, dataKey: Uint8Array, event: AuditEvent): Promise<number> {
  return (await append(ctx, event, auditMac(dataKey))).seq;
}

/** Without the data key there is no MAC: the next authenticated record covers this one. */
export async function recordFailedUnlock(ctx: AppContext): Promise<void> {
  try {
    await append(ctx, { cmd: 'unlock-failed', program: ctx.command ?? 'vault' }, null);
  } catch {
    // The failure being reported matters more than its record; never mask it.
  }
}

/**
 * Failed unlocks recorded since the last authenticated record get covered by a MAC now that
 * the key is here, and reported. Best effort: opening the vault does not depend on the log.
 */
export async function chainPending(ctx: AppContext, dataKey: Uint8Array): Promise<{ failed: number; first: string | null }> {
  try {
    const tail = readChainTail(auditPath(ctx.vaultPath));
    if (!tail.pending.length) return { failed: 0, first: null };
    const first = (JSON.parse(tail.pending[0]!) as { time?: string }).time ?? null;
    await append(ctx, { cmd: 'chain', result: `${tail.pending.length} failed unlock${tail.pending.length === 1 ? '' : 's'}` }, auditMac(dataKey));
    return { failed: tail.pending.length, first };
  } catch {
    return { failed: 0, first: null };
  }
}

/** The head of the log as the vault should remember it on each write. */
export function auditHead(ctx: AppContext): { seq: number; mac: string } | undefined {
  const t = readChainTail(auditPath(ctx.vaultPath));
  return t.authSeq ? { seq: t.authSeq, mac: t.mac } : undefined;
}

