// vault remote add/show/remove and vault sync (issue 16): the vault file synced through git.
// The repository is a bare one beside the vault (vault.exv.git): git never writes the vault;
// this use case decides what the vault becomes (the remote's file on a fast-forward, this
// host's when only it changed, a three-way merge when both did), writes it with the vault's own
// atomic write under the writer lock, records it as a commit, and pushes when the remote lacks
// it. A host that only reads (granted some scopes) never has changes of its own, so it only
// fast-forwards: it needs no key and never pushes.
import * as os from 'node:os';
import { EXIT, MergeRefused, NeedTerminalError, SyncError, UsageError } from '../errors';
import { decodeHead, HEAD_BYTES } from '../format/header';
import { VaultKeys } from '../format/seal';
import type { AppContext, SyncGit } from './ports';
import { unlockForWrite } from './session';
import { checkRemoteVault, MOVE_ASIDE, parseRemote, readOwn, refuseRollback } from './sync-check';
import { EntryConflictReport, mergeVaultFiles } from './sync-merge';

const MAIN = 'refs/heads/main';
const TRACKED = 'refs/remotes/origin/main';
const PENDING = 'refs/exvault/pending';
/** Pushes lost to another host's push are retried (fetch, merge again) this many times. */
const PUSH_ATTEMPTS = 5;
/** Another sync on this host is waited for this long (a slow network's fetch and push). */
const SYNC_WAIT_MS = 10 * 60_000;

const same = (a: Uint8Array | null, b: Uint8Array | null): boolean => !!a && !!b && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

/** The kinds of URL a remote may have: git's own transports that need no helper program. */
const SCHEMES = new Set(['ssh', 'https', 'http', 'file']);

/**
 * A URL git can use without a secret in it, over a transport that runs nothing of the URL's
 * choosing: ssh://, https://, http://, file://, scp-like user@host:path, or a plain path. A
 * password or token in the URL (`user:pw@`, or a token as the user name of an http(s) URL)
 * would sit in the repository's config, on git's command line and in `vault remote show`.
 * `X::address` runs git-remote-X (fd:: waits forever on a file descriptor, ext:: runs a command).
 * The URL is never repeated in the message: it may hold the credential.
 */
