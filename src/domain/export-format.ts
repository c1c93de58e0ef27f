// The shapes `vault export` writes and `vault import json` reads back.
import { parse as parseDotenv } from 'dotenv';
import { CorruptError, UsageError } from '../errors';
import { configFromPlain, profileFromPlain, VaultConfig } from './document';
import { ENTRY_NAME, Entry, printable } from './entry';
import { entryFromPlain, entryToPlain } from './entry-codec';
import { Profile } from './profile';
import { dockerEnvProblem, quoteForShellAndDotenv } from './env-quoting';
import { defaultEnvName } from './env-names';
import { isExchangeId } from './exchanges';
import { Secret } from './secret';
import { readShEnv } from './sh-env-reader';

export const EXPORT_FORMAT = 'exvault-export';
/** 1: entries' current keys and metadata only. 2: everything a vault holds but its audit log:
 *  each entry whole (created, rotation schedule and hooks, earlier versions), and with --all
 *  the profiles and vault settings, so export then import is a migration that loses nothing. */
export const EXPORT_VERSION = 2;

export interface ExportBundle {
  entries: Entry[];
  /** Present for a whole-vault export. */
  profiles?: Profile[];
  config?: VaultConfig;
  /** The scope of each entry that is not in the default scope, by name. */
  scopes?: Map<string, string>;
}

export function exportJson(b: ExportBundle): string {
  // An entry in the default scope carries no "scope": an export of a vault without scopes is as before.
  const entries = [...b.entries].sort((x, y) => (x.name < y.name ? -1 : 1)).map((e) => {
    const scope = b.scopes?.get(e.name);
    return scope === undefined ? entryToPlain(e) : { ...entryToPlain(e), scope };
  });
  const profiles = b.profiles && [...b.profiles].sort((x, y) => (x.name < y.name ? -1 : 1));
  return `${JSON.stringify({ format: EXPORT_FORMAT, version: EXPORT_VERSION, entries, profiles, config: b.config }, null, 2)}\n`;
}

/**
 * VAR='value' lines under the names `vault exec` would use, read back exactly by a POSIX
 * shell (`set -a; . ./file`: nothing in them runs) and by dotenv. `docker`: VAR=value with
 * no quoting at all, as `docker run --env-file` reads it. A value one of them cannot carry
 * is an error naming the field: a file that reads back different is worse than none.
 */
export function exportEnv({ entries }: ExportBundle, style: 'env' | 'docker' = 'env'): string {
  const lines: string[] = [];
  const wrote: { name: string; value: string; what: string }[] = [];
  for (const e of entries) {
    lines.push(`# ${e.name} (${e.exchange})`);
    for (const [field, v] of Object.entries(e.secrets).sort(([a], [b]) => (a < b ? -1 : 1))) {
      const value = v.reveal();
      const name = e.env[field] ?? defaultEnvName(e.name, field);
      if (style === 'docker') {
        const problem = dockerEnvProblem(value);
        if (problem) throw new UsageError(`${e.name}.${field} ${problem} and cannot be written for docker --env-file`, ['use --format env (a shell or dotenv reads it) or --format json']);
        lines.push(`${name}=${value}`);
      } else {
        const quoted = quoteForShellAndDotenv(value);
        if (quoted === null) throw new UsageError(`${e.name}.${field} cannot be written so that both a shell and dotenv read it back exactly`, ['it holds a carriage return, a NUL, a final backslash, or a single quote together with " \\ $ or a backtick', 'use --format json']);
        lines.push(`${name}=${quoted}`);
        wrote.push({ name, value, what: `${e.name}.${field}` });
      }
    }
  }
  const text = `${lines.join('\n')}\n`;
  // Read the whole file back as sh and dotenv will (a value can change how the next line
  // reads): the last value each name gets must be the one written last under it.
  if (style === 'env') {
    const sh = readShEnv(text);
    const dotenv = parseDotenv(text);
    const last = new Map(wrote.map((w) => [w.name, w]));
    for (const w of last.values()) {
      if (sh.get(w.name) !== w.value || dotenv[w.name] !== w.value) throw new UsageError(`${w.what} cannot be written so that both a shell and dotenv read it back exactly`, ['use --format json']);
    }
  }
  return text;
}

