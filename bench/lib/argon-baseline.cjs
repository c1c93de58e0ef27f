// Baseline for the KDF benchmark: a bare Node process that loads the same libsodium build the
// vault uses and derives one key with the given Argon2id parameters, nothing else.
// Usage: node argon-baseline.cjs OPS MEM_MIB
'use strict';
const sodium = require('libsodium-wrappers-sumo');
const [ops, mib] = process.argv.slice(2).map(Number);
sodium.ready.then(() => {
  const t0 = performance.now();
  sodium.crypto_pwhash(32, 'benchmark passphrase 1234', new Uint8Array(16), ops, mib * 1024 * 1024, sodium.crypto_pwhash_ALG_ARGON2ID13);
  if (process.env.EXVAULT_BENCH_PRINT) process.stdout.write(`${(performance.now() - t0).toFixed(1)}\n`);
});
