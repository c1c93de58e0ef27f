// Baseline for `vault audit verify`: the least any verifier must do with the same log: read
// it, parse each line as JSON, and compute one HMAC-SHA256 per record. Usage: node hmac-baseline.cjs LOG
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const key = crypto.randomBytes(32);
let n = 0;
for (const line of fs.readFileSync(process.argv[2], 'utf8').split('\n')) {
  if (!line) continue;
  JSON.parse(line);
  crypto.createHmac('sha256', key).update(line).digest('hex');
  n++;
}
if (!n) process.exit(1);
