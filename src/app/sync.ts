// vault remote add/show/remove and vault sync (issue 16): the vault file synced through git.
// The repository is a bare one beside the vault (vault.exv.git): git never writes the vault;
// this use case decides what the vault becomes (the remote's file on a fast-forward, this
// host's when only it changed, a three-way merge when both did), writes it with the vault's own
// atomic write under the writer lock, records it as a commit, and pushes when the remote lacks
// it. A host that only reads (granted some scopes) never has changes of its own, so it only
// fast-forwards: it needs no key and never pushes.
import * as os from 'node:os';
import { AuthError, CorruptError, EXIT, SyncError, UsageError, VaultError } from '../errors';
import { decodeFile, decodeHead, HEAD_BYTES } from '../format/header';
import { FORMAT_V1 } from '../format/limits';
import { openV2, VaultKeys } from '../format/seal';
import type { AppContext, SyncGit } from './ports';
import { unlockForWrite } from './session';
import { EntryConflictReport, mergeVaultFiles } from './sync-merge';

const MAIN = 'refs/heads/main';
const TRACKED = 'refs/remotes/origin/main';
const PENDING = 'refs/exvault/pending';
/** Pushes lost to another host's push are retried (fetch, merge again) this many times. */
const PUSH_ATTEMPTS = 5;

const same = (a: Uint8Array | null, b: Uint8Array | null): boolean => !!a && !!b && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

/** A URL git can use without a secret in it: a password or token in the URL would sit in the
 *  repository's config and on git's command line. */
export function checkRemoteUrl(url: string): void {
  if (!url || /[\s\0]/.test(url) || url.startsWith('-')) throw new UsageError('that is not a git remote URL', ['e.g. ssh://git@host/srv/vault.git, git@host:vault.git, file:///srv/vault.git or https://host/vault.git']);
  if (/^[a-z][a-z0-9+.-]*:\/\/[^/@]*:[^/@]*@/i.test(url)) {
    throw new UsageError('the remote URL holds a password or token, which would be stored in plain text', ['give the URL without it, and let git find the credential (ssh keys, or a git credential helper for https)']);
  }
  if (/^ext::/i.test(url)) throw new UsageError('ext:: remotes run commands and are refused');
}

export interface RemoteInfo {
  url: string | null;
  repository: string;
  /** The last commit synced here, if any. */
  synced: string | null;
}

export function addRemote(ctx: AppContext, git: SyncGit, url: string): RemoteInfo {
  checkRemoteUrl(url);
  ctx.vault.ensureFolder();
  if (!git.exists()) git.init();
  const was = git.remoteUrl();
  if (was !== null && was !== url) throw new UsageError('a remote is already set for this vault', ['see it with: vault remote show; replace it with: vault remote remove, then vault remote add URL']);
  git.setRemote(url);
  return { url, repository: git.dir, synced: git.rev(MAIN) };
}

export function showRemote(git: SyncGit): RemoteInfo {
  if (!git.exists()) return { url: null, repository: git.dir, synced: null };
  return { url: git.remoteUrl(), repository: git.dir, synced: git.rev(MAIN) };
}

export function removeRemote(git: SyncGit): void {
  if (!git.exists() || git.remoteUrl() === null) throw new UsageError('this vault has no remote', ['add one with: vault remote add URL']);
  git.removeRemote();
}

export type SyncAction = 'up-to-date' | 'pulled' | 'pushed' | 'merged' | 'cloned';

export interface SyncResult {
  action: SyncAction;
  pushed: boolean;
  /** The commit the vault now is. */
  commit: string;
  conflicts: EntryConflictReport[];
  settingConflicts: string[];
  /** This host's version before the merge, as a commit (where a conflict's losing settings are). */
  oursCommit?: string;
}

function hostName(): string {
  return os.hostname().replace(/[^A-Za-z0-9.-]/g, '-').slice(0, 64) || 'host';
}

/** A sync that crashed between writing the vault and recording it: finish recording it when
 *  the vault is the pending commit's file, else forget it (the vault was not written). */
function recoverPending(git: SyncGit, current: Uint8Array | null, pending: string | null): boolean {
  if (!pending) return false;
  if (same(current, git.fileAt(pending))) git.setRef(MAIN, pending);
  git.setRef(PENDING, null);
  return true;
}

interface Snapshot {
  local: Uint8Array | null;
  main: string | null;
  theirs: string | null;
  base: string | null;
  theirsFile: Uint8Array | null;
  baseFile: Uint8Array | null;
}

/** The state of both sides; `locked`: under the writer lock, where an interrupted sync is finished first. */
function snapshot(ctx: AppContext, git: SyncGit, locked: boolean): Snapshot {
  const local = ctx.vault.exists() ? ctx.vault.read() : null;
  let [main, theirs, pending] = git.revs([MAIN, TRACKED, PENDING]);
  if (locked && recoverPending(git, local, pending ?? null)) [main, theirs] = git.revs([MAIN, TRACKED]);
  const base = main && theirs ? git.mergeBase(main, theirs) : null;
  return { local, main: main ?? null, theirs: theirs ?? null, base, theirsFile: theirs ? git.fileAt(theirs) : null, baseFile: base ? git.fileAt(base) : null };
}

