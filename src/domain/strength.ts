// How guessable a new passphrase is, by zxcvbn-ts (dictionaries, keyboard walks, repeats,
// sequences, dates, l33t), asked at init and passwd only: the library and its dictionaries are
// loaded on first use, never on the unlock or exec path.
export const MIN_PASSPHRASE_CHARS = 10;
/** zxcvbn's score 3 ("safely unguessable: moderate protection from offline slow-hash"). */
export const MIN_SCORE = 3;

export interface Strength {
  /** 0 (too guessable) to 4 (very unguessable). */
  score: number;
  /** log10 of the estimated guesses an attacker needs. */
  guessesLog10: number;
  label: 'weak' | 'fair' | 'strong';
}

type Checker = { check(password: string): { score: number; guessesLog10: number } };
let checker: Checker | undefined;

function load(): Checker {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { ZxcvbnFactory } = require('@zxcvbn-ts/core') as typeof import('@zxcvbn-ts/core');
  const common = require('@zxcvbn-ts/language-common') as typeof import('@zxcvbn-ts/language-common');
  /* eslint-enable @typescript-eslint/no-require-imports */
  return new ZxcvbnFactory({ dictionary: { ...common.dictionary }, graphs: common.adjacencyGraphs });
}

export function estimateStrength(pass: string): Strength {
  checker ??= load();
  const r = checker.check(pass);
  return { score: r.score, guessesLog10: Math.round(r.guessesLog10 * 10) / 10, label: r.score < MIN_SCORE ? 'weak' : r.score < 4 ? 'fair' : 'strong' };
}
