// Baseline for the KDF benchmark: a bare Node process that loads the native Argon2id the vault
// uses (@node-rs/argon2) and derives one key with the given parameters, nothing else.
// Usage: node argon-native.cjs OPS MEM_MIB LANES
'use strict';
const argon2 = require('@node-rs/argon2');
const [ops, mib, lanes] = process.argv.slice(2).map(Number);
const t0 = performance.now();
argon2.hashRawSync('benchmark passphrase 1234', { algorithm: 2, version: 1, timeCost: ops, memoryCost: mib * 1024, parallelism: lanes, outputLen: 32, salt: new Uint8Array(16) });
if (process.env.EXVAULT_BENCH_PRINT) process.stdout.write(`${(performance.now() - t0).toFixed(1)}\n`);
