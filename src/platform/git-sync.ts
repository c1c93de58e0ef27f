// The git repository `vault sync` keeps beside the vault: a bare repository (`vault.exv.git`),
// so git never writes the vault file itself (only the vault's own atomic write does). Commits
// are made with plumbing (hash-object, mktree, commit-tree, update-ref) holding one file,
// `vault.exv`. Nothing secret is ever passed to git: it sees the encrypted file, ref names,
// the remote URL and a host name. git's own messages are never shown: failures are classified
// into one line (SyncError, exit 14).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as os from 'node:os';
import { StorageError, SyncError, VaultError } from '../errors';

export const BRANCH = 'main';
export const TRACKED = 'refs/remotes/origin/main';
export const PENDING = 'refs/exvault/pending';
export const FILE_IN_TREE = 'vault.exv';
/** Three objects per synced version: pack after about ten versions. */
const LOOSE_BEFORE_PACK = 30;
/** A fetch or push that has not finished by then is stopped (a hung server or helper): cron runs
 *  must not pile up. Generous: a 256 MiB vault over a slow link. */
const NETWORK_TIMEOUT_MS = 300_000;

/** What went wrong, in one line, from git's (C locale) error text; never the text itself. */
export function classifyGitError(stderr: string, what: string): VaultError {
  const s = stderr;
  const say = (problem: string, hints: string[] = []) => new SyncError(`${what}: ${problem}`, hints);
  // A full disk here (fetch and commits write this host's sync repository): exit 9, naming
  // this host's disk. Said by the remote side (its unpack failed) it is the remote's.
  if (/No space left on device|Disk quota exceeded/i.test(s) && !/remote unpack failed|^remote: /im.test(s)) {
    return new StorageError(`${what}: this host's disk is full (the sync repository beside the vault cannot be written)`, 'the vault was not changed', ['free some space, then run vault sync again']);
  }
  if (/Could not resolve hostname|Could not resolve host|Name or service not known/i.test(s)) return say('the remote host name does not resolve', ['check the URL: vault remote show']);
  if (/Connection refused|Connection timed out|Network is unreachable|No route to host|Operation timed out|Failed to connect/i.test(s)) return say('the remote host could not be reached', ['check the network and that the server is up']);
  if (/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED/i.test(s)) return say("the server's ssh host key is unknown or has changed", ['check and accept it once with: ssh HOST (or add it to ~/.ssh/known_hosts)']);
  if (/Permission denied \(|Authentication failed|could not read Username|could not read Password|terminal prompts disabled|HTTP Basic: Access denied|returned error: 40[13]\b/i.test(s)) return say('the remote refused the login', ['for ssh: a key the server accepts (ssh-agent, ~/.ssh/config, or GIT_SSH_COMMAND); for https: a git credential helper']);
  if (/does not appear to be a git repository|Repository not found|not found|No such file or directory|does not exist/i.test(s)) return say('no git repository at the remote URL', ['create an empty one there (git init --bare PATH on the server), or fix the URL: vault remote show']);
  if (/hook declined|remote rejected/i.test(s)) return say('the remote refused the push (a hook or rule on the server declined it)', ['a host granted only some scopes never needs to push; for others, ask whoever runs the git server']);
  if (/Permission denied|Read-only file system|insufficient permission|unable to create temporary object|unable to write/i.test(s)) return say('the remote repository cannot be written (permissions)', ['a host granted only some scopes never needs to push; for others, give their ssh key write access']);
  if (/protocol .* is not supported|transport .* not allowed|Unable to find remote helper/i.test(s)) return say('git does not support this kind of URL here', ['use ssh://, file:// or https://']);
  return say('git failed', ['run "vault sync" again; if it persists, check the remote with git ls-remote URL']);
}

function hostLabel(): string {
  return os.hostname().replace(/[^A-Za-z0-9.-]/g, '-').slice(0, 64) || 'host';
}

export interface GitRun {
  status: number | null;
  stdout: Buffer;
  stderr: string;
}

export class SyncRepo {
  /** A commit's file and two commits' merge base never change: each is asked of git once. */
  readonly #files = new Map<string, Uint8Array | null>();
  readonly #bases = new Map<string, string | null>();

  /** `maxFileBytes`: a commit's vault.exv larger than this is refused before it is read (a
   *  remote could otherwise make this host load gigabytes). */
  constructor(
    readonly dir: string,
    private readonly maxFileBytes = Number.MAX_SAFE_INTEGER,
  ) {}

  #run(args: string[], opts: { input?: Uint8Array | string; timeoutMs?: number } = {}): GitRun {
    const host = hostLabel();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      // Never a prompt git would hang on without a terminal; messages in one language to classify.
      GIT_TERMINAL_PROMPT: '0',
      LC_ALL: 'C',
      LANGUAGE: 'C',
      GIT_AUTHOR_NAME: `exvault on ${host}`,
      GIT_AUTHOR_EMAIL: `exvault@${host}`,
      GIT_COMMITTER_NAME: `exvault on ${host}`,
      GIT_COMMITTER_EMAIL: `exvault@${host}`,
    };
    // Variables of exvault itself (a passphrase file's path) are no business of git's.
    for (const k of Object.keys(env)) if (k.startsWith('EXVAULT_')) delete env[k];
    // The vault is ciphertext: zlib gains nothing on it and costs most of a commit's time.
    // Only git's own transports (helpers such as fd:: or ext:: are refused by URL and here);
    // an http transfer that stalls for a minute is given up.
    const config = ['protocol.ext.allow=never', 'protocol.fd.allow=never', 'http.lowSpeedLimit=1', 'http.lowSpeedTime=60', 'core.compression=0'];
    const r = spawnSync('git', [...config.flatMap((c) => ['-c', c]), '--git-dir', this.dir, ...args], {
      input: opts.input,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
      maxBuffer: 1024 * 1024 * 1024,
      timeout: opts.timeoutMs ?? 600_000,
    });
    if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') throw new SyncError('git is not installed (vault sync runs the system git)', ['install git (e.g. apt-get install git)']);
    if (r.error) throw new SyncError(`git ${args[0]} did not finish`, ['run "vault sync" again']);
    return { status: r.status, stdout: r.stdout ?? Buffer.alloc(0), stderr: r.stderr?.toString('utf8') ?? '' };
  }

  #ok(args: string[], what: string, opts?: { input?: Uint8Array | string }): Buffer {
    const r = this.#run(args, opts);
    if (r.status !== 0) throw classifyGitError(r.stderr, what);
    return r.stdout;
  }

  exists(): boolean {
    return fs.existsSync(path.join(this.dir, 'HEAD')) && this.#run(['rev-parse', '--git-dir']).status === 0;
  }

  init(): void {
    const r = spawnSync('git', ['init', '--bare', '-q', '-b', BRANCH, this.dir], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    if (r.error || r.status !== 0) throw new SyncError(`could not create the sync repository ${this.dir}`, ['check that the vault folder can be written']);
    // Private like the vault's folder (git made it by the umask).
    fs.chmodSync(this.dir, 0o700);
  }

  remoteUrl(): string | null {
    const r = this.#run(['config', '--get', 'remote.origin.url']);
    return r.status === 0 ? r.stdout.toString('utf8').trim() : null;
  }

  setRemote(url: string): void {
    this.#ok(['config', 'remote.origin.url', url], 'could not record the remote');
    this.#ok(['config', 'remote.origin.fetch', `+refs/heads/${BRANCH}:${TRACKED}`], 'could not record the remote');
  }

  removeRemote(): void {
    this.#ok(['remote', 'remove', 'origin'], 'could not remove the remote');
  }

  /** Fetches the remote's branch into TRACKED; false when the remote has no such branch yet (empty). */
  fetch(): boolean {
    const r = this.#run(['fetch', '-q', '--no-tags', 'origin', `+refs/heads/${BRANCH}:${TRACKED}`], { timeoutMs: NETWORK_TIMEOUT_MS });
    if (r.status === 0) return true;
    if (/couldn't find remote ref|could not find remote ref/i.test(r.stderr)) {
      this.#run(['update-ref', '-d', TRACKED]);
      return false;
    }
    throw classifyGitError(r.stderr, 'could not fetch from the remote (nothing was changed)');
  }

  rev(ref: string): string | null {
    return this.revs([ref])[0]!;
  }

  /** Several refs' commits in one call (null for a ref that does not exist). */
  revs(refs: string[]): (string | null)[] {
    const r = this.#run(['for-each-ref', '--format=%(refname) %(objectname)', ...refs]);
    if (r.status !== 0) throw classifyGitError(r.stderr, 'could not read the sync repository');
    const found = new Map(r.stdout.toString('utf8').split('\n').filter(Boolean).map((l) => l.split(' ') as [string, string]));
    return refs.map((ref) => found.get(ref) ?? null);
  }

  mergeBase(a: string, b: string): string | null {
    const key = `${a} ${b}`;
    if (!this.#bases.has(key)) {
      const r = this.#run(['merge-base', a, b]);
      this.#bases.set(key, r.status === 0 ? r.stdout.toString('utf8').trim() : null);
    }
    return this.#bases.get(key)!;
  }

  /** The vault file as committed in `commit`; null when that commit has none. */
  fileAt(commit: string): Uint8Array | null {
    if (!this.#files.has(commit)) {
      const size = this.#run(['cat-file', '-s', `${commit}:${FILE_IN_TREE}`]);
      const bytes = Number(size.stdout.toString('utf8').trim());
      if (size.status === 0 && bytes > this.maxFileBytes) {
        throw new SyncError(`the remote's vault (commit ${commit.slice(0, 12)}) is too large (${bytes} bytes; a vault is at most ${this.maxFileBytes}): nothing was changed`, [
          'whoever can push to the remote may have damaged it: check its history (git log in the remote repository)',
        ]);
      }
      const r = this.#run(['cat-file', 'blob', `${commit}:${FILE_IN_TREE}`]);
      this.#files.set(commit, r.status === 0 ? new Uint8Array(r.stdout.buffer, r.stdout.byteOffset, r.stdout.byteLength) : null);
    }
    return this.#files.get(commit)!;
  }

  /** A commit holding `file` as vault.exv, with these parents. */
  commit(file: Uint8Array | readonly Uint8Array[], parents: string[], message: string): string {
    const input = file instanceof Uint8Array ? file : Buffer.concat(file as Uint8Array[]);
    const blob = this.#ok(['hash-object', '-w', '--stdin'], 'could not store the vault in the sync repository', { input }).toString('utf8').trim();
    const tree = this.#ok(['mktree'], 'could not store the vault in the sync repository', { input: `100644 blob ${blob}\t${FILE_IN_TREE}\n` }).toString('utf8').trim();
    const commit = this.#ok(['commit-tree', tree, ...parents.flatMap((p) => ['-p', p]), '-m', message], 'could not commit in the sync repository').toString('utf8').trim();
    this.#files.set(commit, input);
    return commit;
  }

  setRef(ref: string, commit: string | null): void {
    if (commit) this.#ok(['update-ref', ref, commit], 'could not update the sync repository');
    else this.#run(['update-ref', '-d', ref]);
  }

  /**
   * Packs the repository once loose objects pile up: every synced version is a whole file
   * loose (4.7 MiB at 10,000 entries), while packed they are deltas of each other (records are
   * copied byte for byte between versions). Best effort: a failure leaves the objects loose.
   */
  tidy(maxLoose = LOOSE_BEFORE_PACK): void {
    const r = this.#run(['count-objects']);
    const loose = Number(/^(\d+) objects/.exec(r.stdout.toString('utf8'))?.[1] ?? 0);
    if (r.status === 0 && loose >= maxLoose) this.#run(['repack', '-a', '-d', '-q']);
  }

  /** Pushes `commit` as the remote's branch: 'rejected' when the remote moved meanwhile. */
  push(commit: string): 'pushed' | 'rejected' {
    const r = this.#run(['push', '-q', '--porcelain', 'origin', `${commit}:refs/heads/${BRANCH}`], { timeoutMs: NETWORK_TIMEOUT_MS });
    if (r.status === 0) return 'pushed';
    const out = r.stdout.toString('utf8') + r.stderr;
    // Another push won the race: refused as not a fast-forward, or (two pushes at the same
    // instant) the remote's ref lock was taken, which git reports as a remote rejection.
    if (/\[rejected\]|non-fast-forward|fetch first|\(stale info\)|cannot lock ref|failed to update ref|incorrect old value/i.test(out)) return 'rejected';
    throw classifyGitError(out, 'could not push to the remote (your changes are committed locally and the next vault sync pushes them)');
  }
}
