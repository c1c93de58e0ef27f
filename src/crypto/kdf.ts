// Argon2id, version 1.3. Native (@node-rs/argon2, the RustCrypto argon2 crate, shipped prebuilt
// per platform) when its addon loads; libsodium's WebAssembly build otherwise, which gives the
// same bytes for one lane but cannot compute more. Both load only when a passphrase is derived:
// the keychain path of `vault exec` never pays for either. Bounds are checked by the caller
// (format/limits.ts) before anything is derived.
import { LanesUnsupportedError } from '../errors';
import { lib, ready } from './sodium';

export const SALT_BYTES = 16;
export const KEY_BYTES = 32;

export type KdfImplementation = 'native' | 'wasm';

type NativeArgon2 = typeof import('@node-rs/argon2');

let native: NativeArgon2 | null | undefined;
let wasmReady = false;

/** The native addon, or null when it does not load here (no prebuilt build for this platform,
 *  a libc it was not built for, a broken install). Tried once per process. */
function loadNative(): NativeArgon2 | null {
  if (native === undefined) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const m = require('@node-rs/argon2') as NativeArgon2;
      native = typeof m.hashRawSync === 'function' ? m : null;
    } catch {
      native = null;
    }
  }
  return native;
}

/** Loads an implementation (native first); must be awaited before argon2id(). */
export async function kdfReady(): Promise<KdfImplementation> {
  if (loadNative()) return 'native';
  if (!wasmReady) {
    await ready();
    wasmReady = true;
  }
  return 'wasm';
}

/** Which implementation derives here, for `vault doctor` (loads it to find out). */
export async function kdfImplementation(): Promise<KdfImplementation> {
  return kdfReady();
}

const ARGON2ID = 2; // @node-rs/argon2's Algorithm.Argon2id (a const enum: not present at run time)
const V0X13 = 1; // Version.V0x13

function nativeOptions(salt: Uint8Array, opsLimit: number, memLimitBytes: number, lanes: number) {
  return { algorithm: ARGON2ID, version: V0X13, timeCost: opsLimit, memoryCost: memLimitBytes / 1024, parallelism: lanes, outputLen: KEY_BYTES, salt } as const;
}

function checked(key: Uint8Array): Uint8Array {
  // An all-zero key would mean a binding silently failed; never use it.
  if (key.length !== KEY_BYTES || key.every((b) => b === 0)) throw new Error('key derivation returned an unusable key');
  return key;
}

/** Copies a Buffer into a plain Uint8Array and wipes the Buffer (it may be a pooled slice). */
function own(buf: Uint8Array): Uint8Array {
  const key = new Uint8Array(buf);
  buf.fill(0);
  return key;
}

/** Runs in a worker thread, loading its own libsodium, so the main thread stays free (a
 *  spinner can turn while a person waits). The password goes by message, never argv or file. */
const WORKER = `
const { parentPort, workerData: d } = require('node:worker_threads');
const s = require(d.sodiumPath);
s.ready.then(() => {
  const k = s.crypto_pwhash(32, d.password, d.salt, d.ops, d.mem, s.crypto_pwhash_ALG_ARGON2ID13);
  d.password.fill(0);
  parentPort.postMessage(k, [k.buffer]);
});`;

function wasmInWorker(password: Uint8Array, salt: Uint8Array, opsLimit: number, memLimitBytes: number): Promise<Uint8Array> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Worker } = require('node:worker_threads') as typeof import('node:worker_threads');
  const worker = new Worker(WORKER, { eval: true, workerData: { sodiumPath: require.resolve('libsodium-wrappers-sumo'), password, salt, ops: opsLimit, mem: memLimitBytes } });
  return new Promise((resolve, reject) => {
    worker.once('message', (k: Uint8Array) => {
      void worker.terminate();
      try {
        resolve(checked(new Uint8Array(k)));
      } catch (err) {
        reject(err as Error);
      }
    });
    worker.once('error', () => reject(new Error('key derivation failed')));
  });
}

/** Off the main thread: the native addon computes on libuv's thread pool (its lanes in
 *  parallel), the WASM fallback in a worker thread. */
export async function argon2idInWorker(password: Uint8Array, salt: Uint8Array, opsLimit: number, memLimitBytes: number, lanes = 1): Promise<Uint8Array> {
  const n = loadNative();
  if (n) {
    // A copy the addon may keep until it is done; wiped after.
    const pw = Buffer.from(password);
    try {
      return checked(own(await n.hashRaw(pw, nativeOptions(salt, opsLimit, memLimitBytes, lanes))));
    } finally {
      pw.fill(0);
    }
  }
  if (lanes !== 1) throw new LanesUnsupportedError(lanes);
  return wasmInWorker(password, salt, opsLimit, memLimitBytes);
}

export function argon2id(password: Uint8Array, salt: Uint8Array, opsLimit: number, memLimitBytes: number, lanes = 1): Uint8Array {
  const n = loadNative();
  if (n) return checked(own(n.hashRawSync(Buffer.from(password.buffer, password.byteOffset, password.byteLength), nativeOptions(salt, opsLimit, memLimitBytes, lanes))));
  if (lanes !== 1) throw new LanesUnsupportedError(lanes);
  const s = lib();
  return checked(s.crypto_pwhash(KEY_BYTES, password, salt, opsLimit, memLimitBytes, s.crypto_pwhash_ALG_ARGON2ID13));
}
