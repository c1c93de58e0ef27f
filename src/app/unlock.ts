// The unlock ladder (DESIGN.md): an explicit passphrase source, then the OS keychain slot,
// then a prompt on a terminal. With none of them it fails at once, naming all three ways.
import { NeedTerminalError } from '../errors';
import { ParsedFile } from '../format/header';
import { unwrapWithPassphrase } from '../format/seal';
import { PassphraseSource, Prompter } from './ports';

export const UNLOCK_HINTS = [
  'give the passphrase with --passphrase-file PATH, --passphrase-fd N or EXVAULT_PASSPHRASE_FILE',
  'or enable the OS keychain once with: vault keychain enable',
  'or run the command in a terminal to be asked for it',
];

export interface UnlockOptions {
  explicit?: PassphraseSource;
  prompter?: Prompter;
}

export class Unlocker {
  /** Data keys already unlocked in this process, by vault id: a vault's data key never changes,
   *  so a command that opens the vault twice asks once. */
  private readonly known = new Map<string, Uint8Array>();

  constructor(private readonly opts: UnlockOptions) {}

  /** The same ladder with the passphrase already known (read once, used twice). */
  withPassphrase(passphrase: string): Unlocker {
    return new Unlocker({ ...this.opts, explicit: { describe: 'the passphrase given', read: () => passphrase } });
  }

  get explicitSource(): PassphraseSource | undefined {
    return this.opts.explicit;
  }

  get prompter(): Prompter | undefined {
    return this.opts.prompter;
  }

  /** The current passphrase, from the explicit source or the terminal. */
  async passphrase(message = 'Vault passphrase'): Promise<string> {
    if (this.opts.explicit) return this.opts.explicit.read();
    if (this.opts.prompter) return this.opts.prompter.passphrase(message);
    throw new NeedTerminalError('the vault is locked and no passphrase was given', UNLOCK_HINTS);
  }

  async dataKey(parsed: ParsedFile): Promise<Uint8Array> {
    const id = Buffer.from(parsed.header.vaultId).toString('hex');
    const cached = this.known.get(id);
    if (cached) return cached;
    const pass = await this.passphrase();
    const derive = () => unwrapWithPassphrase(parsed, pass);
    const key = this.opts.prompter ? await this.opts.prompter.busy('Unlocking the vault', derive) : derive();
    this.known.set(id, key);
    return key;
  }
}