/** Both sides changed since the last sync: a merge, which needs every scope's key. */
const needsMerge = (s: Snapshot): boolean => !!s.local && !!s.base && !!s.theirsFile && !same(s.local, s.baseFile) && !same(s.theirsFile, s.baseFile) && !same(s.local, s.theirsFile);

/** Only the remote changed: a fast-forward. */
const needsPull = (s: Snapshot): boolean => !!s.local && !!s.base && !!s.theirsFile && same(s.local, s.baseFile) && !same(s.theirsFile, s.baseFile);

/** A pulled file is checked by a host that can: one whose unlock of it gives every scope
 *  verifies its writer tag (opening it does) before taking it, so a file re-sealed by a host
 *  granted some scopes (rt22) never replaces the admin's. A host granted some scopes cannot
 *  check it (docs/FORMAT.md "Writer tag") and takes it as before. */
function checkPulled(file: Uint8Array, keys: VaultKeys | undefined): void {
  if (!keys) return;
  const parsed = decodeFile(file);
  if (!parsed.header.scopes.every((x) => keys.has(x.id))) return;
  openV2(parsed, keys).meta();
}

/** A fast-forward unlocks the remote's file to check it, with what the host has anyway (its
 *  identity, the keychain, an unlock agent, a passphrase given or typed). With none at hand (a
 *  pull from cron on a passphrase-only machine) it is taken unchecked, as before tags, and said:
 *  every command that unlocks every scope checks it before using anything. */
async function unlockPulled(ctx: AppContext, file: Uint8Array): Promise<VaultKeys | undefined> {
  try {
    return await ctx.unlocker.dataKey(decodeHead(file.subarray(0, HEAD_BYTES)));
  } catch (err) {
    // A wrong passphrase or a hostile header stops the sync; no way to unlock here (none given,
    // an identity no slot names, a keychain that fails) is what a pull did before tags.
    if (!(err instanceof VaultError) || err instanceof AuthError || err instanceof CorruptError) throw err;
    ctx.notices.warn("the remote's vault is taken without checking its writer (no key at hand); the next command that unlocks every scope checks it");
    return undefined;
  }
}

function checkSameVault(local: Uint8Array, remote: Uint8Array): void {
  const a = decodeHead(local.subarray(0, HEAD_BYTES)).header;
  const b = decodeHead(remote.subarray(0, HEAD_BYTES)).header;
  if (!Buffer.from(a.vaultId).equals(Buffer.from(b.vaultId))) {
    throw new SyncError('the remote holds a different vault (another vault id): nothing was changed', ['use one remote repository per vault; see it with: vault remote show']);
  }
}

/** The remote's file must at least be a vault of ours before it replaces this host's. */
function checkRemoteFile(file: Uint8Array | null, theirs: string): Uint8Array {
  if (!file) throw new SyncError(`the remote's branch has no vault.exv (commit ${theirs.slice(0, 12)}): nothing was changed`, ['the remote must be used by vault sync only']);
  const h = decodeHead(file.subarray(0, HEAD_BYTES)).header;
  if (h.version === FORMAT_V1) throw new SyncError("the remote's vault is in format 1: nothing was changed", ['run vault upgrade where it was pushed from, then sync again']);
  return file;
}

export async function syncVault(ctx: AppContext, git: SyncGit): Promise<{ result: SyncResult; status: number }> {
  if (!git.exists() || git.remoteUrl() === null) throw new UsageError('this vault has no remote to sync with', ['add one with: vault remote add URL (an empty git repository: git init --bare)']);
  ctx.vault.ensureFolder();
  let keys: VaultKeys | undefined;
  let pullKeys: VaultKeys | undefined;
  for (let attempt = 1; ; attempt++) {
    const hasRemote = git.fetch();
    if (!hasRemote) git.setRef(TRACKED, null);
    // Unlocking (a KDF, or a person typing) happens before the lock, and only when a merge is
    // needed: a fast-forward or a push of this host's own changes needs no key.
    const pre = snapshot(ctx, git, false);
    if (!keys && needsMerge(pre)) keys = await unlockForWrite(ctx);
    if (!pullKeys && needsPull(pre)) pullKeys = await unlockPulled(ctx, pre.theirsFile!);
    const lock = await ctx.vault.lock('write');
    let step: { result: SyncResult; push: string | null };
    try {
      step = await lockedStep(ctx, git, keys, (k) => (keys = k), pullKeys);
    } finally {
      lock.release();
    }
    const { result, push } = step;
    if (push) {
      if (git.push(push) === 'rejected') {
        if (attempt >= PUSH_ATTEMPTS) throw new SyncError(`the remote kept changing while pushing (${attempt} tries): your changes are committed locally`, ['run vault sync again']);
        continue;
      }
      git.setRef(TRACKED, push);
      result.pushed = true;
    }
    git.tidy();
    const conflicted = result.conflicts.length > 0 || result.settingConflicts.length > 0;
    return { result, status: conflicted ? EXIT.syncConflict : EXIT.ok };
  }
}

