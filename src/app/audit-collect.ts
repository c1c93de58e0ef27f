// Verifying other hosts' audit chains (`vault audit collect DIR...`): each host keeps its own
// chain beside its copy of the vault; the admin copies those files (scp, a backup) into
// folders and verifies them all here. A chain's MAC key comes from the key of the lowest scope
// its host holds (the default scope's for a host that holds it), so the admin, who holds every
// scope, finds which key authenticates each chain by its head file (or its first record).
// Every folder is reported, whatever another one holds: one that cannot be read, holds a head
// without its log, or holds nothing, is a row with its problem, not the end of the run.
import * as path from 'node:path';
import { AuditMac, AuditRecord, chainFollows, chainHostOf, headMacInput, Problem, walkChain, WalkResult } from '../domain/audit-chain';
import { printable } from '../domain/entry';
import { NotFoundError, VaultError } from '../errors';
import { chainFilesAt, ChainFiles, readLogLines } from '../storage/audit-log-file';
import { readHeadFile, StoredHead } from '../storage/audit-head-file';
import { headProblem } from './audit-reader';
import { auditMac } from './audit-writer';
import type { AppContext } from './ports';
import { openSession } from './session';

/** The largest log collect reads (README): a host's chain of about 250,000 releases. A larger
 *  one is reported as unreadable; its host starts a new chain (vault audit new-chain). */
export const MAX_COLLECTED_LOG_BYTES = 64 * 1024 * 1024;

export interface CollectedChain {
  /** The log file read (or, for a folder that holds none, the folder). */
  file: string;
  /** The host's name and id as the chain names them (head file, else its first record); for
   *  a folder whose chain cannot be read, the folder's name. */
  host: string;
  hostId: string | null;
  /** The scope whose key authenticates the chain; null when none of this unlock's does. */
  scope: string | null;
  records: number;
  first: string | null;
  last: string | null;
  /** The earlier chain's last record this chain's first record names ("follows record 8, mac
   *  12a7..."), or null when it names none. */
  follows: { seq: number; mac: string } | null;
  problem: Problem | null;
}

