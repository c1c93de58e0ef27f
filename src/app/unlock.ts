// The unlock ladder (DESIGN.md): an explicit passphrase source, then the OS keychain slot,
// then a prompt on a terminal. With none of them it fails at once, naming all three ways.
import { CorruptError, KeychainError, NeedTerminalError } from '../errors';
import { memzero } from '../crypto/memzero';
import { ready } from '../crypto/sodium';
import { FileHead } from '../format/header';
import { describeKdf, kdfProblem, unusuallyExpensive } from '../format/limits';
import { keychainSlotOf, passphraseSlotOf, unwrapWithKeychainKey, unwrapWithPassphrase, unwrapWithPassphraseUsing } from '../format/seal';
import { argon2idInWorker } from '../crypto/kdf';
import { keychainAccount } from './keychain-item';
import { Keychain, Notices, PassphraseSource, Prompter } from './ports';

const PASSPHRASE_HINT = 'give the passphrase with --passphrase-file PATH, --passphrase-fd N or EXVAULT_PASSPHRASE_FILE';

const MISSING_ITEM = "the keychain answered without the vault's item: the keyring daemon may have been restarted, locked or reset (or the item was deleted, or this vault was copied from another machine)";

export const UNLOCK_HINTS = [
  PASSPHRASE_HINT,
  'or enable the OS keychain once with: vault keychain enable',
  'or run the command in a terminal to be asked for it',
];

export interface UnlockOptions {
  explicit?: PassphraseSource;
  prompter?: Prompter;
  keychain?: Keychain;
  notices?: Notices;
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

  get keychain(): Keychain | undefined {
    return this.opts.keychain;
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

  async dataKey(parsed: FileHead): Promise<Uint8Array> {
    const id = Buffer.from(parsed.header.vaultId).toString('hex');
    const cached = this.known.get(id);
    if (cached) return cached;
    if (!this.opts.explicit) {
      const fromKeychain = await this.viaKeychain(parsed);
      if (fromKeychain) {
        this.known.set(id, fromKeychain);
        return fromKeychain;
      }
    }
    // A hostile header is refused before the passphrase is asked and before libsodium loads.
    const { kdf } = passphraseSlotOf(parsed.header);
    const problem = kdfProblem(kdf);
    if (problem) throw new CorruptError(problem);
    const pass = await this.passphrase();
    if (unusuallyExpensive(kdf)) {
      this.opts.notices?.warn(`this vault asks for an unusually expensive unlock (${describeKdf(kdf)}): it may take a minute or more`);
    }
    // With a person waiting on a terminal, derive in a worker (which loads its own libsodium)
    // so the spinner turns; otherwise here, loading libsodium only now.
    let key: Uint8Array;
    if (this.opts.prompter) {
      key = await this.opts.prompter.busy('Unlocking the vault', () => unwrapWithPassphraseUsing(parsed, pass, argon2idInWorker));
    } else {
      await ready();
      key = unwrapWithPassphrase(parsed, pass);
    }
    this.known.set(id, key);
    return key;
  }

  /**
   * Step 2 of the ladder. Returns null when the vault has no keychain slot, or when the
   * keychain failed and a terminal can ask for the passphrase instead (said once, with why).
   * Without a terminal a keychain failure is final: exit 6, never a weaker fallback.
   */
  private async viaKeychain(parsed: FileHead): Promise<Uint8Array | null> {
    const slot = keychainSlotOf(parsed.header);
    if (!slot || !this.opts.keychain) return null;
    let problem: KeychainError;
    try {
      const key = await this.opts.keychain.read(keychainAccount(parsed.header.vaultId, slot));
      if (key) {
        const dataKey = unwrapWithKeychainKey(parsed, key);
        memzero(key);
        if (dataKey) return dataKey;
        problem = new KeychainError("the vault's keychain item does not open it (it was replaced, or this is another copy of the vault)");
      } else {
        // The Secret Service answered, without the item: most often a keyring daemon restarted
        // (or reset) without the user's keyring; also a deleted item or a copied vault.
        problem = new KeychainError(MISSING_ITEM);
      }
    } catch (err) {
      if (!(err instanceof KeychainError)) throw err;
      problem = err;
    }
    if (!this.opts.prompter) {
      const restarted = problem.message === MISSING_ITEM ? ['if the keyring daemon was restarted or locked, unlock your keyring (log in to the desktop session) and try again'] : [];
      throw new KeychainError(problem.message, [...restarted, PASSPHRASE_HINT, 'run "vault doctor" to see what is wrong', 'after unlocking with the passphrase, "vault keychain enable" stores a new item']);
    }
    this.opts.notices?.warn(`${problem.message}; asking for the passphrase instead`);
    return null;
  }
}
