// The floor for `vault exec ENTRY -- true` through the keychain: a bare Node process that loads
// the same keychain addon (@napi-rs/keyring), reads one item from the Secret Service, and spawns
// `true` with it in the environment, waiting for its end. Nothing else: no vault file, no
// decryption, no audit log, no argument parsing.
// Usage: node floor.cjs ACCOUNT (the item of service "exvault" that `vault init --keychain` wrote)
'use strict';
// The addon's build for this machine by its package name where it is installed under it, as
// src/platform/keychain.ts loads it (the package's index.js loader costs about 10M instructions
// more); else through the loader, as there.
const { AsyncEntry } = (() => {
  try {
    return require(`@napi-rs/keyring-linux-${process.arch}-gnu`);
  } catch {
    return require('@napi-rs/keyring');
  }
})();
const { spawn } = require('child_process');

const entry = new AsyncEntry('exvault', process.argv[2], { linux: { store: 'secret-service' } });
entry.getSecret().then((got) => {
  if (!got) process.exit(3);
  const child = spawn('true', [], { stdio: 'inherit', env: { ...process.env, FLOOR_SECRET: Buffer.from(got).toString('base64') } });
  child.on('exit', (code) => process.exit(code ?? 1));
});
