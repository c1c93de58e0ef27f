// The merge step of `vault sync`: three vault files (the last synced one, this host's, the
// remote's) merged entry by entry (format/merge.ts), conflicts resolved so that neither side
// is lost (domain/entry-merge.ts: the remote's version stays active, this host's secrets join
// its version history), the document's profiles and config merged key by key
// (domain/meta-merge.ts), and the merged file built with new indexes and a new write id.
import { canonicalJson } from '../domain/canonical-json';
import { parseDoc } from '../domain/document';
import { entryFromLine, entryLine } from '../domain/entry-codec';
import { keepBoth } from '../domain/entry-merge';
import { mergeMeta } from '../domain/meta-merge';
import { AuthError, CorruptError } from '../errors';
import { randomBytes } from '../crypto/random';
import { decodeFile, FileHead } from '../format/header';
import { EntryAt, lineOf, MergeSide, planMerge } from '../format/merge';
import { openV2, VaultKeys } from '../format/seal';
import { buildFileParts, EntryToWrite } from '../format/v2';
import type { AppContext } from './ports';
import { auditHead } from './audit-writer';

const te = new TextEncoder();
const td = new TextDecoder();

export interface EntryConflictReport {
  /** The entry's name as kept. */
  name: string;
  /** both: changed on both sides; removed-here / removed-there: removed on one side, changed on
   *  the other (the changed one is kept); same-name: two different entries added under one name. */
  kind: 'both' | 'removed-here' | 'removed-there' | 'same-name';
  /** The version number this host's secrets now have in the entry's history (null: nothing to
   *  keep, its secrets were the same). */
  keptAs: number | null;
}

export interface MergedVault {
  parts: Uint8Array[];
  conflicts: EntryConflictReport[];
  /** Settings changed on both sides to different values (the remote's kept), e.g. config.alertCommand. */
  settingConflicts: string[];
}

/** The scope keys that open this file: those at hand when they open its indexes (no second
 *  unlock), else an unlock of this file's own slots (a scope added or re-keyed elsewhere). */
async function keysFor(ctx: AppContext, file: Uint8Array, known: VaultKeys[]): Promise<VaultKeys> {
  const parsed = decodeFile(file);
  const keys = new VaultKeys();
  for (const s of parsed.header.scopes) {
    for (const k of known) {
      const key = k.get(s.id);
      if (!key) continue;
      try {
        openV2(parsed, new Map([[s.id, key]])).index(s.id);
        keys.set(s.id, key);
        break;
      } catch (err) {
        if (!(err instanceof AuthError)) throw err;
      }
    }
  }
  if (keys.size === parsed.header.scopes.length) return keys;
  return ctx.unlocker.withoutCache().dataKey(parsed as FileHead);
}

async function sideOf(ctx: AppContext, file: Uint8Array, known: VaultKeys[]): Promise<MergeSide> {
  const parsed = decodeFile(file);
  const keys = await keysFor(ctx, file, known);
  return { header: parsed.header, keys, file: openV2(parsed, keys) };
}

const metaJson = (s: MergeSide): Record<string, unknown> => JSON.parse(td.decode(s.file.meta())) as Record<string, unknown>;

interface Kept {
  write: EntryToWrite;
  at?: EntryAt;
  from: 'ours' | 'theirs';
}

/** An entry's line: its new plaintext, or (taken byte for byte from one side) opened there. */
function lineText(k: Kept, sides: { ours: MergeSide; theirs: MergeSide }): string {
  if (k.write.line) return td.decode(k.write.line);
  if (k.at) return td.decode(lineOf(k.at));
  const side = sides[k.from];
  const row = side.file.index(k.write.scope).find(k.write.name);
  if (!row) throw new CorruptError(`the entry "${k.write.name}" is missing from its index: nothing was changed`);
  return td.decode(side.file.line(k.write.scope, row));
}

/** The write counter of a document (absent: 0), taken out of the key-by-key merge. */
function takeWrites(m: Record<string, unknown>): number {
  const w = m.writes;
  delete m.writes;
  return typeof w === 'number' ? w : 0;
}

