// Baseline for `vault audit verify`: the least any verifier must do with the same log: read
// it, split it into lines, parse each line as JSON, and compute one HMAC-SHA256 per record over
// the bytes the verifier MACs (the previous record's MAC, then the line without its own
// `,"mac":"…"` member; docs/FORMAT.md), comparing it with the record's MAC in constant time.
// The key is random, so nothing matches: what is measured is the work, not the answer.
// Usage: node hmac-baseline.cjs LOG
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const key = crypto.randomBytes(32);
let prev = '0'.repeat(64);
let n = 0;
let matched = 0;
for (const line of fs.readFileSync(process.argv[2], 'utf8').split('\n')) {
  if (!line) continue;
  const r = JSON.parse(line);
  n++;
  if (typeof r.mac !== 'string') continue;
  const member = `,"mac":"${r.mac}"`;
  const at = line.indexOf(member);
  const mac = crypto.createHmac('sha256', key).update(prev).update(line.slice(0, at)).update(line.slice(at + member.length)).digest('hex');
  if (mac.length === r.mac.length && crypto.timingSafeEqual(Buffer.from(mac), Buffer.from(r.mac))) matched++;
  prev = r.mac;
}
if (!n) process.exit(1);
if (process.env.EXVAULT_BENCH_VERBOSE) console.log(`${n} records, ${matched} matched`);
