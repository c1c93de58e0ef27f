// Replacing the audit log and its head together (audit new-chain), all or nothing. Everything
// that can fail for lack of space is done before the first visible change: the new log and
// head are written to temp files in full, and the old log and head are kept by hard links
// (a link needs no data blocks). Then the new files are renamed in and the caller commits the
// vault; if any of that fails, the old files are renamed back. A rollback that fails too is
// reported with the exact state and how to finish.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { StorageError, VaultError } from '../errors';
import { fsyncDir, removeQuietly, syncAfterCommit, tempPathFor, writeNewFile } from './atomic-write';
import { describeErrno, storageError } from './io-error';

export interface SwapPlan {
  log: string;
  head: string;
  newLog: Buffer;
  newHead: Buffer;
  /** Where the old log stays afterwards (unused when there is no old log). */
  keptAs: string;
}

const exists = (f: string) => fs.lstatSync(f, { throwIfNoEntry: false }) !== undefined;

/** Where the old file is back (rename of its link), or gone when there was none. */
function putBack(target: string, kept: string | null): void {
  if (kept) fs.renameSync(kept, target);
  else fs.rmSync(target, { force: true });
}

/**
 * Swaps in the new log and head, then runs commit (the vault's write). Returns warnings;
 * throws a StorageError (or commit's own error) after putting everything back.
 */
export async function swapAuditFiles(plan: SwapPlan, commit: () => Promise<void>): Promise<{ keptAs: string | null; warnings: string[] }> {
  const dir = path.dirname(plan.log);
  const tmpLog = tempPathFor(plan.log);
  const tmpHead = tempPathFor(plan.head);
  const headKept = path.join(dir, `.${path.basename(plan.head)}.prev-${process.pid}-${randomBytes(6).toString('hex')}`);
  let logKept: string | null = null;
  let headWasKept = false;
  const undoPrepare = () => {
    for (const f of [tmpLog, tmpHead, ...(headWasKept ? [headKept] : []), ...(logKept ? [logKept] : [])]) removeQuietly(f);
  };
  try {
    writeNewFile(tmpLog, plan.newLog, { sync: true });
    writeNewFile(tmpHead, plan.newHead, { sync: true });
    if (exists(plan.log)) {
      fs.linkSync(plan.log, plan.keptAs);
      logKept = plan.keptAs;
    }
    if (exists(plan.head)) {
      fs.linkSync(plan.head, headKept);
      headWasKept = true;
    }
    fsyncDir(dir);
  } catch (err) {
    undoPrepare();
    throw storageError(err, `the new audit log ${plan.log}`, 'nothing was changed');
  }
  let step = 0;
  try {
    fs.renameSync(tmpLog, plan.log);
    step = 1;
    fs.renameSync(tmpHead, plan.head);
    step = 2;
    await commit();
  } catch (err) {
    const cause = err instanceof VaultError ? err : storageError(err, step === 0 ? `the audit log ${plan.log}` : `the audit head ${plan.head}`, 'nothing was changed');
    try {
      if (step >= 2) putBack(plan.head, headWasKept ? headKept : null);
      if (step >= 1) putBack(plan.log, logKept);
      fsyncDir(dir);
    } catch (undoErr) {
      throw new StorageError(
        `${cause.message.replace(/: nothing was changed$/, '')}; putting the old audit files back failed too (${describeErrno(undoErr)})`,
        `the audit log and head may be the new ones while the vault still remembers the old chain${logKept ? `; the old log is kept as ${logKept}` : ''}`,
        ['once the disk is fixed, run "vault audit new-chain" again to finish (it keeps whatever log is there, renamed)'],
      );
    }
    removeQuietly(tmpLog);
    removeQuietly(tmpHead);
    if (step < 2) removeQuietly(headKept);
    if (step < 1 && logKept) removeQuietly(logKept);
    throw cause;
  }
  if (headWasKept) removeQuietly(headKept);
  return { keptAs: logKept, warnings: syncAfterCommit(dir, `the new audit log ${plan.log}`) };
}

/**
 * A log and head tagged with another host's id were copied here with the vault: they are that
 * host's chain. They are kept aside as a pair (<log>.<label>.old and <log>.<label>.old-head),
 * where `vault audit collect` can still verify them, before this host's own chain starts.
 * The caller holds the log's lock. Returns the kept log's path.
 */
export function setAsideChain(log: string, head: string, label: string): string {
  const kept = `${log}.${label}.old`;
  try {
    for (const f of [kept, `${kept}-head`]) fs.rmSync(f, { force: true });
    if (exists(log)) fs.renameSync(log, kept);
    fs.linkSync(head, `${kept}-head`);
    fsyncDir(path.dirname(log));
  } catch (err) {
    throw storageError(err, `the audit log ${log}`, 'nothing was released');
  }
  return kept;
}
