// The unlock ladder (DESIGN.md): an explicit passphrase source, then an unlock cached by
// `vault unlock --for` (kernel keyring), then the slots that open without asking anyone (the
// OS keychain), then a prompt on a terminal. With none of them it fails at once, naming the ways.
import { CorruptError, IdentityNotGrantedError, KeychainError, NeedTerminalError } from '../errors';
import type { AgeIdentity } from '../crypto/age-x25519';
import { memzero } from '../crypto/memzero';
import { FileHead, Slot } from '../format/header';
import { describeKdf, kdfProblem, unusuallyExpensive } from '../format/limits';
import { passphraseSlotOf, unwrapSlot, unwrapWithPassphrase, unwrapWithPassphraseUsing, VaultKeys } from '../format/seal';
import { KeyMeans, SlotKind, slotKinds } from '../format/slots/registry';
import { MISSING_ITEM } from '../format/slots/keychain';
import type { X25519Slot } from '../format/slots/x25519';
import { argon2idInWorker, kdfReady } from '../crypto/kdf';
import { Keychain, Notices, PassphraseSource, Prompter, UnlockCache, Unlocker as UnlockerPort } from './ports';

const PASSPHRASE_HINT = 'give the passphrase with --passphrase-file PATH, --passphrase-fd N or EXVAULT_PASSPHRASE_FILE';

export const UNLOCK_HINTS = [
  PASSPHRASE_HINT,
  'or enable the OS keychain once with: vault keychain enable',
  'or unlock for a while with: vault unlock --for 8h',
  'or run the command in a terminal to be asked for it',
];

export interface UnlockOptions {
  explicit?: PassphraseSource;
  prompter?: Prompter;
  keychain?: Keychain;
  notices?: Notices;
  /** Unlocks cached by `vault unlock --for`; consulted when no passphrase source was given. */
  cache?: UnlockCache;
  /** This host's or person's age identities, for X25519 slots (read only when a vault has one). */
  identities?: () => Promise<AgeIdentity[]>;
}

export class Unlocker implements UnlockerPort {
  /** Keys already unlocked in this process, by vault id: a vault's scope keys never change,
   *  so a command that opens the vault twice asks once. */
  private readonly known = new Map<string, VaultKeys>();

  constructor(private readonly opts: UnlockOptions) {}

  /** The same ladder with the passphrase already known (read once, used twice). */
  withPassphrase(passphrase: string): Unlocker {
    return new Unlocker({ ...this.opts, explicit: { describe: 'the passphrase given', read: () => passphrase } });
  }

  /** The same ladder without the cached unlock (for `vault unlock --for` itself). */
  withoutCache(): Unlocker {
    const { cache: _cache, ...rest } = this.opts;
    return new Unlocker(rest);
  }

  /** Drops the keys this process unlocked for a vault (they were replaced: recipient rm). */
  forget(vaultIdHex: string): void {
    this.known.delete(vaultIdHex);
  }

  get cache(): UnlockCache | undefined {
    return this.opts.cache;
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

  /** The scope keys a slot of the file opens (v1: the data key as scope 0), by the ladder. */
  async dataKey(parsed: FileHead): Promise<VaultKeys> {
    const id = Buffer.from(parsed.header.vaultId).toString('hex');
    const cached = this.known.get(id);
    if (cached) return cached;
    if (!this.opts.explicit) {
      // Before the keychain: someone unlocked for a while on purpose, and it answers without D-Bus.
      const fromCache = this.opts.cache?.read(id);
      if (fromCache) {
        const keys = VaultKeys.fromBytes(fromCache);
        memzero(fromCache);
        if (keys) {
          this.known.set(id, keys);
          return keys;
        }
      }
      // Slots that open without asking anyone, in the registry's ladder order.
      try {
        for (const kind of slotKinds().filter((k) => k.automatic)) {
          for (const slot of parsed.header.slots.filter((s) => s.type === kind.name)) {
            const keys = await this.viaAutomatic(parsed, kind, slot);
            if (keys) {
              this.known.set(id, keys);
              return keys;
            }
          }
        }
      } catch (err) {
        // A host's own keychain failing matters less than its identity not being granted
        // (asked only where X25519 slots already loaded the identities: no second D-Bus call).
        if (err instanceof KeychainError && parsed.header.slots.some((x) => x.type === 'x25519')) await this.refuseUngrantedIdentity(parsed, [err.message]);
        throw err;
      }
    }
    // A hostile header is refused before the passphrase is asked and before libsodium loads.
    const { kdf } = passphraseSlotOf(parsed.header);
    const problem = kdfProblem(kdf);
    if (problem) throw new CorruptError(problem);
    if (!this.opts.explicit && !this.opts.prompter) await this.refuseUngrantedIdentity(parsed);
    const pass = await this.passphrase();
    if (unusuallyExpensive(kdf)) {
      this.opts.notices?.warn(`this vault asks for an unusually expensive unlock (${describeKdf(kdf)}): it may take a minute or more`);
    }
    // With a person waiting on a terminal, derive in a worker (which loads its own libsodium)
    // so the spinner turns; otherwise here, loading libsodium only now.
    let key: VaultKeys;
    if (this.opts.prompter) {
      key = await this.opts.prompter.busy('Unlocking the vault', () => unwrapWithPassphraseUsing(parsed, pass, argon2idInWorker));
    } else {
      await kdfReady();
      key = unwrapWithPassphrase(parsed, pass);
    }
    this.known.set(id, key);
    return key;
  }

  /**
   * With no passphrase to come, a host that has an identity was revoked or never added: say
   * that, not that a passphrase is missing. A place that holds a bad identity (a FIFO, a
   * relative CREDENTIALS_DIRECTORY) says so, as it does when a slot asks for it.
   */
  private async refuseUngrantedIdentity(parsed: FileHead, also: string[] = []): Promise<void> {
    // A vault with no recipient slots was never meant for an identity: its passphrase is missing.
    if (!this.opts.identities || !parsed.header.slots.some((slot) => slot.type === 'x25519')) return;
    const ids = await this.opts.identities();
    const first = ids[0];
    if (!first) return;
    const named = parsed.header.slots.some((slot) => slot.type === 'x25519' && ids.some((i) => Buffer.from(i.publicKey).equals(Buffer.from((slot as X25519Slot).recipient))));
    if (named) return;
    const recipient = first.recipient();
    throw new IdentityNotGrantedError(`this host's identity ${recipient} was found, but no slot of this vault names it (its recipient was removed, or never added)`, [
      `on the admin's machine: vault recipient list; to grant it: vault recipient add NAME ${recipient} --scope SCOPE`,
      ...also,
      PASSPHRASE_HINT,
    ]);
  }

  /**
   * Step 2 of the ladder (the keychain; later a host identity). Returns null when the means
   * are missing, or when they failed and a terminal can ask for the passphrase instead (said
   * once, with why). Without a terminal a failure is final: never a weaker fallback.
   */
  private async viaAutomatic(parsed: FileHead, kind: SlotKind, slot: Slot): Promise<VaultKeys | null> {
    const keychain = this.opts.keychain;
    const means: KeyMeans = {
      ...(keychain && { keychainRead: (account: string) => keychain.read(account) }),
      ...(this.opts.identities && { identities: this.opts.identities }),
    };
    let problem: KeychainError;
    try {
      const kek = await kind.kek(slot, parsed.header.vaultId, means);
      if (!kek) return null;
      const keys = unwrapSlot(parsed.header, slot, kek);
      memzero(kek);
      if (keys) return keys;
      problem = new KeychainError(kind.stale ?? `the vault's ${kind.name} slot does not open it`);
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
