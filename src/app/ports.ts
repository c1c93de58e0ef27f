// What the use cases need from the outside world, so they can be driven by the CLI, by tests
// with in-memory fakes (test/unit/app/fakes.ts), and later by other front ends. Each use case
// takes its input and these, and returns its result; a use case whose exit status is more
// than "ok" (exec, check, rotate --due, doctor, scan) returns that status too, and failures
// are VaultErrors carrying theirs (errors.ts). Only cli/main.ts turns it into the process's.
import type { AuditEvent } from '../domain/audit-chain';
import type { ExchangeId } from '../domain/exchanges';
import type { KeyFacts } from '../domain/key-facts';
import type { Secret } from '../domain/secret';
import type { FileHead } from '../format/header';
import type { VaultKeys } from '../format/seal';
import type { HostInfo } from '../storage/host-id';

/** Everything a use case is given: the vault, how to unlock it, and the ports. */
export interface AppContext {
  /** Where the vault is, for messages (and for the audit log's files beside it). */
  vaultPath: string;
  /** The vault file itself (storage/file-vault-store.ts). */
  vault: VaultStore;
  unlocker: Unlocker;
  clock: Clock;
  notices: Notices;
  /** Where releases are recorded before they happen (the file: app/audit-writer.ts). */
  audit: AuditLog;
  /** This host's id and name, which tag its own audit chain (storage/host-id.ts); absent
   *  or null: an untagged chain, as before host chains. */
  host?: () => HostInfo | null;
  /** Which `vault exec` runs are alive and which entry versions they were handed
   *  (platform/run-records.ts). Absent: running bots are not known, and a rotation's old key
   *  is revoked by its grace window alone. */
  runs?: RunRegistry;
}

/** One `vault exec` run, as its run record keeps it (names and version numbers, no values). */
export interface RunRecord {
  pid: number;
  /** The program's name (argv[0] without its folder). */
  program: string;
  /** When it started (ISO time). */
  since: string;
  entries: { entry: string; version: number }[];
}

/** A run's record while it runs; ending twice is harmless. */
export interface RunHandle {
  end(): void;
}

/**
 * The runs of `vault exec` that may still hold a key. A run is recorded by the process that
 * releases the secrets (its pid and start time, so a reused pid is not mistaken for it), and
 * counts as alive while that process is.
 */
export interface RunRegistry {
  /** Records this process as a run; throws a VaultError when that cannot be written. */
  begin(run: Omit<RunRecord, 'pid' | 'since'>): RunHandle;
  /** The runs still alive (records of dead ones are cleared as they are found); null when
   *  liveness cannot be told here. */
  live(): RunRecord[] | null;
}

/** Reads parts of the vault by position, as it was when opened (format 2 reads one entry
 *  without the whole file). Throws CorruptError past its end. */
export interface VaultReader {
  size: number;
  read(off: number, len: number): Uint8Array;
  /** Which file this is (a write appends only to the very file it read), and how many names it
   *  has (more than one: the backup is the same file, so appending would change it too). */
  file?: FileIdentity;
}

export interface FileIdentity {
  dev: number;
  ino: number;
  links: number;
  size: number;
}

/** A held lock; releasing twice is harmless. */
export interface VaultLock {
  release(): void;
}

/**
 * The vault file, as the use cases see it (storage/file-vault-store.ts on disk; an in-memory
 * one in test/unit/app/fakes.ts). Every read checks the file first (private, ours, not a link
 * unless allowed, at most MAX_FILE_BYTES) and a missing vault is a VaultError naming `vault init`.
 * Writes happen only under the writer lock, and report what could not be finished after the
 * commit (syncing the folder) as warnings.
 */
