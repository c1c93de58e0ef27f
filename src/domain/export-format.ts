// The shapes `vault export` writes and `vault import json` reads back.
import { parse as parseDotenv } from 'dotenv';
import { UsageError } from '../errors';
import { Entry, printable } from './entry';
import { dockerEnvProblem, quoteForShellAndDotenv } from './env-quoting';
import { defaultEnvName } from './env-names';
import { isExchangeId } from './exchanges';
import { Secret } from './secret';
import { readShEnv } from './sh-env-reader';

export const EXPORT_FORMAT = 'exvault-export';

export function exportJson(entries: Entry[]): string {
  const out = entries.map((e) => {
    const secrets: Record<string, string> = {};
    for (const [k, v] of Object.entries(e.secrets)) secrets[k] = v.reveal();
    return { name: e.name, exchange: e.exchange, label: e.label, account: e.account, permissions: e.permissions, ips: e.ips, expires: e.expires, notes: e.notes, env: e.env, secrets };
  });
  return `${JSON.stringify({ format: EXPORT_FORMAT, version: 1, entries: out }, null, 2)}\n`;
}

/**
 * VAR='value' lines under the names `vault exec` would use, read back exactly by a POSIX
 * shell (`set -a; . ./file`: nothing in them runs) and by dotenv. `docker`: VAR=value with
 * no quoting at all, as `docker run --env-file` reads it. A value one of them cannot carry
 * is an error naming the field: a file that reads back different is worse than none.
 */
export function exportEnv(entries: Entry[], style: 'env' | 'docker' = 'env'): string {
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

/** Reads an export; errors name the entry or position, never a value. */
export function parseExportJson(text: string): ImportedEntry[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new UsageError('the file is not valid JSON');
  }
  const o = raw as { format?: unknown; version?: unknown; entries?: unknown };
  if (o?.format !== EXPORT_FORMAT || o.version !== 1 || !Array.isArray(o.entries)) throw new UsageError('the file is not an exvault export (format exvault-export, version 1)');
  return o.entries.map((x: unknown, i: number) => {
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
  });
}
