// Preloaded with `node -r` into a measured process: on exit, writes the process's peak
// resident set (VmHWM, KiB; worker threads and WASM memory included) to the file named by
// EXVAULT_BENCH_RSS_FILE.
'use strict';
const fs = require('fs');
const out = process.env.EXVAULT_BENCH_RSS_FILE;
if (out) {
  process.on('exit', () => {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (m) fs.writeFileSync(out, m[1]);
  });
}
