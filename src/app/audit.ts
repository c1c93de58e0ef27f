// Reading the audit log back: verify the chain, list records, usage statistics.
import { AuditRecord, Problem, walkChain } from '../domain/audit';
import { readLogLines } from '../storage/audit-file';
import { auditPath } from '../storage/paths';
import { alert } from './alerts';
import { auditMac } from './audit-log';
import { AppContext, openSession } from './session';

export interface VerifyResult {
  records: number;
  problem: Problem | null;
  unchained: number;
}

export async function verifyAudit(ctx: AppContext): Promise<VerifyResult> {
  const s = await openSession(ctx);
  const lines = readLogLines(auditPath(ctx.vaultPath));
  const walk = walkChain(lines, auditMac(s.dataKey));
  let problem = walk.problem;
  const head = s.doc.auditHead;
  // The vault remembers the last authenticated record it saw: a log cut before it is caught.
  if (!problem && head) {
    const r = walk.records.find((x) => x.seq === head.seq);
    if (!r) problem = { line: lines.length + 1, message: `is missing: the log ends before record ${head.seq}, which the vault recorded (truncated)` };
    else if (r.mac !== head.mac) problem = { line: walk.records.indexOf(r) + 1, message: 'differs from the record the vault remembers (replaced)' };
  }
  if (problem) await alert(ctx, s, 'audit-verify-failed', { line: problem.line, problem: problem.message });
  return { records: walk.records.length, problem, unchained: walk.unchained };
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
    if (r.time < since.toISOString() || !r.entries || r.cmd === 'exec-exit') continue;
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