async function lockedStep(ctx: AppContext, git: SyncGit, keys: VaultKeys | undefined, gotKeys: (k: VaultKeys) => void, pullKeys?: VaultKeys): Promise<{ result: SyncResult; push: string | null }> {
  const s = snapshot(ctx, git, true);
  const host = hostName();
  const empty = { conflicts: [], settingConflicts: [], pushed: false };
  /** Writes the vault (the commit point), then records it: a crash in between is finished by
   *  the next sync (recoverPending). */
  const install = (parts: Uint8Array | Uint8Array[], commit: string, create: boolean): void => {
    git.setRef(PENDING, commit);
    const write = create ? ctx.vault.create(parts as Uint8Array) : ctx.vault.write(parts);
    for (const w of write.warnings) ctx.notices.warn(w);
    git.setRef(MAIN, commit);
    git.setRef(PENDING, null);
  };

  // No vault here yet: this host joins, taking the remote's file as it is.
  if (!s.local) {
    if (!s.theirs) throw new SyncError('there is no vault here and the remote is empty: nothing to sync', ['on the machine that has the vault: vault remote add URL, then vault sync']);
    const file = checkRemoteFile(s.theirsFile, s.theirs);
    install(file, s.theirs, true);
    return { result: { action: 'cloned', commit: s.theirs, ...empty }, push: null };
  }
  // The remote is empty: it gets this vault.
  if (!s.theirs) {
    const commit = s.main && same(s.local, git.fileAt(s.main)) ? s.main : git.commit(s.local, s.main ? [s.main] : [], `vault sync from ${host}`);
    git.setRef(MAIN, commit);
    return { result: { action: 'pushed', commit, ...empty }, push: commit };
  }
  const theirsFile = checkRemoteFile(s.theirsFile, s.theirs);
  checkSameVault(s.local, theirsFile);
  // Never synced here, but the remote has the vault: only the same file can be taken on.
  if (!s.main || !s.base) {
    if (same(s.local, theirsFile)) {
      git.setRef(MAIN, s.theirs);
      return { result: { action: 'up-to-date', commit: s.theirs, ...empty }, push: null };
    }
    throw new SyncError('this vault and the remote\'s have no sync in common and differ: nothing was changed', [
      `keep one: move this vault aside (it is ${ctx.vaultPath}) and run vault sync to take the remote's,`,
      'or push this one to a new, empty remote repository',
    ]);
  }
  const oursChanged = !same(s.local, s.baseFile);
  const theirsChanged = !same(theirsFile, s.baseFile);
  if (same(s.local, theirsFile)) {
    // The same file on both sides: nothing to write or push.
    if (s.main !== s.theirs) git.setRef(MAIN, s.theirs);
    return { result: { action: 'up-to-date', commit: s.theirs, ...empty }, push: null };
  }
  if (!theirsChanged) {
    // Only this host changed: record its file (on top of the remote's commit when git history
    // has another commit of the same file there) and push it.
    const theirsInMain = s.base === s.theirs;
    const commit = theirsInMain && same(s.local, git.fileAt(s.main)) ? s.main : git.commit(s.local, theirsInMain ? [s.main] : [s.main, s.theirs], `vault sync from ${host}`);
    git.setRef(MAIN, commit);
    return { result: { action: 'pushed', commit, ...empty }, push: commit };
  }
  if (!oursChanged) {
    // Only the remote changed: a fast-forward, byte for byte, once checked by a host that can.
    checkPulled(theirsFile, pullKeys);
    install(theirsFile, s.theirs, false);
    return { result: { action: 'pulled', commit: s.theirs, ...empty }, push: null };
  }
  // Both changed: this host's file is committed first (so git history keeps it whole), then merged.
  if (!keys) {
    keys = await unlockForWrite(ctx);
    gotKeys(keys);
  }
  const ours = same(s.local, git.fileAt(s.main)) ? s.main : git.commit(s.local, [s.main], `vault sync from ${host}`);
  git.setRef(MAIN, ours);
  const merged = await mergeVaultFiles(ctx, s.baseFile!, s.local, theirsFile, keys);
  const commit = git.commit(merged.parts, [ours, s.theirs], `vault sync: merge on ${host}`);
  install(merged.parts, commit, false);
  return { result: { action: 'merged', commit, conflicts: merged.conflicts, settingConflicts: merged.settingConflicts, pushed: false, oursCommit: ours }, push: commit };
}
