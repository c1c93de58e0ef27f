// Choosing a new passphrase (init, passwd): from an explicit source or typed twice; refused
// when it is easy to guess, unless the user says they accept that.
import { NeedTerminalError, UsageError } from '../errors';
import { estimateStrength, MIN_PASSPHRASE_CHARS, MIN_SCORE } from '../domain/strength';
import { Notices, PassphraseSource, Prompter } from './ports';

export interface NewPassphraseOptions {
  /** --allow-weak-passphrase: accept a guessable passphrase (with a warning). */
  allowWeak?: boolean;
  message?: string;
  /** The options that give this passphrase without a terminal (passwd: the --new-... ones). */
  flags?: [string, string];
}

export async function newPassphrase(source: PassphraseSource | undefined, prompter: Prompter | undefined, notices: Notices, opts: NewPassphraseOptions = {}): Promise<string> {
  let pass: string;
  if (source) pass = source.read();
  else if (prompter) pass = await prompter.passphrase(opts.message ?? 'New vault passphrase', { confirm: true });
  else throw new NeedTerminalError('a new passphrase is needed and there is no terminal to ask for it', [`give it with ${opts.flags?.[0] ?? '--passphrase-file'} PATH or ${opts.flags?.[1] ?? '--passphrase-fd'} N`]);
  if ([...pass].length < MIN_PASSPHRASE_CHARS) {
    throw new UsageError(`the passphrase is too short (at least ${MIN_PASSPHRASE_CHARS} characters)`, ['a few random words make a strong passphrase that is easy to type']);
  }
  const s = estimateStrength(pass);
  const about = `zxcvbn score ${s.score} of 4, about 10^${s.guessesLog10} guesses`;
  if (s.score < MIN_SCORE) {
    if (!opts.allowWeak) {
      throw new UsageError(`the passphrase is too easy to guess (${about})`, [
        'four or five random words, or "vault generate", make a strong passphrase',
        'anyone with a copy of the vault file (a backup, a synced folder) can try guesses offline; --allow-weak-passphrase accepts it anyway',
      ]);
    }
    notices.warn(`the passphrase is easy to guess (${about}); accepted because of --allow-weak-passphrase`);
  } else {
    notices.info(`passphrase strength: ${s.label} (${about})`);
  }
  return pass;
}
