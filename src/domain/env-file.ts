// The --env-file format (as `op run --env-file`): lines VAR=vault://entry/field are resolved
// from the vault; other VAR=value lines pass through as plain values. Comments (#), blank
// lines, an `export ` prefix and single or double quotes are understood.
import { UsageError } from '../errors';
import { FieldRef } from './profile';

export type EnvFileLine = { name: string; ref: FieldRef } | { name: string; value: string };

const REF = /^vault:\/\/([a-z0-9][a-z0-9._-]{0,63})\/([A-Za-z][A-Za-z0-9_]{0,31})$/;

const ESCAPES: Record<string, string> = { n: '\n', r: '\r' };

/** A value in double quotes, escaping what a double-quoted dotenv value can hold. */
export function quoteEnvValue(v: string): string {
  return `"${v.replace(/[\\"$]/g, '\\$&').replace(/\n/g, '\\n').replace(/\r/g, '\\r')}"`;
}

function unquote(raw: string): string {
  const v = raw.trim();
  if (v.length >= 2 && ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'")))) {
    const inner = v.slice(1, -1);
    // One pass, so an escaped backslash before "n" stays a backslash and an "n".
    return v.startsWith('"') ? inner.replace(/\\([nr"\\$])/g, (_m, c: string) => ESCAPES[c] ?? c) : inner;
  }
  // Unquoted: a " #" starts a comment.
  return v.replace(/\s+#.*$/s, '');
}

/** Errors name the line number only: a plain value on a bad line may itself be a secret. */
export function parseEnvFile(text: string): EnvFileLine[] {
  const out: EnvFileLine[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const t = line.trim();
    if (!t || t.startsWith('#')) return;
    // The s flag: a value may hold U+2028/U+2029, which `.` would not match without it.
    const m = /^(?:export\s+)?([^=\s]+)\s*=(.*)$/s.exec(t);
    if (!m) throw new UsageError(`line ${i + 1} of the env file is not VAR=value`);
    const value = unquote(m[2]!);
    const ref = REF.exec(value);
    out.push(ref ? { name: m[1]!, ref: { entry: ref[1]!, field: ref[2]! } } : value.startsWith('vault://') ? badRef(i) : { name: m[1]!, value });
  });
  return out;
}

function badRef(i: number): never {
  throw new UsageError(`line ${i + 1} of the env file has a malformed vault:// reference`, ['the form is VAR=vault://ENTRY/FIELD']);
}
