// The single place that loads libsodium, used for Argon2id. The sumo build is required: the
// plain build declares crypto_pwhash in its types but lacks it at run time. Loaded on first
// need only: decoding and compiling its WASM costs ~50 ms that the keychain path never pays.
export type Sodium = typeof import('libsodium-wrappers-sumo');

let loaded: Sodium | undefined;

/** Resolves once the WASM module is initialised; cheap to call again. */
export async function ready(): Promise<Sodium> {
  if (!loaded) {
    // Required here, not imported at the top, so it loads only when a passphrase is derived.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const s = require('libsodium-wrappers-sumo') as Sodium;
    await s.ready;
    loaded = s;
  }
  return loaded;
}

/** The initialised library; callers must have awaited ready() first. */
export function lib(): Sodium {
  if (!loaded) throw new Error('libsodium used before ready()');
  return loaded;
}
