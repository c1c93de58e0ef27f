// Reading the audit log back: verify the chain, list records, usage statistics.
import { macEquals } from '../crypto/mac';
import { AuditMac, AuditRecord, chainHostOf, headMacInput, Problem, walkChain, WalkResult } from '../domain/audit-chain';
import { printable } from '../domain/entry';
import { readLogLines } from '../storage/audit-log-file';
import { auditHeadPath, readHeadFile, StoredHead } from '../storage/audit-head-file';
import { auditPath } from '../storage/paths';
import { alert } from './alerts';
import { auditMac, startNewChain } from './audit-writer';
import type { AppContext } from './ports';
import { openSession, saveSession, underWriteLock } from './session';

export interface VerifyResult {
  records: number;
  problem: Problem | null;
  unchained: number;
  /** Failed-unlock records dated in the future, noted as forged when they were covered. */
  forged: { line: number; seq: number; time: string }[];
  /** The last record the head file vouches for (0: the empty chain). */
  headSeq: number | null;
  /** When the chain was started by `audit new-chain`: where, when, and what it follows. */
  origin: { host: string; time: string; follows: string } | null;
  /** The host whose chain this is (from the head file), and whether that is this host. */
  chainHost: { id: string; name: string; here: boolean } | null;
  /** Said when the vault remembers a head this host's files cannot show (a copied vault). */
  note: string | null;
}

/**
 * The head file against the log: a log cut short, deleted or replaced by an older copy no
 * longer holds the record the head names. Line 0: a problem of the head file itself.
 */
export function headProblem(stored: StoredHead | null | 'damaged', lines: string[], walk: WalkResult, mac: AuditMac, vaultKnowsHead: boolean): { problem: Problem | null; headSeq: number | null } {
  if (stored === 'damaged') return { problem: { line: 0, message: 'the audit head file is damaged' }, headSeq: null };
  if (!stored) {
    if (!walk.count && !vaultKnowsHead) return { problem: null, headSeq: null };
    return { problem: { line: 0, message: 'the audit head file is missing (deleted?): the log cannot be proven complete' }, headSeq: null };
  }
  if (!mac.matches(stored.hmac, ...headMacInput(stored))) return { problem: { line: 0, message: 'the audit head file does not authenticate (forged, or from another vault)' }, headSeq: null };
  if (stored.seq === 0) return { problem: null, headSeq: 0 };
  const r = walk.records.find((x) => x.seq === stored.seq);
  if (!r) return { problem: { line: lines.length + 1, message: `is missing: the log ends before record ${stored.seq}, which the audit head records (truncated, deleted, or replaced by an older copy)` }, headSeq: stored.seq };
  // Record n is on line n: the walk accepts sequence numbers 1, 2, 3... only.
  if (!macEquals(r.mac ?? '', stored.mac)) return { problem: { line: r.seq, message: 'differs from the record the audit head records (replaced)' }, headSeq: stored.seq };
  return { problem: null, headSeq: stored.seq };
}

/**
 * Whether the head the vault remembers is of this chain: the vault is written by whichever host
 * last changed it (or synced), and names that host's chain head. An untagged one (written
 * before host chains) is this chain's unless this chain was started by a host as its own.
 */
function vaultHeadIsOurs(head: { host?: string } | undefined, chainHost: string | undefined, startedBy: string | null): boolean {
  if (!head) return false;
  if (head.host !== undefined) return head.host === chainHost;
  return startedBy === null;
}