export interface VaultStore {
  /** Whether anything (a link included) is at the vault's path. */
  exists(): boolean;
  /** The whole file. */
  read(): Uint8Array;
  /** Its first `bytes` bytes (all of it when shorter). */
  readStart(bytes: number): Uint8Array;
  /** Opens the file for positioned reads; later reads see it as it was now. */
  open(): VaultReader;
  /** Creates the vault's folder (mode 0700) when missing, and checks it. */
  ensureFolder(): void;
  /** Replaces the vault crash-safely; the file it replaces becomes the backup (vault.exv.bak).
   *  The bytes may come in pieces (a format 2 write copies runs of the old file as they are). */
  write(bytes: Uint8Array | readonly Uint8Array[]): { warnings: string[] };
  /** Refuses (StorageError) a vault the next write cannot replace (read-only folder or file
   *  system, immutable file), for commands that must know before they start. */
  checkWritable?(): void;
  /** Format 2: appends an update to the file that was read (`at`, checked: the same file, the
   *  same size), after cutting the file back to `end` (an earlier update left unfinished). The
   *  body is synced before the trailer is written, and the trailer before it returns; on any
   *  failure the file is cut back to `end` and nothing has changed. The backup is not touched.
   *  Absent: the store only replaces files whole. */
  append?(at: FileIdentity, end: number, body: readonly Uint8Array[], trailer: Uint8Array): { warnings: string[] };
  /** Whether a writer holds the vault's lock now (its lock file is there): an update being
   *  appended looks, until its trailer is in, like one a crash cut short. Absent: never. */
  writerActive?(): boolean;
  /** The first write of a new vault: refused when a vault is already there. */
  create(bytes: Uint8Array): { warnings: string[] };
  /** The backup the last write kept (its path, for messages), read with the same checks;
   *  null when there is none. */
  readBackup(): { file: string; bytes: Uint8Array } | null;
  /**
   * 'write': the writer lock, held across every read-modify-write. 'rotate': serialises
   * `rotate --due` runs (hooks can be slow), taken outside the writer lock. 'sync': serialises
   * `vault sync` runs (fetch and push included), also outside the writer lock. Waits up to
   * timeoutMs (default 10 s), then BusyError (exit 8).
   */
  lock(which: 'write' | 'rotate' | 'sync', timeoutMs?: number): Promise<VaultLock>;
  /** Copies of the vault at paths the user names (vault backup's target, vault upgrade's
   *  copy of the old file): 'link' is a symbolic link, whatever it points to. */
  copyKind(file: string): 'none' | 'link' | 'file';
  /** A copy's bytes, or null when there is none (a dangling link included). */
  readCopy(file: string): Uint8Array | null;
  /** Writes a copy crash-safely (temp file, sync, rename); `what` names it in errors. */
  writeCopy(file: string, bytes: Uint8Array, what: string): { warnings: string[] };
}

/**
 * How a use case gets the vault's keys: the unlock ladder of DESIGN.md (app/unlock.ts), which
 * keeps what it unlocked, so a command that opens the vault twice asks once.
 */
export interface Unlocker {
  readonly cache: UnlockCache | undefined;
  readonly keychain: Keychain | undefined;
  readonly explicitSource: PassphraseSource | undefined;
  readonly prompter: Prompter | undefined;
  /** The same ladder with the passphrase already known (read once, used twice). */
  withPassphrase(passphrase: string): Unlocker;
  /** The same ladder without the cached unlock (for `vault unlock --for` itself). */
  withoutCache(): Unlocker;
  /** The current passphrase, from the explicit source or the terminal. */
  passphrase(message?: string): Promise<string>;
  /** Drops the keys this process unlocked for a vault (they were replaced: recipient rm). */
  forget(vaultIdHex: string): void;
  /** The scope keys a slot of the file opens (v1: the data key as scope 0). */
  dataKey(parsed: FileHead): Promise<VaultKeys>;
}

/** A person answering questions on a terminal; absent when there is none. */
export interface Prompter {
  /** Echo off. With confirm, asks twice and insists they match. */
  passphrase(message: string, opts?: { confirm?: boolean }): Promise<string>;
  /** One secret value, echo off. */
  secret(message: string): Promise<string>;
  /** A private key, echo off: pasted whole (up to its PEM footer), or the path of its file. */
  privateKey(message: string): Promise<string>;
  confirm(message: string, defaultYes?: boolean): Promise<boolean>;
  /** One of several values. */
  choose(message: string, choices: { value: string; name: string }[]): Promise<string>;
  /** Any number of several values. */
  chooseMany(message: string, choices: { value: string; name: string }[]): Promise<string[]>;
  /** Shown while a slow step (key derivation) runs: a spinner, when the step lets it turn. */
  busy<T>(message: string, work: () => T | Promise<T>): Promise<T>;
}

/** A passphrase given explicitly: a file, a file descriptor, EXVAULT_PASSPHRASE_FILE. */
export interface PassphraseSource {
  describe: string;
  /** Set when the source is a file, so its permissions can be checked. */
  path?: string;
  read(): string;
}

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** Messages for the user that are not errors; only the CLI decides how to show them. */
export interface Notices {
  warn(message: string): void;
  info(message: string): void;
}

/** The OS keychain (platform/keychain.ts): keys by account, under the service "exvault". */
export interface Keychain {
  readonly backend: string;
  /** The stored key, or null when there is no such item. Throws KeychainUnavailable. */
  read(account: string): Promise<Uint8Array | null>;
  write(account: string, key: Uint8Array): Promise<void>;
  /** True when an item was deleted, false when there was none. */
  remove(account: string): Promise<boolean>;
}

/** The audit log, as the use cases that release secrets see it. */
export interface AuditLog {
  /**
   * Writes (and syncs) the record of a release and returns its sequence number. Called before
   * the secret leaves the process: when it throws, nothing may be released.
   */
  recordRelease(dataKey: Uint8Array, event: AuditEvent): Promise<number>;
}

/** The program `vault exec` runs: its file and its argv (argv[0] as typed). */
export interface Program {
  file: string;
  argv: string[];
}

