// The `vault exec --env-from` format (as `op run --env-file`): lines VAR=vault://entry/field are resolved
// from the vault; other VAR=value lines pass through as plain values. The file is read by
// dotenv's own parser, so a bot's .env means here what it means to the bot's dotenv: quotes,
// `export `, comments, multi-line quoted values, backticks, \n and \r in double quotes only.
import { parse as parseDotenv } from 'dotenv';
import { UsageError } from '../errors';
import { quoteForShellAndDotenv } from './env-quoting';
import { FieldRef } from './profile';

export type EnvFileLine = { name: string; ref: FieldRef } | { name: string; value: string };

const REF = /^vault:\/\/([a-z0-9][a-z0-9._-]{0,63})\/([A-Za-z][A-Za-z0-9_]{0,31})$/;

/** dotenv 16's line pattern (lib/main.js), used only to find the lines dotenv would skip. */
const DOTENV_LINE = /(?:^|^)\s*(?:export\s+)?([\w.-]+)(?:\s*=\s*?|:\s+?)(\s*'(?:\\'|[^'])*'|\s*"(?:\\"|[^"])*"|\s*`(?:\\`|[^`])*`|[^#\r\n]+)?\s*(?:#.*)?(?:$|$)/gm;

/** A value in double quotes, escaping what a double-quoted dotenv value can hold. The form
 *  older versions wrote; kept for the masking of values written this way (secret-encodings). */
export function quoteEnvValue(v: string): string {
  return `"${v.replace(/[\\"$]/g, '\\$&').replace(/\n/g, '\\n').replace(/\r/g, '\\r')}"`;
}

/** A form of v that dotenv reads back exactly (the shell too when it can), or null. */
export function quoteForDotenv(v: string): string | null {
  const candidates = [quoteForShellAndDotenv(v), `'${v}'`, `"${v.replace(/\n/g, '\\n').replace(/\r/g, '\\r')}"`, `\`${v}\``];
  for (const c of candidates) if (c !== null && parseDotenv(`K=${c}\n`).K === v) return c;
  return null;
}

/** The lines (from 1) holding text dotenv skips without a word: a typo there would be lost. */
function skippedLines(text: string): number[] {
  const covered = new Uint8Array(text.length);
  DOTENV_LINE.lastIndex = 0;
  for (let m = DOTENV_LINE.exec(text); m; m = DOTENV_LINE.exec(text)) {
    covered.fill(1, m.index, DOTENV_LINE.lastIndex);
    if (m[0].length === 0) DOTENV_LINE.lastIndex++;
  }
  const bad: number[] = [];
  let start = 0;
  text.split('\n').forEach((line, i) => {
    const t = line.trim();
    if (t && !t.startsWith('#')) {
      for (let j = 0; j < line.length; j++) {
        if (!/\s/.test(line[j]!) && !covered[start + j]) {
          bad.push(i + 1);
          break;
        }
      }
    }
    start += line.length + 1;
  });
  return bad;
}

/** Errors name the line number only: a plain value on a bad line may itself be a secret. */
export function parseEnvFile(text: string): EnvFileLine[] {
  // dotenv turns CR LF and lone CR into LF before parsing; line numbers count the same way.
  const normal = text.replace(/\r\n?/g, '\n');
  const bad = skippedLines(normal);
  if (bad.length) throw new UsageError(`line ${bad[0]} of the env file is not VAR=value`, ['the lines read as dotenv reads them: VAR=value, VAR="value", export VAR=value, # comments']);
  const out: EnvFileLine[] = [];
  for (const [name, value] of Object.entries(parseDotenv(normal))) {
    const ref = REF.exec(value);
    if (ref) out.push({ name, ref: { entry: ref[1]!, field: ref[2]! } });
    else if (value.startsWith('vault://')) badRef(normal, name);
    else out.push({ name, value });
  }
  return out;
}

function badRef(text: string, name: string): never {
  const line = text.split('\n').findIndex((l) => new RegExp(`^\\s*(export\\s+)?${name.replace(/[.]/g, '\\.')}\\s*[=:]`).test(l)) + 1;
  throw new UsageError(`${line > 0 ? `line ${line}` : name} of the env file has a malformed vault:// reference`, ['the form is VAR=vault://ENTRY/FIELD']);
}
