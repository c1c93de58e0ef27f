// Every failure the CLI can report. Each class has a stable code and exit status
// (documented in README.md); messages name entries, paths and counts, never values.

export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  auth: 3,
  notFound: 4,
  corrupt: 5,
  keychain: 6,
  needTerminal: 7,
  busy: 8,
  storage: 9,
  /** vault check, rotate --due: a key is due soon. */
  dueSoon: 10,
  /** vault check, rotate --due: a key is overdue or expired. */
  overdue: 11,
  /** vault verify, sub-account rotation: the exchange refused the key or the request. */
  exchangeRefused: 12,
  /** vault verify, sub-account rotation: the exchange did not answer (in time), or not as documented. */
  exchangeUnreachable: 13,
  /** vault sync, vault remote: git or the remote failed, or the merge needs a person first;
   *  nothing was changed locally (or what was committed locally is said). */
  sync: 14,
  /** vault sync: done, but an entry (or a setting) changed on both sides; both versions kept. */
  syncConflict: 15,
  /** vault exec: the program exists but cannot be executed. */
  notExecutable: 126,
  /** vault exec: no such program. */
  commandNotFound: 127,
  /** vault exec: the program was killed by signal N, status 128 + N. */
  signalBase: 128,
  /** Ctrl-C or Esc at a prompt (128 + SIGINT). */
  cancelled: 130,
} as const;

export class VaultError extends Error {
  readonly code: string = 'failure';
  readonly exitCode: number = EXIT.failure;
  readonly hints: string[];

  constructor(message: string, hints: string[] = []) {
    super(message);
    this.name = new.target.name;
    this.hints = hints;
  }
}

export class UsageError extends VaultError {
  override readonly code = 'usage';
  override readonly exitCode = EXIT.usage;
}

/** Wrong passphrase and a tampered file are one error on purpose: an AEAD cannot tell them apart. */
export class AuthError extends VaultError {
  override readonly code = 'auth';
  override readonly exitCode = EXIT.auth;
  constructor(hints: string[] = []) {
    super('wrong passphrase, or the vault file was modified', hints);
  }
}

/** This host has an identity, but no slot of the vault names it (revoked, or never added):
 *  exit 3, as a key that does not open the vault. */
export class IdentityNotGrantedError extends VaultError {
  override readonly code = 'auth';
  override readonly exitCode = EXIT.auth;
}

export class NotFoundError extends VaultError {
  override readonly code = 'not-found';
  override readonly exitCode = EXIT.notFound;
}

export class CorruptError extends VaultError {
  override readonly code = 'corrupt';
  override readonly exitCode = EXIT.corrupt;
}

/** A write to a vault in a format this exvault reads but no longer writes (exit 5, unsupported). */
export class UpgradeNeededError extends VaultError {
  override readonly code = 'upgrade-needed';
  override readonly exitCode = EXIT.corrupt;
}

export class KeychainError extends VaultError {
  override readonly code = 'keychain';
  override readonly exitCode = EXIT.keychain;
}

export type KeychainProblem = 'no-session' | 'not-running' | 'locked' | 'timeout' | 'failed';

/** The keychain could not be asked at all; `reason` says why in words (platform/keychain.ts). */
export class KeychainUnavailable extends KeychainError {
  constructor(
    readonly problem: KeychainProblem,
    readonly reason: string,
  ) {
    super(`the OS keychain is unavailable: ${reason}`);
  }
}
/** The Linux kernel keyring of `vault unlock --for`: unavailable or failing (exit 6, as the keychain). */
export class KeyringError extends KeychainError {}

export class NeedTerminalError extends VaultError {
  override readonly code = 'need-terminal';
  override readonly exitCode = EXIT.needTerminal;
}

export class BusyError extends VaultError {
  override readonly code = 'busy';
  override readonly exitCode = EXIT.busy;
}

/**
 * A file could not be written: disk full, quota, read-only file system, I/O error, no
 * permission. The message names what could not be written and what is unchanged.
 */
export class StorageError extends VaultError {
  override readonly code = 'storage';
  override readonly exitCode = EXIT.storage;
  /** What could not be written and why, without what it left unchanged (callers that know better say that). */
  readonly problem: string;

  constructor(problem: string, unchanged: string, hints: string[] = []) {
    super(`${problem}: ${unchanged}`, hints);
    this.problem = problem;
  }
}

/** A vault derived with several Argon2id lanes, on a machine where only the one-lane
 *  WebAssembly fallback loaded: nothing here can open it until the native module loads. */
export class LanesUnsupportedError extends StorageError {
  constructor(lanes: number) {
    super(`this vault's key derivation uses ${lanes} lanes, which needs the native Argon2id (@node-rs/argon2), and it did not load here`, 'nothing was changed', [
      'reinstall exvault so that its prebuilt @node-rs/argon2 for this platform is installed (vault doctor says which Argon2id is in use)',
    ]);
  }
}

/** The audit record could not be written, so nothing was released. */
export class AuditError extends VaultError {
  override readonly code = 'audit';
  override readonly exitCode = EXIT.failure;
}

/** A rotate or revoke hook failed; the vault is as it was before that step. */
export class RotationError extends VaultError {
  override readonly code = 'rotation';
}

/**
 * The exchange answered and refused: a bad signature, an unknown or deleted key, an IP not on
 * the key's allow-list, a permission the key lacks. The message names the exchange and its
 * error code, never the response body (exchanges echo the signed text and the signature).
 */
export class ExchangeRefusedError extends VaultError {
  override readonly code = 'exchange-refused';
  override readonly exitCode = EXIT.exchangeRefused;

  /** The exchange's own error code, when it gave one (never shown beyond the message). */
  constructor(message: string, hints: string[] = [], readonly exchangeCode?: string) {
    super(message, hints);
  }
}

/** The exchange could not be reached, did not answer within the timeout, or answered in a shape
 *  its documentation does not describe. Nothing was changed. */
export class ExchangeUnreachableError extends VaultError {
  override readonly code = 'exchange-unreachable';
  override readonly exitCode = EXIT.exchangeUnreachable;
}

/** vault exec: the program cannot be started; the status is the one a shell would give. */
export class ProgramNotRunnableError extends VaultError {
  override readonly code = 'program';
  constructor(
    message: string,
    override readonly exitCode: typeof EXIT.commandNotFound | typeof EXIT.notExecutable,
  ) {
    super(message);
  }
}

/** The person pressed Ctrl-C or Esc at a prompt. */
export class CancelledError extends VaultError {
  override readonly code = 'cancelled';
  override readonly exitCode = EXIT.cancelled;
  constructor() {
    super('cancelled');
  }
}

/** vault sync / vault remote: git or the remote refused or failed (one line, never git's own
 *  text); what is unchanged locally is in the message. */
export class SyncError extends VaultError {
  override readonly code = 'sync';
  override readonly exitCode = EXIT.sync;
}

/** vault sync: the two sides changed the vault's keys or slots in ways only a person can
 *  reconcile; nothing was changed. */
export class MergeRefused extends SyncError {}
