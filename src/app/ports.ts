// What the use cases need from the outside world, so they can be driven by the CLI, by tests
// with in-memory fakes, and later by other front ends.

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

/**
 * Runs the program `vault exec` launches with this environment, to its end, and returns its
 * exit status (128+N for signal N). Masking, signals and grace are the runner's business.
 */
export type ChildRunner = (env: Record<string, string>) => Promise<number>;

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
