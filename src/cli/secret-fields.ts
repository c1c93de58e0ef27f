// Reading an entry's secret fields: JSON from --from-file or stdin, a PEM file, or prompts
// with echo off. Never from the command line. Errors name fields and files, never values.
import { NeedTerminalError, UsageError } from '../errors';
import { EXCHANGES, ExchangeId, fieldTitle, promptFields } from '../domain/exchanges';
import { MAX_VALUE_BYTES, printable } from '../domain/entry';
import { Secret } from '../domain/secret';
import { Prompter } from '../app/ports';
import { readCapped } from '../platform/secret-input';
import { stdinIsTerminal } from '../platform/terminal';

const MAX_JSON_BYTES = 1024 * 1024;
/** Names other tools use (CCXT's secret and password) for our standard fields. */
const ALIASES: Record<string, string> = { key: 'apiKey', secret: 'apiSecret', password: 'passphrase' };

/** JSON white space, then the colon that makes a string a key. */
const COLON = /[ \t\r\n]*:/y;

/**
 * The keys of the outermost object of a text JSON.parse has accepted, in order, duplicates
 * kept: a walk that skips strings and counts brackets, so a key is a string at depth 1
 * followed by a colon.
 */
export function topLevelKeys(text: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      COLON.lastIndex = j + 1;
      if (depth === 1 && COLON.test(text)) keys.push(JSON.parse(text.slice(i, j + 1)) as string);
      i = j;
    } else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
  }
  return keys;
}

export function parseSecretJson(text: string, source: string, exchange?: ExchangeId): Record<string, Secret> {
  let raw: unknown;
  // Notepad starts a UTF-8 file with a byte order mark, which JSON.parse refuses.
  if (text.startsWith('\ufeff')) text = text.slice(1);
  try {
    raw = JSON.parse(text);
  } catch {
    throw new UsageError(`the secret fields in ${source} are not valid JSON`, ['expected an object such as {"apiKey": "...", "apiSecret": "..."}']);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new UsageError(`the secret fields in ${source} must be a JSON object`);
  // JSON.parse keeps the last of two equal keys without a word: the first value would be lost.
  const keys = new Set<string>();
  for (const k of topLevelKeys(text)) {
    if (keys.has(k)) throw new UsageError(`field ${printable(k).slice(0, 32)} is given twice in ${source}`);
    keys.add(k);
  }
  const out: Record<string, Secret> = {};
  for (const [k, v] of Object.entries(raw)) {
    const field = (exchange && EXCHANGES[exchange].keyFileFields?.[k]) ?? ALIASES[k] ?? k;
    if (typeof v !== 'string') throw new UsageError(`field ${field.slice(0, 32)} in ${source} must be a string`);
    if (field in out) throw new UsageError(`field ${field} is given twice in ${source}`);
    out[field] = new Secret(v);
  }
  return out;
}

export interface SecretFlags {
  fromFile?: string;
  privateKeyFile?: string;
  /** Fields not to prompt for (provided another way). */
  skip?: string[];
}

/** Refuses `--passphrase-file -` when the secret JSON comes from standard input unasked (add's
 *  `< key.json`): one of them would read the other's bytes (the JSON taken as the passphrase). */
export function checkStdinOnce(flags: SecretFlags, passphraseFile: string | undefined): void {
  if (passphraseFile === '-' && !flags.fromFile && !stdinIsTerminal()) {
    throw new UsageError('"-" (standard input) is given twice, and it can be read only once: --passphrase-file - and the secret JSON on standard input', ['give one of them a file (--from-file PATH, or --passphrase-file PATH)']);
  }
}

export async function readSecretFields(exchange: ExchangeId, flags: SecretFlags, prompter: Prompter | undefined): Promise<Record<string, Secret>> {
  let fields: Record<string, Secret> = {};
  const fromStdin = flags.fromFile === '-' || (!flags.fromFile && !stdinIsTerminal());
  if (flags.fromFile && flags.fromFile !== '-') {
    fields = parseSecretJson(readCapped(flags.fromFile, MAX_JSON_BYTES, 'secret file').toString('utf8'), flags.fromFile, exchange);
  } else if (fromStdin) {
    const text = readCapped(0, MAX_JSON_BYTES, 'secret JSON').toString('utf8');
    if (text.trim()) fields = parseSecretJson(text, 'standard input', exchange);
  }
  if (flags.privateKeyFile) {
    if ('privateKey' in fields) throw new UsageError('privateKey is given twice (JSON and --private-key-file)');
    // Kept byte for byte: PEM line breaks and the final newline matter to some libraries.
    fields.privateKey = new Secret(readCapped(flags.privateKeyFile, MAX_VALUE_BYTES, 'private key file').toString('utf8'));
  }
  if (Object.keys(fields).length > 0 || fromStdin || flags.fromFile) {
    if (Object.keys(fields).length === 0) {
      throw new NeedTerminalError('no secret fields were given', ['pipe them as JSON on standard input, use --from-file PATH, or run in a terminal to be asked']);
    }
    return fields;
  }
  if (!prompter) throw new NeedTerminalError('no secret fields were given and there is no terminal to ask for them');
  for (const field of promptFields(exchange).filter((f) => !flags.skip?.includes(f))) {
    // A pasted key is read whole, up to its PEM footer, so no line of it reaches the shell.
    const value = field === 'privateKey' ? await prompter.privateKey(fieldTitle(exchange, field)) : await prompter.secret(fieldTitle(exchange, field));
    fields[field] = new Secret(value);
  }
  return fields;
}
