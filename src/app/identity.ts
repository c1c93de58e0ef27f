// A host's or person's own age X25519 identity (issue 16): made here, kept in the OS keychain
// (the default where one answers), in a file (servers without one), or handed in by systemd
// as a credential; offered to the unlock ladder for the vault's X25519 slots. Its recipient
// (public) is what the admin grants scopes to with `vault recipient add`.
//
// Where the ladder looks, in order (the first that names one explicitly wins alone):
//   1. EXVAULT_IDENTITY_FILE: that file only.
//   2. otherwise every one of: the systemd credential $CREDENTIALS_DIRECTORY/exvault-identity,
//      the keychain item (service "exvault", account "identity"), the default identity file;
//      each X25519 slot takes the identity whose recipient it names.
import { AgeIdentity, formatIdentityFile, MAX_IDENTITY_FILE_BYTES, parseIdentity, parseIdentityFile } from '../crypto/age-x25519';
import { KeychainError, NotFoundError, UsageError } from '../errors';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { printable } from '../domain/entry';
import { sharedFolderProblem } from '../platform/folder-trust';
import { readCapped } from '../platform/secret-input';
import { OpenedFile, openRegularFile } from '../storage/regular-file';
import { writeNewFileAtomic } from '../storage/identity-file';
import type { Keychain } from './ports';

/** The keychain account the identity is kept under (vault items are "<vault id>.<item id>"). */
export const IDENTITY_ACCOUNT = 'identity';
/** The credential name a systemd unit gives it (LoadCredentialEncrypted=exvault-identity:...). */
export const IDENTITY_CREDENTIAL = 'exvault-identity';

/** Where this process may find identities; the CLI fills it from the environment. */
export interface IdentityPlaces {
  /** EXVAULT_IDENTITY_FILE: when set, the only place looked at. */
  explicitFile?: string;
  /** $CREDENTIALS_DIRECTORY, set by systemd for a unit with LoadCredential(Encrypted)=. */
  credentialsDir?: string;
  keychain?: Keychain;
  /** The file `vault identity init --file` writes by default. */
  defaultFile: string;
  /** Whether a file is there (injected so the app layer does not probe the disk itself). */
  exists(file: string): boolean;
}

export interface FoundIdentity {
  identity: AgeIdentity;
  /** For messages: "the OS keychain", "systemd credential ...", a file path. */
  where: string;
}

/**
 * Reads an identity file (with the checks of a passphrase file) and returns its identity. A
 * FIFO or a device is refused at once (a FIFO would block until something writes to it; an
 * identity has no reason to come through one); `follow: false` refuses a symbolic link too.
 */
export function readIdentityFile(file: string, what = 'the identity file', follow = true): AgeIdentity {
  let opened: OpenedFile | null;
  try {
    opened = openRegularFile(file, fs.constants.O_RDONLY, what, { follow });
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`cannot open ${what} ${printable(file)} (${(err as NodeJS.ErrnoException).code ?? 'i/o error'})`);
  }
  if (!opened) throw new UsageError(`cannot open ${what} ${printable(file)} (ENOENT)`);
  let bytes: Buffer;
  try {
    bytes = readCapped(opened.fd, MAX_IDENTITY_FILE_BYTES, what, 'secret', file);
  } finally {
    fs.closeSync(opened.fd);
  }
  try {
    return parseIdentityFile(bytes.toString('utf8'));
  } finally {
    bytes.fill(0);
  }
}

