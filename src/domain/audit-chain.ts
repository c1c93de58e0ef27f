// The audit chain: one JSON record per line. An authenticated record carries
//   mac = HMAC(auditKey, prevMac || every raw line since the previous authenticated record || its own canonical body)
// so editing, deleting, reordering or inserting any record breaks the chain from there on.
// Failed unlocks are written without a MAC (there is no key) and are covered by the next
// authenticated record. Records hold names, never values.
import { canonicalJson } from './canonical-json';

export const GENESIS_MAC = '0'.repeat(64);

export interface AuditEvent {
  /** exec, exec-exit, get, inject, export, rotate, restart, keychain-enable, unlock-failed, chain, new-chain */
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

/** Makes MACs under the audit key and checks them in constant time (app/audit-writer.ts). */
export interface AuditMac {
  sign: MacFn;
  /** Whether `mac` is the MAC of these parts. */
  matches(mac: string, ...parts: (Uint8Array | string)[]): boolean;
}

const withoutMac = ({ mac: _mac, ...rest }: AuditRecord): Omit<AuditRecord, 'mac'> => rest;

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

/**
 * A failed unlock has no key to MAC with, so anyone who can write the log could add one: its
 * shape is fixed (no entry names, no program, no free text) and its time may not be earlier
 * than the record before it. Returns why a line breaks that, or null.
 */
const UNAUTH_KEYS = ['cmd', 'mac', 'pid', 'seq', 'time', 'uid'].join(',');
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
function unauthenticatedProblem(r: AuditRecord, lastTime: string | undefined): string | null {
  if (Object.keys(r).sort().join(',') !== UNAUTH_KEYS || r.cmd !== 'unlock-failed') return 'has no MAC and is not a failed unlock of the fixed shape (only those may lack one)';
  if (typeof r.time !== 'string' || !ISO_TIME.test(r.time) || !Number.isSafeInteger(r.pid) || r.pid < 0 || !Number.isSafeInteger(r.uid) || r.uid < -1) return 'is a failed unlock with malformed fields';
  if (lastTime !== undefined && r.time < lastTime) return 'is a failed unlock dated before the record it follows (back-dated)';
  return null;
}

/**
 * A failed unlock dated further ahead of the clock than this, when a key holder comes to cover
 * it, cannot be real (it was written before the cover): it is forged, and the cover says so.
 */
export const FUTURE_SKEW_MS = 5 * 60_000;
const FORGED_NOTE = '; forged (dated in the future): seq ';

/** The covering record's result: how many failed unlocks, and which records were forged. */
export function coverResult(real: number, forged: number[]): string {
  return `${real} failed unlock${real === 1 ? '' : 's'}${forged.length ? `${FORGED_NOTE}${forged.join(',')}` : ''}`;
}

/** The sequence numbers a covering record's (authenticated) result notes as forged. */
function notedForged(result: unknown): number[] {
  const text = typeof result === 'string' ? result : '';
  const at = text.indexOf(FORGED_NOTE);
  return at === -1 ? [] : text.slice(at + FORGED_NOTE.length).split(',').map(Number);
}

/** The failed-unlock record: exactly these fields, nothing a caller could add to. */
export function failedUnlockEvent(): AuditEvent {
  return { cmd: 'unlock-failed' };
}

/** The chain's last authenticated record, as kept in the audit head file, with its own MAC;
 *  a host's chain (issue 16) also names the host that keeps it (its id and name). */
export interface AuditHead {
  seq: number;
  mac: string;
  host?: string;
  name?: string;
}

/** What the head file's MAC covers: a label, so it cannot be confused with a record's MAC;
 *  v2 binds the host's id and name too, so a head cannot be passed off as another host's. */
export function headMacInput(h: AuditHead): string[] {
  if (h.host !== undefined) return ['exvault audit head v2\0', h.host, '\0', h.name ?? '', '\0', String(h.seq), '\0', h.mac];
  return ['exvault audit head v1\0', String(h.seq), '\0', h.mac];
}

/** The record that starts a host's chain names the host: program = its name, result starts
 *  with "host <id>". Returns the id, or null for any other record. */
export function chainHostOf(r: AuditRecord | undefined): string | null {
  if (r?.cmd !== 'new-chain' || typeof r.result !== 'string') return null;
  const m = /^host ([0-9a-f]{32})(;|$)/.exec(r.result);
  return m ? m[1]! : null;
}

/** What a chain's first record says it follows ("... record 8, mac 12a7..."): the earlier
 *  chain's last record, or null when it names none (a new vault, the genesis, a copy). */
export function chainFollows(r: AuditRecord | undefined): { seq: number; mac: string } | null {
  if (r?.cmd !== 'new-chain' || typeof r.result !== 'string') return null;
  const m = /follows .*?record (\d+), mac ([0-9a-f]{8,64})/.exec(r.result);
  if (!m || Number(m[1]) === 0) return null;
  return { seq: Number(m[1]), mac: m[2]! };
}

export interface Problem {
  /** 1-based line number in the log file. */
  line: number;
  message: string;
}

export interface WalkResult {
  /** The records that passed; with `keep`, only the first and those it names. */
  records: AuditRecord[];
  /** How many records passed. */
  count: number;
  state: ChainState;
  problem: Problem | null;
  /** Unauthenticated records at the end, not yet covered by a MAC. */
  unchained: number;
  /** Failed-unlock records dated in the future, noted as forged by the record that covers them. */
  forged: { line: number; seq: number; time: string }[];
}

/**
 * The bytes a record's MAC covers of itself, cut from its line instead of re-serialised: a
 * line the writer wrote is the record's canonical JSON, so it is its body with the member
 * `,"mac":"…"` added. Null when the line has not that shape; the caller then falls back to
 * recordBody. Only ever a shortcut: a MAC that matches these bytes means the key holder
 * signed them as a body (canonical JSON, hence no whitespace before its `{` and nothing
 * after its `}`, so the pending lines before it split the same way too), so re-serialising
 * the record would have given the same bytes; a MAC that does not match is checked again
 * against recordBody, so exactly the records the full check accepts are accepted.
 */
export function bodyFromLine(line: string, mac: string): [string, string] | null {
  if (line.charCodeAt(0) !== 0x7b || line.charCodeAt(line.length - 1) !== 0x7d) return null;
  // A member key after a comma cannot sit inside a JSON string (its quote would end it).
  const member = `,"mac":${JSON.stringify(mac)}`;
  const at = line.indexOf(member);
  // Two pieces, MACed one after the other: joining them would copy the line.
  return at === -1 ? null : [line.slice(0, at), line.slice(at + member.length)];
}

/**
 * Parses the log and checks sequence and MACs; stops at the first bad record. `keep`: the
 * sequence numbers of the records the caller needs back (besides the first), when it does not
 * need them all: holding 100,000 parsed records costs more garbage collection than the MACs.
 */
export function walkChain(lines: string[], auditMac: AuditMac | null, keep?: ReadonlySet<number>): WalkResult {
  const state: ChainState = { seq: 0, authSeq: 0, mac: GENESIS_MAC, pending: [] };
  const records: AuditRecord[] = [];
  let lastTime: string | undefined;
  const forged: WalkResult['forged'] = [];
  let count = 0;
  const fail = (i: number, message: string): WalkResult => ({ records, count, state, problem: { line: i + 1, message }, unchained: state.pending.length, forged });
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
      const shape = unauthenticatedProblem(r, lastTime);
      if (shape) return fail(i, shape);
      state.pending.push(line);
    } else {
      const mac = r.mac;
      if (r.prev !== state.mac) return fail(i, 'does not follow the record before it (its previous MAC differs)');
      const cut = auditMac && bodyFromLine(line, mac);
      if (auditMac && !(cut !== null && auditMac.matches(mac, state.mac, ...state.pending, cut[0], cut[1])) && !auditMac.matches(mac, state.mac, ...state.pending, recordBody(withoutMac(r)))) {
        const n = state.pending.length;
        // Failed-unlock records carry no MAC of their own: this one covers them.
        const covered = n ? `, or one of the ${n} failed-unlock record${n === 1 ? '' : 's'} it covers (from line ${i + 1 - n}) was changed` : '';
        return fail(i, `does not match its MAC (edited${covered || ', or the chain before it was changed'})`);
      }
      // The record covering failed unlocks may not be dated before them either, unless it noted
      // them as forged (dated in the future); one it did not note is named, not the cover.
      if (state.pending.length && lastTime !== undefined && String(r.time) < lastTime) {
        const noted = notedForged(r.result);
        const n = state.pending.length;
        for (let j = 0; j < n; j++) {
          const p = JSON.parse(state.pending[j]!) as { seq: number; time: string };
          if (p.time <= String(r.time)) continue;
          if (!noted.includes(p.seq)) return fail(i - n + j, `is a failed unlock dated after the record that covers it (line ${i + 1}): forged, or the clock went back`);
          forged.push({ line: i - n + j + 1, seq: p.seq, time: p.time });
        }
      }
      state.mac = mac;
      state.authSeq = r.seq;
      state.pending = [];
    }
    state.seq = r.seq;
    if (typeof r.time === 'string') lastTime = r.time;
    if (!keep || !count || keep.has(r.seq)) records.push(r);
    count++;
  }
  return { records, count, state, problem: null, unchained: state.pending.length, forged };
}
