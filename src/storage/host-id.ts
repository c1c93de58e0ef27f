// This host's name in the audit chains (issue 16): a random id made once per user and host,
// kept beside the identity in the config folder, with the host name it was made under. Each
// host keeps its own audit chain, tagged with this id; a log and head found tagged with
// another id were copied here (with the vault), so this host starts a chain of its own.
import envPaths from 'env-paths';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { writeNewFileAtomic } from './identity-file';

export interface HostInfo {
  /** 32 hex characters, random, for the life of this user's config folder. */
  id: string;
  /** The host name when the id was made (or EXVAULT_HOST_NAME then): a label for people. */
  name: string;
}

export const HOST_FILE_NAME = 'host.json';
const NAME = /^[\x21-\x7e]{1,64}$/;

export function defaultHostFile(): string {
  return path.join(envPaths('exvault', { suffix: '' }).config, HOST_FILE_NAME);
}

function parse(text: string): HostInfo | null {
  try {
    const o = JSON.parse(text) as Partial<HostInfo>;
    if (typeof o.id === 'string' && /^[0-9a-f]{32}$/.test(o.id) && typeof o.name === 'string' && NAME.test(o.name)) return { id: o.id, name: o.name };
  } catch {
    // falls through
  }
  return null;
}

/** A label usable in a record: printable ASCII, no spaces, at most 64 characters. */
export function hostLabel(name: string): string {
  const clean = name.replace(/[^\x21-\x7e]/g, '-').slice(0, 64);
  return clean || 'host';
}

/**
 * The host's id, made on first use (never replaced: the chain it tags would look copied).
 * A damaged file is not repaired silently: the caller gets null and keeps the old behaviour
 * (an untagged chain), and `vault doctor` can say why.
 */
export function loadHostInfo(file: string, nameWhenNew = os.hostname()): HostInfo | null {
  try {
    return parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return null;
  }
  const made: HostInfo = { id: randomBytes(16).toString('hex'), name: hostLabel(nameWhenNew) };
  try {
    writeNewFileAtomic(file, Buffer.from(`${JSON.stringify(made)}\n`), 'the host id file');
    return made;
  } catch {
    // Another process made it first, or the folder cannot be written: read what is there.
    try {
      return parse(fs.readFileSync(file, 'utf8'));
    } catch {
      return null;
    }
  }
}