async function fromKeychain(keychain: Keychain): Promise<AgeIdentity | null> {
  const bytes = await keychain.read(IDENTITY_ACCOUNT);
  if (!bytes) return null;
  try {
    return parseIdentity(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new UsageError('the identity kept in the OS keychain is not a valid age identity', ['remove the item (service exvault, account identity) and run: vault identity init']);
  } finally {
    bytes.fill(0);
  }
}

/**
 * Every identity this host has, in ladder order. A keychain that cannot be reached is passed
 * over (a server has none); a place that is there but unreadable or malformed is an error.
 */
export async function findIdentities(p: IdentityPlaces): Promise<FoundIdentity[]> {
  if (p.explicitFile) return [{ identity: readIdentityFile(p.explicitFile), where: p.explicitFile }];
  const found: FoundIdentity[] = [];
  if (p.credentialsDir !== undefined) {
    const dir = p.credentialsDir;
    // systemd always gives an absolute path; anything else was set by hand, by mistake.
    if (!path.isAbsolute(dir)) {
      throw new UsageError(`CREDENTIALS_DIRECTORY is ${dir ? `"${printable(dir)}", not an absolute path` : 'set but empty'}; refusing to look for the identity there`, ['systemd sets it to an absolute path for a unit with LoadCredential(Encrypted)=; unset it otherwise']);
    }
    const file = `${dir.replace(/\/+$/, '')}/${IDENTITY_CREDENTIAL}`;
    if (p.exists(file)) {
      // Others who can write the folder could have put the identity there (or swap it).
      const shared = sharedFolderProblem(dir);
      if (shared) throw new UsageError(`the systemd credential folder is refused: ${shared}`, ['systemd makes it owned by root or the service user, writable by no one else']);
      found.push({ identity: readIdentityFile(file, 'the systemd credential', false), where: `systemd credential ${file}` });
    }
  }
  if (p.keychain) {
    try {
      const id = await fromKeychain(p.keychain);
      if (id) found.push({ identity: id, where: 'the OS keychain' });
    } catch (err) {
      if (!(err instanceof KeychainError)) throw err;
    }
  }
  if (p.exists(p.defaultFile)) found.push({ identity: readIdentityFile(p.defaultFile), where: p.defaultFile });
  return found;
}

/** The first identity of the ladder and where it was; NotFoundError when there is none. */
export async function showIdentity(p: IdentityPlaces): Promise<{ recipient: string; where: string; others: number }> {
  const found = await findIdentities(p);
  try {
    const first = found[0];
    if (!first) throw new NotFoundError('this host has no identity yet', ['make one with: vault identity init', 'or name a file with --file PATH or EXVAULT_IDENTITY_FILE']);
    return { recipient: first.identity.recipient(), where: first.where, others: found.length - 1 };
  } finally {
    for (const f of found) f.identity.dispose();
  }
}

export type IdentityStore = { kind: 'keychain' } | { kind: 'file'; file: string } | { kind: 'auto'; file: string };

/**
 * Creates a new identity and keeps it: in the OS keychain, in a file, or ('auto') in the
 * keychain when one answers and else in the file. Never replaces one already there (a second
 * identity would lock this host out of every slot granted to the first).
 */
export async function initIdentity(store: IdentityStore, keychain: Keychain | undefined, now: Date): Promise<{ recipient: string; where: string; warnings: string[] }> {
  const id = AgeIdentity.generate();
  try {
    if (store.kind !== 'file') {
      const inKeychain = await keepInKeychain(id, keychain, store.kind === 'keychain');
      if (inKeychain) return { recipient: id.recipient(), where: 'the OS keychain', warnings: [] };
    }
    const file = (store as { file: string }).file;
    const text = Buffer.from(formatIdentityFile(id, now));
    try {
      const warnings = writeNewFileAtomic(file, text, 'the identity file');
      const why = store.kind === 'auto' ? ['no OS keychain answers here, so the identity is kept in a file (0600); on a server, a systemd credential keeps it encrypted at rest (see README)'] : [];
      return { recipient: id.recipient(), where: file, warnings: [...why, ...warnings] };
    } finally {
      text.fill(0);
    }
  } finally {
    id.dispose();
  }
}

/** True when kept; false when no keychain answers and `required` is not set. */
async function keepInKeychain(id: AgeIdentity, keychain: Keychain | undefined, required: boolean): Promise<boolean> {
  if (!keychain) {
    if (required) throw new KeychainError('no OS keychain on this platform', ['keep it in a file instead: vault identity init --file']);
    return false;
  }
  try {
    const there = await keychain.read(IDENTITY_ACCOUNT);
    if (there) {
      there.fill(0);
      throw new UsageError('an identity is already kept in the OS keychain; it was left as it is', ['see its recipient with: vault identity show', 'to make a file identity instead: vault identity init --file PATH']);
    }
  } catch (err) {
    if (err instanceof KeychainError && !required) return false;
    throw err;
  }
  const text = Buffer.from(id.format());
  try {
    await keychain.write(IDENTITY_ACCOUNT, text);
  } finally {
    text.fill(0);
  }
  return true;
}