export async function verifyAudit(ctx: AppContext): Promise<VerifyResult> {
  const s = await openSession(ctx);
  const lines = readLogLines(auditPath(ctx.vaultPath));
  const mac = auditMac(s.dataKey);
  const stored = readHeadFile(auditHeadPath(ctx.vaultPath));
  const tagged = stored && stored !== 'damaged' && stored.host !== undefined ? stored : null;
  const me = ctx.host?.() ?? null;
  // Only the records the heads name are needed back, not all of them.
  const walk = walkChain(lines, mac, new Set([s.doc.auditHead?.seq ?? 0, stored && stored !== 'damaged' ? stored.seq : 0]));
  const startedBy = chainHostOf(walk.records[0]);
  // With no head file and no record naming a host, the chain expected here is this host's:
  // a log and head deleted together are then still caught by the head the vault remembers.
  const chainHost = tagged?.host ?? startedBy ?? me?.id;
  let head = vaultHeadIsOurs(s.doc.auditHead, chainHost, startedBy) ? s.doc.auditHead : undefined;
  let note: string | null = null;
  // Untagged (written before host chains), with no log and no head file here: a vault copied
  // here before its first release on this host. What it remembers is another host's chain.
  if (head && head.host === undefined && head.seq > 0 && !lines.length && !stored) {
    note = `no audit records on this host yet; the vault remembers record ${head.seq} of a chain kept elsewhere (a copied vault), or this host's log and head were both deleted`;
    head = undefined;
  }
  let problem = walk.problem;
  const fromHead = headProblem(stored, lines, walk, mac, Boolean(head));
  problem ??= fromHead.problem;
  // The vault remembers the last authenticated record it saw: a log cut before it is caught.
  if (!problem && head && head.seq > 0) {
    const r = walk.records.find((x) => x.seq === head.seq);
    if (!r) problem = { line: lines.length + 1, message: `is missing: the log ends before record ${head.seq}, which the vault recorded (truncated)` };
    else if (!macEquals(r.mac ?? '', head.mac)) problem = { line: r.seq, message: 'differs from the record the vault remembers (replaced)' };
  }
  if (problem) await alert(ctx, s, 'audit-verify-failed', { line: problem.line, problem: problem.message });
  const first = walk.records[0];
  // Host names come from files another host wrote: no control characters reach a terminal.
  const origin = first?.cmd === 'new-chain' ? { host: printable(first.program ?? '?'), time: first.time, follows: String(first.result ?? '').replace(/^host [0-9a-f]{32}; /, '').replace(/[\u0000-\u001f\u007f-\u009f]/g, '?').slice(0, 300) } : null;
  const chain = tagged ? { id: tagged.host!, name: printable(tagged.name ?? '?'), here: tagged.host === me?.id } : null;
  return { records: walk.count, problem, unchained: walk.unchained, forged: walk.forged, headSeq: fromHead.headSeq, origin, chainHost: chain, note };
}

/** `vault audit new-chain`: for a copied or restored vault; see startNewChain. */
export async function newChain(ctx: AppContext): Promise<{ keptAs: string | null; seq: number }> {
  const opened = await openSession(ctx);
  // A host granted some scopes only keeps its own chain but cannot write the vault: the
  // new chain is its files alone (the vault remembers the head of whoever writes it).
  if (opened.header.scopes.some((x) => !opened.keys.has(x.id))) {
    const { keptAs, record } = await startNewChain(ctx, opened.dataKey, undefined, async () => undefined);
    return { keptAs, seq: record.seq };
  }
  return underWriteLock(ctx, async (s) => {
    const { keptAs, record } = await startNewChain(ctx, s.dataKey, s.doc.auditHead, () => saveSession(ctx, s));
    return { keptAs, seq: record.seq };
  }, opened.keys);
}

/** All records, after checking the chain; a broken chain is reported, not hidden. */
export async function readAudit(ctx: AppContext): Promise<{ records: AuditRecord[]; problem: Problem | null }> {
  const s = await openSession(ctx);
  const walk = walkChain(readLogLines(auditPath(ctx.vaultPath)), auditMac(s.dataKey));
  return { records: walk.records, problem: walk.problem };
}

export interface EntryUsage {
  entry: string;
  releases: number;
  programs: Record<string, number>;
  last: string | null;
}

/** Per entry: how often and by which programs it was released since `since`; unused entries too. */
export async function auditStats(ctx: AppContext, since: Date): Promise<{ usage: EntryUsage[]; unused: string[]; problem: Problem | null }> {
  const s = await openSession(ctx);
  const walk = walkChain(readLogLines(auditPath(ctx.vaultPath)), auditMac(s.dataKey));
  const usage = new Map<string, EntryUsage>();
  for (const r of walk.records) {
    // exec-exit ends a release; restart (after a rotation) names its entry but releases nothing.
    if (r.time < since.toISOString() || !r.entries || r.cmd === 'exec-exit' || r.cmd === 'restart') continue;
    for (const { entry } of r.entries) {
      const u = usage.get(entry) ?? { entry, releases: 0, programs: {}, last: null };
      u.releases++;
      const program = r.cmd === 'exec' ? (r.program ?? '?') : `vault ${r.cmd}`;
      u.programs[program] = (u.programs[program] ?? 0) + 1;
      u.last = r.time;
      usage.set(entry, u);
    }
  }
  const unused = [...s.doc.entries.keys()].filter((e) => !usage.has(e)).sort();
  return { usage: [...usage.values()].sort((a, b) => b.releases - a.releases), unused, problem: walk.problem };
}
