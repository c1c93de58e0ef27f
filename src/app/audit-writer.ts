// Writing the audit log: the record of a release goes in before the release happens;
// failed unlocks go in without a MAC. (Reading and verifying: audit-reader.ts.)
import { hmacHex, macEquals, subkey } from '../crypto/mac';
import * as os from 'node:os';
import { AuditEvent, AuditHead, AuditMac, AuditRecord, ChainState, coverResult, failedUnlockEvent, FUTURE_SKEW_MS, GENESIS_MAC, headMacInput, makeRecord, MacFn } from '../domain/audit-chain';
import { appendLogLine, cutLogBack, readChainTail } from '../storage/audit-log-file';
import { auditHeadPath, readHeadFile, writeHeadFile } from '../storage/audit-head-file';
import { setAsideChain, swapAuditFiles } from '../storage/audit-swap';
import { acquireLock } from '../storage/lock';
import { auditPath } from '../storage/paths';
import { hostLabel, HostInfo } from '../storage/host-id';
import type { AppContext, AuditLog, Clock } from './ports';

/** What writing the log needs to know: where it is, the time, and which host keeps it. */
type LogPlace = Pick<AppContext, 'vaultPath' | 'clock' | 'host'>;

const AUDIT_KEY_INFO = 'exvault audit mac v1';

/** HMAC with a key derived from the data key: separate from the key that encrypts the body. */
export function auditMac(dataKey: Uint8Array): AuditMac {
  const key = subkey(dataKey, AUDIT_KEY_INFO);
  const sign: MacFn = (...parts) => hmacHex(key, ...parts);
  return { sign, matches: (mac, ...parts) => macEquals(sign(...parts), mac) };
}

const uid = () => (typeof process.getuid === 'function' ? process.getuid() : -1);

/** The head file's content for a head: its own MAC under the audit key, naming the host
 *  that keeps the chain when there is one. */
function storedHead(h: AuditHead, macFn: MacFn, me?: HostInfo | null) {
  const tagged: AuditHead = me ? { host: me.id, name: me.name, seq: h.seq, mac: h.mac } : { seq: h.seq, mac: h.mac };
  return { ...tagged, hmac: macFn(...headMacInput(tagged)) };
}

const GENESIS: ChainState = { seq: 0, authSeq: 0, mac: GENESIS_MAC, pending: [] };

/** Appends under the log's lock; an authenticated record also moves the head file to it. */
function appendLocked(ctx: LogPlace, event: AuditEvent, mac: AuditMac | null): AuditRecord {
  const macFn = mac?.sign ?? null;
  const file = auditPath(ctx.vaultPath);
  const headFile = auditHeadPath(ctx.vaultPath);
  let state: ChainState = readChainTail(file);
  const me = macFn ? (ctx.host?.() ?? null) : null;
  if (me && macFn) {
    const stored = readHeadFile(headFile);
    const other = stored && stored !== 'damaged' && stored.host !== undefined && stored.host !== me.id ? stored : null;
    if (other) {
      setAsideChain(file, headFile, `${hostLabel(other.name ?? 'host')}-${other.host!.slice(0, 8)}`);
      state = { ...GENESIS, pending: [] };
    }
    // An empty log with no head of this host's: a vault copied or synced here. Its chain
    // starts with a record naming the host, and what it follows.
    if (state.seq === 0 && (other || !stored)) {
      const follows = other ? `${other.name} (${other.host!.slice(0, 8)}) record ${other.seq}, mac ${other.mac.slice(0, 16)}; copied here, kept aside` : 'none on this host (the vault was copied or synced here)';
      const first = makeRecord({ cmd: 'new-chain', program: me.name, result: `host ${me.id}; follows ${follows}` }, state, macFn, ctx.clock.now(), uid(), process.pid);
      appendLogLine(file, first.line);
      state = { seq: 1, authSeq: 1, mac: first.record.mac!, pending: [] };
    }
  }
  const { line, record } = makeRecord(event, state, macFn, ctx.clock.now(), uid(), process.pid);
  const before = appendLogLine(file, line);
  if (macFn) {
    try {
      writeHeadFile(headFile, storedHead({ seq: record.seq, mac: record.mac! }, macFn, me), 'nothing was released');
    } catch (err) {
      // The release will not happen: the log must not say it did.
      cutLogBack(file, before);
      throw err;
    }
  }
  return record;
}

async function withAuditLock<T>(ctx: LogPlace, fn: () => T | Promise<T>): Promise<T> {
  const lock = await acquireLock(`${auditPath(ctx.vaultPath)}.lock`, undefined, 'nothing was released');
  try {
    return await fn();
  } finally {
    lock.release();
  }
}

async function append(ctx: LogPlace, event: AuditEvent, mac: AuditMac | null): Promise<AuditRecord> {
  return withAuditLock(ctx, () => appendLocked(ctx, event, mac));
}

/** A new vault's head: the empty chain, so a log and head deleted together are noticed. */
export function writeGenesisHead(vaultPath: string, dataKey: Uint8Array, me?: HostInfo | null): AuditHead {
  const head = { seq: 0, mac: GENESIS_MAC };
  writeHeadFile(auditHeadPath(vaultPath), storedHead(head, auditMac(dataKey).sign, me));
  return head;
}

