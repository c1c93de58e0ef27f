// Writes docs/vault.1 from the built CLI's command tree (`vault __man`); a test fails when stale.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';

writeFileSync('docs/vault.1', execFileSync(process.execPath, ['bin/vault.js', '__man']));
console.log('docs/vault.1');
