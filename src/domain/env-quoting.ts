// Quoting a value for an env file that both a POSIX shell (`set -a; . ./file`) and dotenv
// parsers read back byte for byte, and checking what Docker's `--env-file` can carry.
// No quoting serves every value in both readers, so a value that fits none is refused by
// the caller (naming the field), never written in a form one of them would change.

/**
 * 'value' when it holds no single quote: the shell takes everything literally (newlines,
 * `$`, backticks, backslashes) and dotenv strips the quotes without expanding anything.
 * "value" when it holds a single quote but nothing either reader would interpret inside
 * double quotes (`"`, `\`, `$`, backtick). null otherwise, and for a carriage return
 * (dotenv turns every CR into LF before parsing) or a NUL (no environment can hold one),
 * and for a final backslash: dotenv reads `\'` as an escaped quote and runs on into the next line.
 */
export function quoteForShellAndDotenv(v: string): string | null {
  if (/[\r\0]/.test(v)) return null;
  if (!v.includes("'") && !v.endsWith('\\')) return `'${v}'`;
  if (!/["\\$`]/.test(v)) return `"${v}"`;
  return null;
}

/**
 * Why a value cannot go into a `docker run --env-file` file, or null. Docker reads each
 * line as VAR=value, literally (no quotes, no escapes), one line per variable, UTF-8.
 */
export function dockerEnvProblem(v: string): string | null {
  if (/[\r\n]/.test(v)) return 'spans several lines';
  if (v.includes('\0')) return 'contains a NUL byte';
  return null;
}