export interface ImportedEntry {
  name: string;
  exchange: Entry['exchange'];
  meta: { label?: string; account?: string; permissions?: string[]; ips?: string[]; expires?: string; notes?: string; env?: Record<string, string> };
  secrets: Record<string, Secret>;
}

/** A parsed export: version 1 gives what buildEntry takes; version 2 whole entries. */
export type ParsedExport = { version: 1; items: ImportedEntry[] } | { version: 2; entries: Entry[]; profiles: Profile[]; config?: VaultConfig; scopes: Map<string, string> };

/** Reads an export; errors name the entry or position, never a value. */
export function parseExportJson(text: string): ParsedExport {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new UsageError('the file is not valid JSON');
  }
  const o = raw as { format?: unknown; version?: unknown; entries?: unknown; profiles?: unknown; config?: unknown };
  if (o?.format !== EXPORT_FORMAT || (o.version !== 1 && o.version !== 2) || !Array.isArray(o.entries)) throw new UsageError('the file is not an exvault export (format exvault-export, version 1 or 2)');
  if (o.version === 1) return { version: 1, items: o.entries.map(importedV1) };
  // The vault body's own readers check each part; their error (exit 5, "vault body") is
  // restated as a usage error naming the part.
  const scopes = new Map<string, string>();
  const entries = o.entries.map((x: unknown, i: number) => {
    const { scope, ...plain } = (typeof x === 'object' && x !== null ? x : {}) as Record<string, unknown>;
    const e = shaped(`entry ${i + 1}`, () => entryFromPlain(typeof x === 'object' && x !== null ? plain : x));
    if (scope !== undefined) {
      if (typeof scope !== 'string' || !ENTRY_NAME.test(scope)) throw new UsageError(`${e.name}: "${printable(String(scope).slice(0, 64))}" is not a valid scope name`);
      scopes.set(e.name, scope);
    }
    return e;
  });
  if (o.profiles !== undefined && !Array.isArray(o.profiles)) throw new UsageError('the profiles of the export are not a list');
  const profiles = ((o.profiles ?? []) as unknown[]).map((x, i) => shaped(`profile ${i + 1}`, () => profileFromPlain(x)));
  const config = o.config === undefined ? undefined : shaped('the settings', () => configFromPlain(o.config));
  return { version: 2, entries, profiles, ...(config && { config }), scopes };
}

function shaped<T>(what: string, read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof CorruptError) throw new UsageError(`${what} of the export is not in the expected shape`);
    throw err;
  }
}

function importedV1(x: unknown, i: number): ImportedEntry {
  const e = x as Record<string, unknown>;
  const where = `entry ${i + 1}`;
  if (typeof e?.name !== 'string' || typeof e.exchange !== 'string' || !isExchangeId(e.exchange)) throw new UsageError(`${where} has no valid name or exchange`);
  if (typeof e.secrets !== 'object' || e.secrets === null) throw new UsageError(`${printable(e.name)} has no secrets`);
  const secrets: Record<string, Secret> = {};
  for (const [k, v] of Object.entries(e.secrets as object)) {
    if (typeof v !== 'string') throw new UsageError(`${printable(e.name)}: field ${k.slice(0, 32)} is not a string`);
    secrets[k] = new Secret(v);
  }
  const str = (k: string) => (typeof e[k] === 'string' ? (e[k] as string) : undefined);
  const list = (k: string) => (Array.isArray(e[k]) ? (e[k] as unknown[]).map(String) : undefined);
  const meta: ImportedEntry['meta'] = {};
  for (const k of ['label', 'account', 'expires', 'notes'] as const) if (str(k) !== undefined) meta[k] = str(k);
  for (const k of ['permissions', 'ips'] as const) if (list(k)) meta[k] = list(k);
  if (e.env && typeof e.env === 'object') meta.env = Object.fromEntries(Object.entries(e.env as object).map(([k, v]) => [k, String(v)]));
  return { name: e.name, exchange: e.exchange, meta, secrets };
}
