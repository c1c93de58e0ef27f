// What the use cases need from the outside world, so they can be driven by the CLI, by tests
// with in-memory fakes (test/unit/app/fakes.ts), and later by other front ends. Each use case
// takes its input and these, and returns its result; a use case whose exit status is more
// than "ok" (exec, check, rotate --due, doctor, scan) returns that status too, and failures
// are VaultErrors carrying theirs (errors.ts). Only cli/main.ts turns it into the process's.
import type { AuditEvent } from '../domain/audit-chain';
import type { StoreOptions } from '../storage/vault-store';
import type { Unlocker } from './unlock';

/** Everything a use case is given: the vault, how to unlock it, and the ports. */
export interface AppContext {
  vaultPath: string;
  /** How the vault file is read and written (storage/vault-store.ts). */
  store: StoreOptions;
  unlocker: Unlocker;
  clock: Clock;
  notices: Notices;
  /** Where releases are recorded before they happen (the file: app/audit-writer.ts). */
  audit: AuditLog;
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
}