/**
 * Starts a new chain for a vault copied or restored elsewhere, whose log cannot verify here.
 * The old log is kept beside it, renamed; the new chain's first record names the host and the
 * chain it follows (the last head this copy knew), so the break is on the record. All or
 * nothing: saveVault (the vault remembering the new head) is part of the swap, and any
 * failure puts the old log and head back (storage/audit-swap.ts). `previousKey`: the key the
 * old chain was written under, when it is not `dataKey` (a re-key).
 */
export async function startNewChain(
  ctx: AppContext,
  dataKey: Uint8Array,
  known: AuditHead | undefined,
  saveVault: () => Promise<void>,
  reason?: string,
  previousKey?: Uint8Array,
): Promise<{ record: AuditRecord; keptAs: string | null }> {
  const mac = auditMac(dataKey);
  const macFn = mac.sign;
  // The old head is authenticated under the key that wrote it: the same one, unless the
  // caller is re-keying (recipient rm), which hands the old key in.
  const before = previousKey ? auditMac(previousKey) : mac;
  return withAuditLock(ctx, async () => {
    const file = auditPath(ctx.vaultPath);
    const headFile = auditHeadPath(ctx.vaultPath);
    const stored = readHeadFile(headFile);
    const from = stored && stored !== 'damaged' && before.matches(stored.hmac, ...headMacInput(stored)) ? stored : known;
    const previous = from ? `record ${from.seq}, mac ${from.mac.slice(0, 16)}` : 'none known';
    const genesis: ChainState = { seq: 0, authSeq: 0, mac: GENESIS_MAC, pending: [] };
    const me = ctx.host?.() ?? null;
    const tag = me ? `host ${me.id}; ` : '';
    const event = { cmd: 'new-chain', program: (me?.name ?? os.hostname()).slice(0, 255), result: `${tag}follows ${previous}${reason ? ` (${reason})` : ''}` };
    const { line, record } = makeRecord(event, genesis, macFn, ctx.clock.now(), uid(), process.pid);
    const head = storedHead({ seq: record.seq, mac: record.mac! }, macFn, me);
    const { keptAs, warnings } = await swapAuditFiles(
      {
        log: file,
        head: headFile,
        newLog: Buffer.from(`${line}\n`),
        newHead: Buffer.from(`${JSON.stringify(head)}\n`),
        keptAs: `${file}.${ctx.clock.now().toISOString().replace(/[:.]/g, '-')}.old`,
      },
      saveVault,
    );
    for (const w of warnings) ctx.notices.warn(w);
    return { record, keptAs };
  });
}

/** The audit log file beside the vault, as the AuditLog port (app/ports.ts). */
export function fileAuditLog(vaultPath: string, clock: Clock, host?: () => HostInfo | null): AuditLog {
  return { recordRelease: async (dataKey, event) => (await append({ vaultPath, clock, host }, event, auditMac(dataKey))).seq };
}

/**
 * Writes (and fsyncs) the record of a release through the context's audit log. Call it before
 * the secret leaves the process: when it throws (AuditError), nothing may be released.
 */
export function recordRelease(ctx: AppContext, dataKey: Uint8Array, event: AuditEvent): Promise<number> {
  return ctx.audit.recordRelease(dataKey, event);
}

/** Without the data key there is no MAC: the next authenticated record covers this one. */
export async function recordFailedUnlock(ctx: AppContext): Promise<void> {
  try {
    await append(ctx, failedUnlockEvent(), null);
  } catch {
    // The failure being reported matters more than its record; never mask it.
  }
}

/**
 * Failed unlocks recorded since the last authenticated record get covered by a MAC now that
 * the key is here, and reported. Best effort: opening the vault does not depend on the log.
 */
export async function chainPending(ctx: AppContext, dataKey: Uint8Array): Promise<{ failed: number; first: string | null; forged: { seq: number; time: string }[] }> {
  try {
    const tail = readChainTail(auditPath(ctx.vaultPath));
    if (!tail.pending.length) return { failed: 0, first: null, forged: [] };
    // A failed unlock dated ahead of now was not written by a failed unlock: covered, but
    // noted as forged in the covering record (verify then names it) and not counted.
    const limit = new Date(ctx.clock.now().getTime() + FUTURE_SKEW_MS).toISOString();
    const pending = tail.pending.map((l) => JSON.parse(l) as { seq: number; time?: string });
    const forged = pending.filter((p) => typeof p.time === 'string' && p.time > limit).map((p) => ({ seq: p.seq, time: p.time! }));
    const real = pending.filter((p) => !forged.some((f) => f.seq === p.seq));
    await append(ctx, { cmd: 'chain', result: coverResult(real.length, forged.map((f) => f.seq)) }, auditMac(dataKey));
    return { failed: real.length, first: real[0]?.time ?? null, forged };
  } catch {
    return { failed: 0, first: null, forged: [] };
  }
}

/** The head of the log as the vault should remember it on each write. */
export function auditHead(ctx: AppContext): { seq: number; mac: string; host?: string } | undefined {
  const t = readChainTail(auditPath(ctx.vaultPath));
  const me = ctx.host?.();
  return t.authSeq ? { seq: t.authSeq, mac: t.mac, ...(me && { host: me.id }) } : undefined;
}

