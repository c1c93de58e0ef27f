// The OS keychain behind one small interface: Secret Service on Linux (pinned: the library's
// default falls back to the kernel keyring, and can write there even when it throws),
// Keychain on macOS, Credential Manager on Windows. The only file that loads @napi-rs/keyring.
// Every call is bounded in time, and a library's error text never leaves this file.
import * as fs from 'node:fs';
import { KeychainProblem, KeychainUnavailable } from '../errors';

export const KEYCHAIN_SERVICE = 'exvault';
export const KEYCHAIN_TIMEOUT_MS = 3000;

const PROBLEM_TEXT: Record<KeychainProblem, string> = {
  'no-session': 'there is no D-Bus session (DBUS_SESSION_BUS_ADDRESS is not set), so the Secret Service cannot be reached',
  'not-running': 'no Secret Service answers on the D-Bus session (is gnome-keyring or KeePassXC running?)',
  locked: 'the keyring is locked and cannot be unlocked without a desktop prompt',
  timeout: `the keychain did not answer within ${KEYCHAIN_TIMEOUT_MS / 1000} s`,
  failed: 'the keychain refused the request',
};

const unavailable = (problem: KeychainProblem) => new KeychainUnavailable(problem, PROBLEM_TEXT[problem]);

/** Sorts a library failure into a problem we can explain; the text itself is never shown. */
function classify(err: unknown): KeychainProblem {
  const text = String((err as Error)?.message ?? '');
  if ((err as Error)?.name === 'AbortError' || /abort|timed? ?out/i.test(text)) return 'timeout';
  if (/DBUS_SESSION_BUS_ADDRESS|autolaunch/i.test(text)) return 'no-session';
  if (/locked|unlock|prompt/i.test(text)) return 'locked';
  if (/ServiceUnknown|not provided|NoReply|no such|connection|Platform failure|not available/i.test(text)) return 'not-running';
  return 'failed';
}

type KeyringModule = typeof import('@napi-rs/keyring');
let keyring: KeyringModule | undefined;

/**
 * The addon's build for this machine, required by its package name where that name is certain
 * (glibc Linux on x64 or arm64, macOS), as the package's own loader (index.js) would pick it:
 * the loader first compiles 500 lines and throws on a require that always fails here, about
 * 10M instructions (4%) of every `vault exec` through the keychain (callgrind). musl is told
 * apart as the loader tells it first (ldd names musl). Anything else, and any failure, goes
 * through the loader.
 */
function loadKeyring(): KeyringModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const req = require as NodeJS.Require;
  const direct = platformPackage();
  if (direct) {
    try {
      return req(direct) as KeyringModule;
    } catch {
      // Not installed under that name (or not loadable): the loader knows every other case.
    }
  }
  return req('@napi-rs/keyring') as KeyringModule;
}

/** The addon's package for this machine, where its name is certain. */
function platformPackage(): string | undefined {
  if (process.arch !== 'x64' && process.arch !== 'arm64') return undefined;
  if (process.platform === 'darwin') return `@napi-rs/keyring-darwin-${process.arch}`;
  if (process.platform === 'linux' && !lddIsMusl()) return `@napi-rs/keyring-linux-${process.arch}-gnu`;
  return undefined;
}

function lddIsMusl(): boolean {
  try {
    return fs.readFileSync('/usr/bin/ldd', 'latin1').includes('musl');
  } catch {
    return true; // Unknown: left to the loader, which has further ways to tell.
  }
}

function backendName(): string {
  if (process.platform === 'darwin') return 'macos-keychain';
  if (process.platform === 'win32') return 'windows-credential-manager';
  return 'secret-service';
}

/** Satisfies the Keychain port of app/ports.ts. Reads return null when there is no such item; failures throw KeychainUnavailable. */
export class OsKeychain {
  readonly backend = backendName();

  private entry(account: string) {
    if (this.backend === 'secret-service' && !process.env.DBUS_SESSION_BUS_ADDRESS) throw unavailable('no-session');
    // Loaded on first use: commands that never touch the keychain do not pay for the addon.
    keyring ??= loadKeyring();
    try {
      return new keyring.AsyncEntry(KEYCHAIN_SERVICE, account, { linux: { store: 'secret-service' } });
    } catch (err) {
      throw unavailable(classify(err));
    }
  }

  private async call<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const signal = AbortSignal.timeout(KEYCHAIN_TIMEOUT_MS);
    let timer: NodeJS.Timeout | undefined;
    // The signal asks the library to stop; the race guarantees we stop waiting either way.
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(unavailable('timeout')), KEYCHAIN_TIMEOUT_MS + 200);
      timer.unref();
    });
    try {
      return await Promise.race([work(signal), deadline]);
    } catch (err) {
      if (err instanceof KeychainUnavailable) throw err;
      throw unavailable(classify(err));
    } finally {
      clearTimeout(timer);
    }
  }

  async read(account: string): Promise<Uint8Array | null> {
    const e = this.entry(account);
    const got = await this.call((signal) => e.getSecret(signal));
    return got ? Uint8Array.from(got) : null;
  }

  async write(account: string, key: Uint8Array): Promise<void> {
    const e = this.entry(account);
    await this.call((signal) => e.setSecret(key, signal));
  }

  async remove(account: string): Promise<boolean> {
    const e = this.entry(account);
    return this.call((signal) => e.deleteCredential(signal));
  }
}

export function osKeychain(): OsKeychain {
  return new OsKeychain();
}
