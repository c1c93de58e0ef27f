// Turns the global options into the use cases' context: where the vault is, how to unlock it,
// whether a person can be asked. Nothing here is passed through process.env.
import { UsageError } from '../errors';
import { AppContext, PassphraseSource, systemClock } from '../app/ports';
import { Unlocker } from '../app/unlock';
import { findIdentities, IdentityPlaces } from '../app/identity';
import { fileAuditLog } from '../app/audit-writer';
import { fileRunRegistry } from '../app/runs';
import { kernelUnlockCache } from '../app/unlock-cache';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { defaultHostFile, HostInfo, loadHostInfo } from '../storage/host-id';
import { resolveVaultPath } from '../storage/paths';
import { defaultIdentityPath } from '../storage/identity-file';
import { fileVaultStore } from '../storage/file-vault-store';
import { osKeychain } from '../platform/keychain';
import { readPassphrase } from '../platform/secret-input';
import type { AgeIdentity } from '../crypto/age-x25519';
import { stdinIsTerminal } from '../platform/terminal';
import { TerminalPrompter } from './prompt';
import { info, noteVaultChanged, warn } from './render';

export interface GlobalOptions {
  vault?: string;
  passphraseFile?: string;
  passphraseFd?: string;
  allowSymlink?: boolean;
  color?: boolean;
  quiet?: boolean;
  debug?: boolean;
}

export function parseFd(text: string, flag: string): number {
  if (!/^\d{1,4}$/.test(text)) throw new UsageError(`${flag} takes a file descriptor number`);
  return Number(text);
}

/** A passphrase from a file or a descriptor; at most one may be given. */
export function passphraseSource(file: string | undefined, fd: string | undefined, flags: [string, string], envFile?: string): PassphraseSource | undefined {
  if (file && fd) throw new UsageError(`give ${flags[0]} or ${flags[1]}, not both`);
  if (file === '-') {
    let cached: string | undefined;
    // Standard input can be read only once; the passphrase it gave is reused.
    return { describe: 'standard input', read: () => (cached ??= readPassphrase('-')) };
  }
  // Read once per process, as a descriptor is: a FIFO (a process writing the passphrase into
  // it) gives it once, and a second open would wait for a writer forever.
  const once = (p: string): PassphraseSource => {
    let cached: string | undefined;
    return { describe: p, path: p, read: () => (cached ??= readPassphrase(p)) };
  };
  if (file) return once(file);
  if (fd !== undefined) {
    const n = parseFd(fd, flags[1]);
    let cached: string | undefined;
    // A descriptor can be read only once; the passphrase it gave is reused.
    return { describe: `file descriptor ${n}`, read: () => (cached ??= readPassphrase(n)) };
  }
  if (envFile) return once(envFile);
  return undefined;
}

/** Where this host's identities are, from the environment (app/identity.ts has the order):
 *  EXVAULT_IDENTITY_FILE alone when set; else a systemd credential, the OS keychain item and
 *  the default file, each when present. Read only when a vault has an X25519 slot. */
export function identityPlaces(keychain = osKeychain()): IdentityPlaces {
  return {
    ...(process.env.EXVAULT_IDENTITY_FILE && { explicitFile: process.env.EXVAULT_IDENTITY_FILE }),
    // Set but empty or relative is refused there, not passed over.
    ...(process.env.CREDENTIALS_DIRECTORY !== undefined && { credentialsDir: process.env.CREDENTIALS_DIRECTORY }),
    keychain,
    defaultFile: defaultIdentityPath(),
    exists: (file) => fs.existsSync(file),
  };
}

function identitySource(places: IdentityPlaces): { identities: () => Promise<AgeIdentity[]> } {
  // Looked up once per process however many X25519 slots ask (the keychain is a D-Bus call).
  let found: Promise<AgeIdentity[]> | undefined;
  return { identities: () => (found ??= findIdentities(places).then((list) => list.map((f) => f.identity))) };
}

/** One run of the CLI, handed to the commands as a value by the composition root (main.ts). */
export interface Invocation {
  /** vault exec's program and its arguments: everything after "--", split off before option parsing. */
  childArgv: string[];
  /** The exit status the command's use case returned (exec, check, rotate --due, doctor, scan); 0 otherwise. */
  status: number;
}

export function makeContext(g: GlobalOptions, opts: { interactive?: boolean } = {}): AppContext {
  const explicit = passphraseSource(g.passphraseFile, g.passphraseFd, ['--passphrase-file', '--passphrase-fd'], process.env.EXVAULT_PASSPHRASE_FILE || undefined);
  const prompter = opts.interactive !== false && stdinIsTerminal() ? new TerminalPrompter() : undefined;
  const notices = opts.interactive === false ? { warn: () => undefined, info: () => undefined } : { warn, info };
  const vaultPath = resolveVaultPath(g.vault, process.env);
  let me: HostInfo | null | undefined;
  // Made on the first authenticated audit record, not by every command.
  const host = () => (me === undefined ? (me = loadHostInfo(defaultHostFile(), process.env.EXVAULT_HOST_NAME || os.hostname())) : me);
  return {
    vaultPath,
    vault: reportingChanges(fileVaultStore(vaultPath, { allowSymlink: Boolean(g.allowSymlink) })),
    unlocker: new Unlocker({ ...(explicit && { explicit }), ...(prompter && { prompter }), keychain: osKeychain(), notices, cache: kernelUnlockCache, ...identitySource(identityPlaces()) }),
    clock: systemClock,
    notices,
    audit: fileAuditLog(vaultPath, systemClock, host),
    host,
    runs: fileRunRegistry(vaultPath, systemClock),
  };
}

/** The store, telling the output layer when the vault file was written: a report that fails
 *  afterwards then says the change was made (exit 9 either way). */
function reportingChanges(store: ReturnType<typeof fileVaultStore>): ReturnType<typeof fileVaultStore> {
  return {
    ...store,
    write: (bytes) => {
      const r = store.write(bytes);
      noteVaultChanged();
      return r;
    },
    append: (...args) => {
      const r = store.append(...args);
      noteVaultChanged();
      return r;
    },
    create: (bytes) => {
      const r = store.create(bytes);
      noteVaultChanged();
      return r;
    },
  };
}
