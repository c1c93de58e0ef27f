// The audit chain: one JSON record per line. An authenticated record carries
//   mac = HMAC(auditKey, prevMac || every raw line since the previous authenticated record || its own canonical body)
// so editing, deleting, reordering or inserting any record breaks the chain from there on.
// Failed unlocks are written without a MAC (there is no key) and are covered by the next
// authenticated record. Records hold names, never values.
import { canonicalJson } from './canonical-json';

export const GENESIS_MAC = '0'.repeat(64);

export interface AuditEvent {
  /** exec, exec-exit, get, inject, export, rotate, keychain-enable, unlock-failed, chain */
  cmd: string;
  program?: string;
  entries?: { entry: string; fields: string[] }[];
  /** For exec-exit: the program's status; for a failure: what failed. */
  result?: string | number;
  /** For exec-exit: the sequence number of the exec it ends. */
  ref?: number;
}

export interface AuditRecord extends AuditEvent {
  seq: number;
  time: string;
  uid: number;
  pid: number;
  /** The MAC of the previous authenticated record (authenticated records only). */
  prev?: string;
  /** Hex HMAC, or null for an unauthenticated record (failed unlock). */
  mac: string | null;
}

export type MacFn = (...parts: (Uint8Array | string)[]) => string;

/** The bytes a record's MAC covers of itself: everything but the MAC. */
export function recordBody(r: Omit<AuditRecord, 'mac'>): string {
  return canonicalJson({ ...r, mac: undefined });
}

export interface ChainState {
  /** Sequence number of the last line (authenticated or not). */
  seq: number;
  /** Sequence number of the last authenticated record. */
  authSeq: number;
  /** MAC of the last authenticated record. */
  mac: string;
  /** Raw unauthenticated lines since it, to be covered by the next MAC. */
  pending: string[];
}

export function makeRecord(event: AuditEvent, state: ChainState, macFn: MacFn | null, now: Date, uid: number, pid: number): { line: string; record: AuditRecord } {
  const base = { ...event, seq: state.seq + 1, time: now.toISOString(), uid, pid, ...(macFn && { prev: state.mac }) };
  const mac = macFn ? macFn(state.mac, ...state.pending, recordBody(base)) : null;
  const record: AuditRecord = { ...base, mac };
  return { line: canonicalJson(record), record };
}

export interface Problem {
  /** 1-based line number in the log file. */
  line: number;
  message: string;
}

export interface WalkResult {
  records: AuditRecord[];
  state: ChainState;
  problem: Problem | null;
  /** Unauthenticated records at the end, not yet covered by a MAC. */
  unchained: number;
}

/** Parses the log and checks sequence and MACs; stops at the first bad record. */
export function walkChain(lines: string[], macFn: MacFn | null): WalkResult {
  const state: ChainState = { seq: 0, authSeq: 0, mac: GENESIS_MAC, pending: [] };
  const records: AuditRecord[] = [];
  const fail = (i: number, message: string): WalkResult => ({ records, state, problem: { line: i + 1, message }, unchained: state.pending.length });
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    let r: AuditRecord;
    try {
      r = JSON.parse(line);
    } catch {
      return fail(i, 'is not a valid record');
    }
    if (typeof r !== 'object' || r === null || typeof r.seq !== 'number' || typeof r.cmd !== 'string' || !(typeof r.mac === 'string' || r.mac === null)) {
      return fail(i, 'is not a valid record');
    }
    if (r.seq !== state.seq + 1) {
      return fail(i, r.seq <= state.seq ? `has sequence ${r.seq} after ${state.seq} (reordered or inserted)` : `has sequence ${r.seq} after ${state.seq}: record ${state.seq + 1} is missing (deleted)`);
    }
    if (r.mac === null) {
      if (r.cmd !== 'unlock-failed') return fail(i, 'has no MAC (only failed unlocks may)');
      state.pending.push(line);
    } else {
      const { mac, ...rest } = r;
      if (r.prev !== state.mac) return fail(i, 'does not follow the record before it (its previous MAC differs)');
      if (macFn && macFn(state.mac, ...state.pending, recordBody(rest)) !== mac) {
        const n = state.pending.length;
        // Failed-unlock records carry no MAC of their own: this one covers them.
        const covered = n ? `, or one of the ${n} failed-unlock record${n === 1 ? '' : 's'} it covers (from line ${i + 1 - n}) was changed` : '';
        return fail(i, `does not match its MAC (edited${covered || ', or the chain before it was changed'})`);
      }
      state.mac = mac;
      state.authSeq = r.seq;
      state.pending = [];
    }
    state.seq = r.seq;
    records.push(r);
  }
  return { records, state, problem: null, unchained: state.pending.length };
}
