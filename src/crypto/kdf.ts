// Argon2id (libsodium's crypto_pwhash, version 1.3, one lane). Bounds are checked by the
// caller (format/limits.ts) before anything is derived.
import { lib } from './sodium';

export const SALT_BYTES = 16;
export const KEY_BYTES = 32;

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

export function argon2idInWorker(password: Uint8Array, salt: Uint8Array, opsLimit: number, memLimitBytes: number): Promise<Uint8Array> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Worker } = require('node:worker_threads') as typeof import('node:worker_threads');
  const worker = new Worker(WORKER, { eval: true, workerData: { sodiumPath: require.resolve('libsodium-wrappers-sumo'), password, salt, ops: opsLimit, mem: memLimitBytes } });
  return new Promise((resolve, reject) => {
    worker.once('message', (k: Uint8Array) => {
      void worker.terminate();
      if (k.every((b) => b === 0)) reject(new Error('key derivation returned an all-zero key'));
      else resolve(new Uint8Array(k));
    });
    worker.once('error', () => reject(new Error('key derivation failed')));
  });
}

export function argon2id(password: Uint8Array, salt: Uint8Array, opsLimit: number, memLimitBytes: number): Uint8Array {
  const s = lib();
  const key = s.crypto_pwhash(KEY_BYTES, password, salt, opsLimit, memLimitBytes, s.crypto_pwhash_ALG_ARGON2ID13);
  // An all-zero key would mean the binding silently failed; never use it.
  if (key.every((b) => b === 0)) throw new Error('key derivation returned an all-zero key');
  return key;
}