/** Merges `ours` and `theirs` against `base`; `oursKeys` opened this host's file. */
export async function mergeVaultFiles(ctx: AppContext, base: Uint8Array, ours: Uint8Array, theirs: Uint8Array, oursKeys: VaultKeys): Promise<MergedVault> {
  const O = await sideOf(ctx, ours, [oursKeys]);
  const T = await sideOf(ctx, theirs, [O.keys]);
  const B = await sideOf(ctx, base, [O.keys, T.keys]);
  const plan = planMerge(B, O, T);
  const now = ctx.clock.now();
  const kept: Kept[] = plan.take.map((w) => ({ write: w, from: w.from }));
  const conflicts: EntryConflictReport[] = [];
  const fresh = (at: EntryAt, gen: number, line: string, scope = at.scope): EntryToWrite => ({ name: at.name, scope, id: at.row.id, gen, line: te.encode(line) });
  for (const c of plan.conflicts) {
    if (c.ours && c.theirs) {
      const t = entryFromLine(td.decode(lineOf(c.theirs)), c.theirs.name);
      const o = entryFromLine(td.decode(lineOf(c.ours)), c.ours.name);
      const both = keepBoth(t, o, now);
      const gen = Math.max(c.ours.row.gen, c.theirs.row.gen) + 1;
      kept.push({ write: fresh(c.theirs, gen, entryLine(both.entry)), from: 'theirs' });
      conflicts.push({ name: c.theirs.name, kind: 'both', keptAs: both.keptAs });
    } else {
      // Removed on one side, changed on the other: the changed one stays (removing is easy to redo).
      const at = (c.ours ?? c.theirs)!;
      const side = c.ours ? 'ours' : 'theirs';
      kept.push({ write: fresh(at, at.row.gen + 1, td.decode(lineOf(at))), from: side });
      conflicts.push({ name: at.name, kind: c.ours ? 'removed-there' : 'removed-here', keptAs: null });
    }
  }
  // Two different entries under one name (added on both sides): the remote's keeps the name,
  // this host's secrets join its history.
  const byName = new Map<string, Kept>();
  const out: Kept[] = [];
  for (const k of kept) {
    const other = byName.get(k.write.name);
    if (!other) {
      byName.set(k.write.name, k);
      out.push(k);
      continue;
    }
    const [winner, loser] = other.from === 'theirs' || k.from === 'ours' ? [other, k] : [k, other];
    const w = entryFromLine(lineText(winner, { ours: O, theirs: T }), winner.write.name);
    const l = entryFromLine(lineText(loser, { ours: O, theirs: T }), loser.write.name);
    const both = keepBoth(w, l, now);
    const merged: Kept = { write: { name: winner.write.name, scope: winner.write.scope, id: winner.write.id, gen: winner.write.gen + 1, line: te.encode(entryLine(both.entry)) }, from: 'theirs' };
    out[out.indexOf(other)] = merged;
    byName.set(k.write.name, merged);
    conflicts.push({ name: winner.write.name, kind: 'same-name', keptAs: both.keptAs });
  }
  const [bm, om, tm] = [metaJson(B), metaJson(O), metaJson(T)];
  takeWrites(bm);
  const writes = Math.max(takeWrites(om), takeWrites(tm)) + 1;
  const meta = mergeMeta(bm, om, tm);
  const m = meta.merged;
  m.writes = writes;
  if (Array.isArray(m.profiles) && !m.profiles.length) delete m.profiles;
  if (m.config && typeof m.config === 'object' && !Object.keys(m.config).length) delete m.config;
  const head = auditHead(ctx);
  if (head) m.audit = head;
  const metaBytes = te.encode(canonicalJson(m));
  // The merged document must read back as a vault document (its shape is checked, not trusted).
  parseDoc(metaBytes);
  const parts = buildFileParts(plan.header, plan.keys, metaBytes, out.map((k) => k.write), randomBytes);
  // The merged file must open with the merged keys, every index (root and pages) and the meta
  // record, before it goes anywhere.
  const check = decodeFile(Buffer.concat(parts));
  const opened = openV2(check, plan.keys);
  opened.meta();
  for (const s of check.header.scopes) opened.index(s.id).names();
  conflicts.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { parts, conflicts, settingConflicts: meta.conflicts };
}
