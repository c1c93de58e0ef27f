// Strong random secrets from the OS CSPRNG, drawn without modulo bias.
import { UsageError } from '../errors';
import { randomBelow } from '../crypto/random';

const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const DIGITS = '0123456789';
/** Punctuation exchanges accept in API passphrases, without quotes, backslash or space. */
const SYMBOLS = '!#$%&*+-.:=?@^_~';

export const CHARSETS: Record<string, string[]> = {
  alnum: [LOWER, UPPER, DIGITS],
  symbols: [LOWER, UPPER, DIGITS, SYMBOLS],
  hex: ['0123456789abcdef'],
  base64url: [LOWER, UPPER, DIGITS, '-_'],
};

/**
 * A secret of `length` characters. With several character classes (alnum, symbols) each
 * class appears at least once: exchanges such as OKX insist on it for API passphrases.
 */
export function generateSecret(length: number, charset: string): string {
  const classes = CHARSETS[charset];
  if (!classes) throw new UsageError(`unknown charset "${charset.slice(0, 20)}"`, [`charsets: ${Object.keys(CHARSETS).join(', ')}`]);
  if (!Number.isInteger(length) || length < classes.length || length > 1024) throw new UsageError(`--length must be a whole number from ${classes.length} to 1024`);
  const all = classes.join('');
  for (;;) {
    let out = '';
    for (let i = 0; i < length; i++) out += all[randomBelow(all.length)];
    // Rejection keeps the distribution uniform over the strings that have every class.
    if (classes.every((c) => [...out].some((ch) => c.includes(ch)))) return out;
  }
}
