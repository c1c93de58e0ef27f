// Shared by the adversarial suite (test/adversarial, `npm run test:adversarial`): run sizes
// (CI size by default, `--long` for hours) and opening vault files in-process with the real
// format code, deriving each passphrase key only once per salt.
import * as fs from 'node:fs';
import { argon2id } from '../../src/crypto/kdf';
import { ready } from '../../src/crypto/sodium';
import { parseDoc, VaultDoc } from '../../src/domain/document';
import { decodeFile } from '../../src/format/header';
import { openBody, unwrapWithPassphraseUsing } from '../../src/format/seal';

export const LONG = process.env.EXVAULT_ADVERSARIAL === 'long';

/** The CI size, or the long one under `npm run test:adversarial -- --long`. */
export const size = (ci: number, long: number): number => (LONG ? long : ci);

/** Per-test time limit: generous for CI sizes, hours for the long run. */
export const timeLimit = (ciMs: number): number => (LONG ? 12 * 3600_000 : ciMs);

const derived = new Map<string, Uint8Array>();

/** Argon2id, remembered per (passphrase, salt, parameters): a crash loop re-opens the same slot hundreds of times. */
async function memoArgon(pw: Uint8Array, salt: Uint8Array, ops: number, mem: number): Promise<Uint8Array> {
  const key = `${Buffer.from(pw).toString('hex')}:${Buffer.from(salt).toString('hex')}:${ops}:${mem}`;
  let kek = derived.get(key);
  if (!kek) {
    await ready();
    kek = argon2id(pw, salt, ops, mem);
    derived.set(key, Uint8Array.from(kek));
  }
  // The caller wipes what it gets: hand out a copy.
  return Uint8Array.from(kek);
}

/** The document in a vault file, opened with a passphrase; throws AuthError, CorruptError, ... */
export async function openVaultFile(file: string, passphrase: string): Promise<VaultDoc> {
  const parsed = decodeFile(new Uint8Array(fs.readFileSync(file)));
  const dataKey = await unwrapWithPassphraseUsing(parsed, passphrase, memoArgon);
  return parseDoc(openBody(parsed, dataKey));
}

/** A random wait in [0, ms). */
export const randomDelay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.random() * ms));
