// Where a host's or person's age identity is kept, and how it is written: in a 0700 folder,
// 0600, never over an existing one (a second `identity init` would lock this host out of
// every slot granted to the first).
import envPaths from 'env-paths';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UsageError } from '../errors';
import { removeQuietly, syncAfterCommit, tempPathFor, writeNewFile } from './atomic-write';
import { storageError } from './io-error';

export const IDENTITY_FILE_NAME = 'identity.txt';

/** The platform's config folder (XDG_CONFIG_HOME on Linux), as the data folder is found. */
export function defaultIdentityPath(): string {
  return path.join(envPaths('exvault', { suffix: '' }).config, IDENTITY_FILE_NAME);
}

/**
 * Writes `text` to `file` whole or not at all, refusing to replace a file already there: the
 * bytes go to a temporary file first, which is then hard-linked to the name (link never
 * replaces, unlike rename).
 */
export function writeNewFileAtomic(file: string, text: Uint8Array, what: string): string[] {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (fs.existsSync(file)) throw new UsageError(`${what} ${file} already exists; it was left as it is`, ['to make a new one, give another path with --file, or move the old one away first']);
  const tmp = tempPathFor(file);
  try {
    writeNewFile(tmp, text, { mode: 0o600, sync: true });
    fs.linkSync(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new UsageError(`${what} ${file} already exists; it was left as it is`);
    throw storageError(err, what, 'nothing was written');
  } finally {
    removeQuietly(tmp);
  }
  return syncAfterCommit(dir, what);
}
