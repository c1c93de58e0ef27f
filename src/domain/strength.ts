// A rough passphrase strength estimate for feedback at init and passwd: length times the
// size of the character classes used, with a penalty for repeats. Not a dictionary check.
export const MIN_PASSPHRASE_CHARS = 10;

export interface Strength {
  bits: number;
  label: 'weak' | 'fair' | 'strong';
}

export function estimateStrength(pass: string): Strength {
  const chars = [...pass];
  let pool = 0;
  if (/[a-z]/.test(pass)) pool += 26;
  if (/[A-Z]/.test(pass)) pool += 26;
  if (/[0-9]/.test(pass)) pool += 10;
  if (/[^A-Za-z0-9]/.test(pass)) pool += 33;
  const distinct = new Set(chars).size;
  const effectiveLength = Math.min(chars.length, distinct * 2);
  const bits = Math.round(effectiveLength * Math.log2(Math.max(pool, 2)));
  return { bits, label: bits < 50 ? 'weak' : bits < 80 ? 'fair' : 'strong' };
}
