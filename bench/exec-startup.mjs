// Median time of `vault exec ENTRY -- true` unlocked through the keychain, against
// `node -e 0`, measured alternately in one run. Usage: node bench/exec-startup.mjs [runs]
// Needs a Secret Service: without a D-Bus session it re-runs itself under scripts/with-keyring.sh.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
if (!process.env.DBUS_SESSION_BUS_ADDRESS) {
  const r = spawnSync(join(root, 'scripts/with-keyring.sh'), [process.execPath, ...process.argv.slice(1)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
const runs = Number(process.argv[2] ?? 40);
const cli = join(root, 'bin/vault.js');
const dir = mkdtempSync(join(tmpdir(), 'exvault-bench-'));
const env = { ...process.env, XDG_DATA_HOME: join(dir, 'data'), HOME: dir };
const pass = join(dir, 'pass');
writeFileSync(pass, 'benchmark passphrase 1234\n', { mode: 0o600 });
const vault = (args, input) => execFileSync(process.execPath, [cli, ...args], { env, input, stdio: ['pipe', 'pipe', 'pipe'] });
vault(['--passphrase-file', pass, 'init', '--keychain', '--kdf', 'interactive']);
vault(['add', 'bench', '--exchange', 'okx'], JSON.stringify({ apiKey: 'k', apiSecret: 's', passphrase: 'p' }));

function time(cmd, args) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env, stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const base = [];
const exec = [];
for (let i = 0; i < 3; i++) time(process.execPath, [cli, 'exec', 'bench', '--', 'true']);
for (let i = 0; i < runs; i++) {
  base.push(time(process.execPath, ['-e', '0']));
  exec.push(time(process.execPath, [cli, 'exec', 'bench', '--', 'true']));
}
const b = median(base);
const e = median(exec);
console.log(`node -e 0:                     median ${b.toFixed(1)} ms (${runs} runs)`);
console.log(`vault exec bench -- true:      median ${e.toFixed(1)} ms (keychain unlock)`);
console.log(`ratio:                         ${(e / b).toFixed(2)} (target <= 1.8)`);
rmSync(dir, { recursive: true, force: true });
