// Verifying other hosts' audit chains (`vault audit collect DIR...`): each host keeps its own
// chain beside its copy of the vault; the admin copies those files (scp, a backup) into
// folders and verifies them all here. A chain's MAC key comes from the key of the lowest scope
// its host holds (the default scope's for a host that holds it), so the admin, who holds every
// scope, finds which key authenticates each chain by its head file (or its first record).
import { AuditMac, AuditRecord, chainHostOf, headMacInput, Problem, walkChain, WalkResult } from '../domain/audit-chain';
import { chainFilesAt, readLogLines } from '../storage/audit-log-file';
import { readHeadFile, StoredHead } from '../storage/audit-head-file';
import { headProblem } from './audit-reader';
import { auditMac } from './audit-writer';
import type { AppContext } from './ports';
import { openSession } from './session';

export interface CollectedChain {
  /** The log file read. */
  file: string;
  /** The host's name and id as the chain names them (head file, else its first record). */
  host: string;
  hostId: string | null;
  /** The scope whose key authenticates the chain; null when none of this unlock's does. */
  scope: string | null;
  records: number;
  first: string | null;
  last: string | null;
  problem: Problem | null;
}

function keyFor(keys: Map<number, Uint8Array>, stored: StoredHead | null | 'damaged', lines: string[]): { scope: number; mac: AuditMac } | null {
  const macs = [...keys].map(([scope, key]) => ({ scope, mac: auditMac(key) }));
  if (stored && stored !== 'damaged') {
    const byHead = macs.find((m) => m.mac.matches(stored.hmac, ...headMacInput(stored)));
    if (byHead) return byHead;
  }
  // No head that authenticates (then verify says so): the key its first record verifies under.
  const firstAuth = lines.findIndex((l) => !l.includes('"mac":null'));
  if (firstAuth === -1) return null;
  return macs.find((m) => walkChain(lines.slice(0, firstAuth + 1), m.mac).problem === null) ?? null;
}

function lastTime(walk: WalkResult): string | null {
  const r: AuditRecord | undefined = walk.records[walk.records.length - 1];
  return r?.time ?? null;
}

/** Verifies every chain found at `targets`; `hostFilter` keeps only chains of that host name or id. */
export async function collectChains(ctx: AppContext, targets: string[], hostFilter?: string): Promise<CollectedChain[]> {
  const s = await openSession(ctx);
  const out: CollectedChain[] = [];
  for (const target of targets) {
    for (const { log, head } of chainFilesAt(target)) {
      const lines = readLogLines(log);
      const stored = readHeadFile(head);
      const found = keyFor(s.keys, stored, lines);
      const walk = walkChain(lines, found?.mac ?? null);
      const startedBy = chainHostOf(walk.records[0]);
      const tagged = stored && stored !== 'damaged' && stored.host !== undefined ? stored : null;
      const hostId = tagged?.host ?? startedBy;
      const host = tagged?.name ?? (startedBy ? (walk.records[0]!.program ?? '?') : 'untagged (written before host chains)');
      let problem: Problem | null;
      if (!found) problem = { line: 0, message: 'no key of this vault authenticates this chain (another vault\'s, or its head and first record were changed)' };
      else problem = walk.problem ?? headProblem(stored, lines, walk, found.mac, false).problem;
      const row: CollectedChain = {
        file: log,
        host,
        hostId,
        scope: found ? (s.header.scopes.find((x) => x.id === found.scope)?.name ?? String(found.scope)) : null,
        records: walk.count,
        first: walk.records[0]?.time ?? null,
        last: lastTime(walk),
        problem,
      };
      if (!hostFilter || host === hostFilter || hostId === hostFilter || (hostId ?? '').startsWith(hostFilter)) out.push(row);
    }
  }
  return out;
}
