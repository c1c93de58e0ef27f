// The single place that loads libsodium. The sumo build is required: the plain
// build declares crypto_pwhash in its types but lacks it at run time.
import sodiumModule from 'libsodium-wrappers-sumo';

export type Sodium = typeof sodiumModule;

let loaded: Sodium | undefined;

/** Resolves once the WASM module is initialised; cheap to call again. */
export async function ready(): Promise<Sodium> {
  if (!loaded) {
    await sodiumModule.ready;
    loaded = sodiumModule;
  }
  return loaded;
}

/** The initialised library; callers must have awaited ready() first. */
export function lib(): Sodium {
  if (!loaded) throw new Error('libsodium used before ready()');
  return loaded;
}
