// Choosing a new passphrase (init, passwd): from an explicit source or typed twice.
import { NeedTerminalError, UsageError } from '../errors';
import { estimateStrength, MIN_PASSPHRASE_CHARS } from '../domain/strength';
import { Notices, PassphraseSource, Prompter } from './ports';

export async function newPassphrase(source: PassphraseSource | undefined, prompter: Prompter | undefined, notices: Notices, message = 'New vault passphrase'): Promise<string> {
  let pass: string;
  if (source) pass = source.read();
  else if (prompter) pass = await prompter.passphrase(message, { confirm: true });
  else throw new NeedTerminalError('a new passphrase is needed and there is no terminal to ask for it', ['give it with --passphrase-file PATH or --passphrase-fd N']);
  if ([...pass].length < MIN_PASSPHRASE_CHARS) {
    throw new UsageError(`the passphrase is too short (at least ${MIN_PASSPHRASE_CHARS} characters)`, ['a few random words make a strong passphrase that is easy to type']);
  }
  const s = estimateStrength(pass);
  if (s.label === 'weak') notices.warn(`the passphrase is weak (about ${s.bits} bits); consider a longer one`);
  else notices.info(`passphrase strength: ${s.label} (about ${s.bits} bits)`);
  return pass;
}
