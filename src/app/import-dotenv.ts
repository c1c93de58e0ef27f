// vault import dotenv: read a bot's .env, turn its exchange keys into entries, and then deal
// with the plain-text file (rewrite it with vault:// references, or delete it).
import * as fs from 'node:fs';
import { parse } from 'dotenv';
import { UsageError } from '../errors';
import { groupDotenv, ImportGroup } from '../domain/dotenv-import';
import { quoteForDotenv } from '../domain/env-file';
import { defaultEnvName, envNameProblem } from '../domain/env-names';
import { ExchangeId } from '../domain/exchanges';
import { ImportedEntry } from '../domain/export-format';
import { Secret } from '../domain/secret';
import { readCapped } from '../platform/secret-input';
import { O_NOFOLLOW, syncAfterCommit, writeAll, writeFileAtomic } from '../storage/atomic-write';
import { storageError } from '../storage/io-error';
import * as path from 'node:path';

export interface DotenvPlan {
  groups: ImportGroup[];
  ignored: string[];
  items: ImportedEntry[];
  values: Record<string, string>;
}

export function planDotenvImport(file: string, entry?: string, exchange?: ExchangeId): DotenvPlan {
  // dotenv's parser: quotes, export prefixes, comments, CRLF and multi-line quoted values.
  const values = parse(readCapped(file, 1024 * 1024, '.env file'));
  const { groups, ignored } = groupDotenv(Object.keys(values), entry, exchange);
  if (!groups.length) throw new UsageError(`no exchange keys recognised in ${file}`, ['expected names such as BINANCE_API_KEY / BINANCE_API_SECRET, or apiKey / secret']);
  const items = groups.map((g) => {
    if (!g.name) throw new UsageError(`keys with prefix "${g.prefix || '(none)'}" need an entry name`, ['give one with --entry NAME']);
    if (!g.exchange) throw new UsageError(`cannot tell the exchange of ${g.name}`, ['give it with --exchange']);
    const secrets: Record<string, Secret> = {};
    for (const [field, v] of Object.entries(g.vars)) secrets[field] = new Secret(values[v]!);
    // The bot keeps reading the names it used, where they can be injection targets at all.
    const env = Object.fromEntries(Object.entries(g.vars).filter(([, v]) => envNameProblem(v) === null));
    return { name: g.name, exchange: g.exchange, meta: { env }, secrets };
  });
  return { groups, ignored, items, values };
}

/** Rewrites the file: imported variables become vault:// references for vault exec --env-from. */
export function rewriteWithRefs(file: string, plan: DotenvPlan): string[] {
  const ref = new Map<string, { entry: string; field: string }>();
  for (const g of plan.groups) for (const [field, v] of Object.entries(g.vars)) ref.set(v, { entry: g.name!, field });
  const lines = ['# Rewritten by vault import: run the bot with vault exec --env-from THIS_FILE -- ...'];
  for (const [k, v] of Object.entries(plan.values)) {
    const r = ref.get(k);
    if (!r) {
      // Written so that exec --env-from (dotenv's parser) reads back the value the bot had.
      const quoted = quoteForDotenv(v);
      if (quoted === null) throw new UsageError(`${k} cannot be written back so that dotenv reads the same value: the file was left as it is`, ['replace its keys with vault:// references by hand, or delete it']);
      lines.push(`${k}=${quoted}`);
    }
    else if (envNameProblem(k) === null) lines.push(`${k}=vault://${r.entry}/${r.field}`);
    else {
      // vault exec injects only upper-case names: the bot must read the default name instead.
      const name = defaultEnvName(r.entry, r.field);
      lines.push(`# ${k}: vault exec cannot inject this name; read ${name} instead`, `${name}=vault://${r.entry}/${r.field}`);
    }
  }
  return overwriteThenReplace(file, `${lines.join('\n')}\n`);
}

/** Overwrites the file's bytes with zeros, syncs, and removes it. (On SSDs and copy-on-write
 *  file systems the old blocks may survive: rotate keys that sat in plain text.) Returns
 *  warnings: the removal is done even when the folder could not be synced afterwards. */
export function destroyFile(file: string): string[] {
  zeroFill(file);
  try {
    fs.rmSync(file);
  } catch (err) {
    throw storageError(err, `${file} (removing it)`, 'it holds zeros now; the keys are in the vault');
  }
  return syncAfterCommit(path.dirname(file), `the removal of ${file}`);
}

function zeroFill(file: string): void {
  try {
    const fd = fs.openSync(file, fs.constants.O_WRONLY | O_NOFOLLOW);
    try {
      const size = fs.fstatSync(fd).size;
      writeAll(fd, Buffer.alloc(size), 0);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch (err) {
    throw storageError(err, `zeros over ${file}`, 'it may be partly overwritten; the keys are in the vault');
  }
}

/**
 * The new text goes to a complete temp file first; only then are the old bytes zeroed and the
 * temp renamed over them, with the file's mode set on the temp (never on the path afterwards).
 */
function overwriteThenReplace(file: string, text: string): string[] {
  const mode = fs.statSync(file).mode & 0o777;
  return writeFileAtomic(file, Buffer.from(text), { mode, what: file, beforeCommit: () => zeroFill(file) }).warnings;
}