/** Where `vault exec` finds and starts its program (platform/child.ts, wired by cli/). */
export interface ChildRunner {
  /** The program's file (PATH lookup), or why it cannot run; asked before the vault is unlocked. */
  find(command: string): { file: string } | { problem: 'not-found' | 'not-executable'; file: string };
  /**
   * Runs the program with this environment to its end and returns its exit status (128+N for
   * signal N). `secretVars` name the variables holding secrets, for masking its output;
   * masking, signals and grace are the runner's business.
   */
  run(program: Program, env: Record<string, string>, secretVars: string[]): Promise<number>;
  /** --no-wrapper: this process becomes the program; never returns. */
  replace(program: Program, env: Record<string, string>): never;
  /** exec --file: writes secrets as private files (platform/secret-files.ts) for the run;
   *  their paths by variable, and their removal. */
  secretFiles?(files: { name: string; value: string }[]): { paths: Record<string, string>; remove(): void };
}

/**
 * Keys unlocked by `vault unlock --for`, kept outside the process (the Linux kernel keyring)
 * until a timeout the store itself enforces. Keyed by vault id (hex); the bytes are whatever
 * the unlocker produced. Reads answer null when there is nothing usable (or no such store here).
 */
export interface UnlockCache {
  readonly where: string;
  read(vaultIdHex: string): Uint8Array | null;
  /** Throws KeychainError (exit 6) when the store is unavailable. */
  store(vaultIdHex: string, key: Uint8Array, seconds: number): void;
  drop(vaultIdHex: string): boolean;
}

/** A credential as the exchange adapters take it: whose it is, and its fields. */
export interface ExchangeCredential {
  exchange: ExchangeId;
  secrets: Record<string, Secret>;
}

/**
 * Asks an exchange, with the key itself and read-only endpoints, what the key can do and from
 * where (vault verify; platform/exchanges/). With sub-account rotation, the only network use.
 * Failures are ExchangeRefusedError (exit 12) or ExchangeUnreachableError (exit 13).
 */
export interface ExchangeVerifier {
  /** Why this exchange cannot be asked (no such endpoint, no testnet), or null when it can. */
  unavailable(exchange: ExchangeId): string | null;
  /** Refuses (UsageError) a run it cannot make as asked, before any key is used: --api-url
   *  with entries of several exchanges, --testnet for an exchange without one, a bad address. */
  prepare(exchanges: ExchangeId[]): void;
  verify(key: ExchangeCredential): Promise<KeyFacts>;
}

/** The old key a new sub-account key is made like. */
export interface OldKeyInfo {
  /** The sub-account (entry.account): Binance its e-mail, Bybit its uid, OKX and KuCoin its name. */
  account: string;
  permissions: string[];
  ips: string[];
  label?: string;
}

/** Sub-account keys made and deleted with a master key (vault rotate NAME --via MASTER). */
export interface ExchangeAdmin {
  /** Why this exchange's sub-account keys cannot be made by API, or null when they can. */
  unsupported(exchange: ExchangeId): string | null;
  /** A new key with the old one's permissions and IP allow-list; its fields ready to store. */
  createKeyLike(master: ExchangeCredential, old: OldKeyInfo): Promise<{ secrets: Record<string, Secret>; permissions: string[]; ips: string[] }>;
  /** Deletes a sub-account key; `secrets` are the old key's own (KuCoin needs its passphrase).
   *  A key the exchange no longer has counts as deleted (a rerun after a crash sends it again). */
  deleteKey(master: ExchangeCredential, old: { account: string; apiKey: string; secrets?: Record<string, Secret> }): Promise<void>;
}

/**
 * The git repository `vault sync` keeps beside the vault (platform/git-sync.ts): a bare
 * repository whose branch holds the vault file as last synced; `origin` is the remote.
 * Failures are SyncErrors (one line, exit 14), never git's own text.
 */
export interface SyncGit {
  readonly dir: string;
  exists(): boolean;
  init(): void;
  remoteUrl(): string | null;
  setRemote(url: string): void;
  removeRemote(): void;
  /** Fetches the remote's branch into its tracking ref; false when the remote has none yet. */
  fetch(): boolean;
  /** The commit a ref points at, or null. */
  rev(ref: string): string | null;
  /** Several refs at once (one call to git). */
  revs(refs: string[]): (string | null)[];
  mergeBase(a: string, b: string): string | null;
  /** The vault file in a commit, or null. */
  fileAt(commit: string): Uint8Array | null;
  /** A new commit holding this vault file, with these parents; returns its id. */
  commit(file: Uint8Array | readonly Uint8Array[], parents: string[], message: string): string;
  /** Points a ref at a commit (null: deletes it). Atomic. */
  setRef(ref: string, commit: string | null): void;
  push(commit: string): 'pushed' | 'rejected';
  /** Packs loose objects when many have piled up (best effort). */
  tidy(): void;
}