export function checkRemoteUrl(url: string): void {
  const examples = ['e.g. ssh://git@host/srv/vault.git, git@host:vault.git, file:///srv/vault.git or https://host/vault.git'];
  if (!url || /[\s\0]/.test(url) || url.startsWith('-')) throw new UsageError('that is not a git remote URL', examples);
  if (/^[A-Za-z0-9][A-Za-z0-9+.-]*::/.test(url)) throw new UsageError('remotes through a git helper (X::address, e.g. ext:: or fd::) are refused: they run programs or wait on a file descriptor', examples);
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(url);
  if (scheme) {
    const kind = scheme[1]!.toLowerCase();
    if (!SCHEMES.has(kind)) throw new UsageError(`${kind}:// remotes are not supported`, ['use ssh://, https://, file:// or git@host:path']);
    const authority = url.slice(scheme[0].length).split('/')[0]!;
    const at = authority.lastIndexOf('@');
    if (at !== -1) {
      const user = authority.slice(0, at);
      // http(s): the user part is where tokens go (https://TOKEN@host); ssh: a user name only.
      if (kind === 'https' || kind === 'http' || /[:%]/.test(user)) {
        throw new UsageError('the remote URL holds a user name, password or token, which would be stored in plain text: refused', [
          'give the URL without it, and let git find the credential: ssh keys (ssh://git@host/path), or a git credential helper for https (git config --global credential.helper)',
        ]);
      }
    }
    return;
  }
  // scp-like user@host:path: the user part may not hold a password either.
  const scp = /^([^/@]+)@[^/:]+:/.exec(url);
  if (scp && /[:%]/.test(scp[1]!)) throw new UsageError('the remote URL holds a password, which would be stored in plain text: refused', ['use an ssh key (ssh-agent or ~/.ssh/config)']);
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
  if (/^http:\/\//i.test(url)) ctx.notices.warn('http:// is not encrypted in transit: the vault file stays encrypted, but the git server\'s login and what it serves can be read or changed on the way; prefer ssh:// or https://');
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

export type SyncAction = 'up-to-date' | 'pulled' | 'pushed' | 'merged' | 'cloned' | 'took-remote';

export interface SyncResult {
  action: SyncAction;
  pushed: boolean;
  /** The commit the vault now is. */
  commit: string;
  conflicts: EntryConflictReport[];
  settingConflicts: string[];
  /** This host's version before the merge, as a commit (where a conflict's losing settings are). */
  oursCommit?: string;
  /** --take-remote: where this host's file was kept. */
  keptAt?: string;
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

function checkSameVault(local: Uint8Array, remote: Uint8Array): void {
  const a = decodeHead(local.subarray(0, HEAD_BYTES)).header;
  const b = decodeHead(remote.subarray(0, HEAD_BYTES)).header;
  if (!Buffer.from(a.vaultId).equals(Buffer.from(b.vaultId))) {
    throw new SyncError('the remote holds a different vault (another vault id): nothing was changed', ['use one remote repository per vault; see it with: vault remote show']);
  }
}

/** The remote's file must at least be a vault file before it is compared with this host's. */
function checkRemoteFile(file: Uint8Array | null, theirs: string): Uint8Array {
  if (!file) throw new SyncError(`the remote's branch has no vault.exv (commit ${theirs.slice(0, 12)}): nothing was changed`, ['the remote must be used by vault sync only']);
  parseRemote(file, theirs);
  return file;
}

export interface SyncOptions {
  /** Take the remote's vault as it is (after its checks), keeping this host's file beside the
   *  vault as vault.exv.local-<time>: the way out of a change both sides made to the header. */
  takeRemote?: boolean;
}

export async function syncVault(ctx: AppContext, git: SyncGit, opts: SyncOptions = {}): Promise<{ result: SyncResult; status: number }> {
  if (!git.exists() || git.remoteUrl() === null) throw new UsageError('this vault has no remote to sync with', ['add one with: vault remote add URL (an empty git repository: git init --bare)']);
  ctx.vault.ensureFolder();
  // One sync at a time on this host: a second one waits for the first, so two never race on
  // the sync repository's refs (fetch, commit, push).
  const syncLock = await ctx.vault.lock('sync', SYNC_WAIT_MS);
  try {
    return await syncSteps(ctx, git, opts);
  } finally {
    syncLock.release();
  }
}

async function syncSteps(ctx: AppContext, git: SyncGit, opts: SyncOptions): Promise<{ result: SyncResult; status: number }> {
  let keys: VaultKeys | undefined;
  let hostKeys: VaultKeys | undefined;
  for (let attempt = 1; ; attempt++) {
    const hasRemote = git.fetch();
    if (!hasRemote) git.setRef(TRACKED, null);
    // Unlocking (a KDF, or a person typing) happens before the lock, and only when the two
    // sides differ: the remote's file is checked with this host's keys before it is taken, and
    // a host that only reads is told so instead of pushing. A push of this host's own changes
    // needs no key: a host with no unattended key still pushes.
    const pre = snapshot(ctx, git, false);
    if (!hostKeys && pre.local && pre.theirs && pre.theirsFile && !same(pre.local, pre.theirsFile)) {
      // Another vault, or no vault at all, is refused before anyone is asked for a key.
      checkSameVault(pre.local, checkRemoteFile(pre.theirsFile, pre.theirs));
      try {
        hostKeys = await ctx.unlocker.dataKey(decodeHead(pre.local.subarray(0, HEAD_BYTES)));
      } catch (err) {
        const pushOnly = pre.base && same(pre.theirsFile, pre.baseFile);
        if (!(err instanceof NeedTerminalError && pushOnly)) throw err;
      }
    }
    if (!keys && !opts.takeRemote && needsMerge(pre) && hostKeys && !readOnly(pre.local!, hostKeys)) keys = await unlockForWrite(ctx);
    const lock = await ctx.vault.lock('write');
    let step: { result: SyncResult; push: string | null };
    try {
      step = await lockedStep(ctx, git, opts, keys, hostKeys, (k) => (keys = k), (k) => (hostKeys = k));
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

/** A host whose keys open some scopes only: it reads, and can neither merge nor push. */
function readOnly(local: Uint8Array, keys: VaultKeys): boolean {
  return decodeHead(local.subarray(0, HEAD_BYTES)).header.scopes.some((s) => !keys.has(s.id));
}

async function lockedStep(
  ctx: AppContext,
  git: SyncGit,
  opts: SyncOptions,
  keys: VaultKeys | undefined,
  hostKeys: VaultKeys | undefined,
  gotKeys: (k: VaultKeys) => void,
  gotHostKeys: (k: VaultKeys) => void,
): Promise<{ result: SyncResult; push: string | null }> {
  const s = snapshot(ctx, git, true);
  const ownKeys = async (local: Uint8Array): Promise<VaultKeys> => {
    if (!hostKeys) {
      hostKeys = await ctx.unlocker.dataKey(decodeHead(local.subarray(0, HEAD_BYTES)));
      gotHostKeys(hostKeys);
    }
    return hostKeys;
  };
  /** A reading host facing a remote that went back or forked: it cannot push nor merge. */
  const stuck = (how: string) =>
    new SyncError(`the remote's history ${how} (commit ${s.theirs!.slice(0, 12)}), and this host only reads (its keys open some scopes only): it cannot push or merge, nothing was changed`, [
      "the vault's admin runs vault sync (it pushes the newer vault back), then sync here again;",
      MOVE_ASIDE,
    ]);
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
    await checkRemoteVault(ctx, file, s.theirs, undefined);
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
  if (opts.takeRemote) {
    // Asked for: the remote's file (once it opens whole with this host's keys), this host's
    // kept beside the vault and in the sync repository's history.
    if (same(s.local, theirsFile)) {
      git.setRef(MAIN, s.theirs);
      return { result: { action: 'up-to-date', commit: s.theirs, ...empty }, push: null };
    }
    await checkRemoteVault(ctx, theirsFile, s.theirs, await ownKeys(s.local));
    const stamp = ctx.clock.now().toISOString().replace(/[:.]/g, '-');
    const aside = `${ctx.vaultPath}.local-${stamp}`;
    for (const w of ctx.vault.writeCopy(aside, s.local, `the copy ${aside}`).warnings) ctx.notices.warn(w);
    const ours = s.main && same(s.local, git.fileAt(s.main)) ? s.main : git.commit(s.local, s.main ? [s.main] : [], `vault sync from ${host} (set aside by --take-remote)`);
    install(theirsFile, s.theirs, false);
    return { result: { action: 'took-remote', commit: s.theirs, ...empty, oursCommit: ours, keptAt: aside }, push: null };
  }
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
    if (hostKeys && readOnly(s.local, hostKeys)) throw stuck('went back to an earlier commit');
    // Only this host changed: record its file (on top of the remote's commit when git history
    // has another commit of the same file there) and push it.
    const theirsInMain = s.base === s.theirs;
    const commit = theirsInMain && same(s.local, git.fileAt(s.main)) ? s.main : git.commit(s.local, theirsInMain ? [s.main] : [s.main, s.theirs], `vault sync from ${host}`);
    git.setRef(MAIN, commit);
    return { result: { action: 'pushed', commit, ...empty }, push: commit };
  }
  if (!oursChanged) {
    // Only the remote changed: a fast-forward, byte for byte, once the remote's file opens
    // with this host's keys and is not older than this host's.
    const known = await ownKeys(s.local);
    const remote = (await checkRemoteVault(ctx, theirsFile, s.theirs, known))!;
    refuseRollback(remote, readOwn(s.local, known), s.theirs);
    install(theirsFile, s.theirs, false);
    return { result: { action: 'pulled', commit: s.theirs, ...empty }, push: null };
  }
  // Both changed: this host's file is committed first (so git history keeps it whole), then merged.
  if (readOnly(s.local, await ownKeys(s.local))) throw stuck('forked from the one this host synced');
  if (!keys) {
    keys = await unlockForWrite(ctx);
    gotKeys(keys);
  }
  // The remote's file must open, and must not be older than the last one synced here.
  const remote = (await checkRemoteVault(ctx, theirsFile, s.theirs, keys))!;
  refuseRollback(remote, readOwn(s.baseFile!, keys), s.theirs);
  const ours = same(s.local, git.fileAt(s.main)) ? s.main : git.commit(s.local, [s.main], `vault sync from ${host}`);
  git.setRef(MAIN, ours);
  let merged;
  try {
    merged = await mergeVaultFiles(ctx, s.baseFile!, s.local, theirsFile, keys);
  } catch (err) {
    // Both sides changed the header (a scope added on both, a re-key and a recipient): a person
    // chooses. --take-remote loses nothing: this host's file is kept beside the vault.
    if (err instanceof MergeRefused) {
      throw new MergeRefused(err.message, ['keep the remote\'s and set this one aside: vault sync --take-remote (this host\'s file is kept as vault.exv.local-TIME; make its changes again)']);
    }
    throw err;
  }
  const commit = git.commit(merged.parts, [ours, s.theirs], `vault sync: merge on ${host}`);
  install(merged.parts, commit, false);
  return { result: { action: 'merged', commit, conflicts: merged.conflicts, settingConflicts: merged.settingConflicts, pushed: false, oursCommit: ours }, push: commit };
}
