// In-process vault building and opening for unit tests of the format layer.
import { ready } from '../../src/crypto/sodium';
import { decodeFile } from '../../src/format/header';
import { FORMAT_VERSION, KDF_ARGON2ID13, KdfParams } from '../../src/format/limits';
import { addScope, makePassphraseSlot, newVault, openBody, sealFile, unwrapWithPassphrase, VaultKeys } from '../../src/format/seal';
import type { Header } from '../../src/format/header';

/** The lowest parameters the format accepts: tests run fast without any backdoor. */
export const TEST_KDF: KdfParams = { alg: KDF_ARGON2ID13, opsLimit: 2, memKiB: 19 * 1024 };

/** A vault in the format written now (v2), or in format 1 when asked. */
export async function makeVault(passphrase: string, body: string, version = FORMAT_VERSION) {
  await ready();
  const v = newVault(passphrase, TEST_KDF, undefined, version);
  const file = sealFile(v.header, v.dataKey, new TextEncoder().encode(body));
  return { ...v, file };
}

/** Opens with a passphrase; returns the plaintext or the error thrown. */
export function tryOpen(file: Uint8Array, passphrase: string): { plain?: string; err?: unknown } {
  try {
    const parsed = decodeFile(file);
    const key = unwrapWithPassphrase(parsed, passphrase);
    return { plain: new TextDecoder().decode(openBody(parsed, key)) };
  } catch (err) {
    return { err };
  }
}

/** A format 2 header with two scopes, default and "bots", and one passphrase slot granted both:
 *  what the format unit tests write their files under. */
export async function twoScopeVault(passphrase: string): Promise<{ header: Header; keys: VaultKeys }> {
  await ready();
  const v = newVault(passphrase, TEST_KDF);
  addScope(v.header, v.dataKey, 'bots');
  v.header.slots = [makePassphraseSlot(v.header, v.dataKey, passphrase, TEST_KDF)];
  return { header: v.header, keys: v.dataKey };
}