export interface CollectResult {
  chains: CollectedChain[];
  /** Said on standard error: an earlier chain named but not handed in, a chain handed in twice. */
  warnings: string[];
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

interface Verified {
  row: CollectedChain;
  /** The chain's records (to find what another chain follows) and its first MAC (its identity). */
  records: AuditRecord[];
}

const folderName = (p: string) => printable(path.basename(p.replace(/\/+$/, '')) || p);

/** A row for something that is not a chain that can be read. */
function unreadable(file: string, host: string, message: string, stored?: StoredHead | null | 'damaged'): Verified {
  const tagged = stored && stored !== 'damaged' && stored.host !== undefined ? stored : null;
  return {
    row: { file, host: tagged?.name ? printable(tagged.name) : host, hostId: tagged?.host ?? null, scope: null, records: 0, first: null, last: null, follows: null, problem: { line: 0, message } },
    records: [],
  };
}

function verifyOne(keys: Map<number, Uint8Array>, scopeName: (id: number) => string, target: string, files: ChainFiles): Verified {
  const stored = readHeadFile(files.head);
  if (files.missingLog) return unreadable(files.log, folderName(target), 'the audit log is missing: only its head is here (deleted, or not copied)', stored);
  let lines: string[];
  try {
    lines = readLogLines(files.log, MAX_COLLECTED_LOG_BYTES);
  } catch (err) {
    if (!(err instanceof VaultError)) throw err;
    return unreadable(files.log, folderName(target), `unreadable: ${err.message}`, stored);
  }
  const found = keyFor(keys, stored, lines);
  const walk = walkChain(lines, found?.mac ?? null);
  const startedBy = chainHostOf(walk.records[0]);
  const tagged = stored && stored !== 'damaged' && stored.host !== undefined ? stored : null;
  const hostId = tagged?.host ?? startedBy;
  const host = tagged?.name ?? (startedBy ? (walk.records[0]!.program ?? '?') : 'untagged (written before host chains)');
  let problem: Problem | null;
  if (!found) problem = { line: 0, message: 'no key of this vault authenticates this chain (another vault\'s, or its head and first record were changed)' };
  else problem = walk.problem ?? headProblem(stored, lines, walk, found.mac, false).problem;
  if (!lines.length && !problem) problem = { line: 0, message: 'the audit log is empty' };
  return {
    row: {
      file: files.log,
      host: printable(host),
      hostId,
      scope: found ? scopeName(found.scope) : null,
      records: walk.count,
      first: walk.records[0]?.time ?? null,
      last: lastTime(walk),
      follows: found ? chainFollows(walk.records[0]) : null,
      problem,
    },
    records: walk.records,
  };
}

/** An earlier chain named but not among those handed in; the same chain handed in twice. */
function warningsFor(all: Verified[]): { about: Verified; text: string }[] {
  const out: { about: Verified; text: string }[] = [];
  for (const v of all) {
    const f = v.row.follows;
    if (!f) continue;
    const there = all.some((o) => o !== v && o.records.some((r) => r.seq === f.seq && typeof r.mac === 'string' && r.mac.startsWith(f.mac)));
    if (!there) out.push({ about: v, text: `${v.row.file} (host ${v.row.host}) follows record ${f.seq} (mac ${f.mac.slice(0, 16)}) of an earlier chain that was not handed in: copy that host's vault.exv.audit.*.old files too, or that chain was deleted` });
  }
  const seen = new Map<string, string>();
  for (const v of all) {
    const id = v.records[0]?.mac;
    if (typeof id !== 'string') continue;
    const before = seen.get(id);
    if (before) out.push({ about: v, text: `${v.row.file} is the same chain as ${before} (handed in twice, or one host's files copied to another)` });
    else seen.set(id, v.row.file);
  }
  return out;
}

/**
 * Verifies every chain found at `targets`; `hostFilter` keeps only chains of that host name or
 * id (NotFoundError, naming the hosts found, when it matches none).
 */
export async function collectChains(ctx: AppContext, targets: string[], hostFilter?: string): Promise<CollectResult> {
  const s = await openSession(ctx);
  const scopeName = (id: number) => s.header.scopes.find((x) => x.id === id)?.name ?? String(id);
  const all: Verified[] = [];
  for (const target of targets) {
    let files: ChainFiles[];
    try {
      files = chainFilesAt(target);
    } catch (err) {
      if (!(err instanceof VaultError)) throw err;
      all.push(unreadable(target, folderName(target), err.message));
      continue;
    }
    if (!files.length) {
      all.push(unreadable(target, folderName(target), 'no audit log or head in this folder (vault.exv.audit and vault.exv.audit-head were expected)'));
      continue;
    }
    for (const f of files) all.push(verifyOne(s.keys, scopeName, target, f));
  }
  const warnings = warningsFor(all);
  if (!hostFilter) return { chains: all.map((v) => v.row), warnings: warnings.map((w) => w.text) };
  const matches = (r: CollectedChain) => r.host === hostFilter || r.hostId === hostFilter || (r.hostId ?? '').startsWith(hostFilter) || (!r.hostId && folderName(r.file) === hostFilter);
  const kept = all.filter((v) => matches(v.row));
  if (!kept.length) {
    const names = [...new Set(all.map((v) => v.row.host))].sort();
    throw new NotFoundError(`no chain of host "${printable(hostFilter)}" among those handed in`, [
      names.length ? `hosts found: ${names.join(', ')}` : 'no chain was found at all',
      '--host matches the name a host gives itself (EXVAULT_HOST_NAME, else its hostname) or its id, not the recipient name',
    ]);
  }
  return { chains: kept.map((v) => v.row), warnings: warnings.filter((w) => kept.includes(w.about)).map((w) => w.text) };
}
