// A command whose report cannot be written (standard output on a full disk: /dev/full) exits 9;
// when it had already changed the vault, the message says so, so a person does not run it again
// believing nothing happened.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { BINANCE_JSON, CLI, HANG_MS, Sandbox } from '../helpers/cli';

let sb: Sandbox;
beforeAll(async () => {
  sb = new Sandbox();
  await sb.init();
}, 120_000);
afterAll(() => {
  sb.assertNoCanary();
  sb.cleanup();
});

function toFull(args: string[], input?: string): { code: number | null; stderr: string } {
  const out = fs.openSync('/dev/full', 'w');
  try {
    const r = spawnSync(process.execPath, [CLI, ...args], { env: { ...sb.env, EXVAULT_PASSPHRASE_FILE: sb.passFile }, cwd: sb.root, input, stdio: ['pipe', out, 'pipe'], timeout: HANG_MS, encoding: 'utf8' });
    return { code: r.status, stderr: r.stderr };
  } finally {
    fs.closeSync(out);
  }
}

it('a write whose report is lost: exit 9 saying the vault was changed; a read whose report is lost: exit 9, "it is incomplete"', async () => {
  expect((await sb.vaultCmd(['add', 'bn', '--exchange', 'binance'], { input: BINANCE_JSON })).code).toBe(0);
  const file = `${sb.root}/tmp/bn.json`;
  expect((await sb.vaultCmd(['export', 'bn', '--format', 'json', '-o', file, '--yes'])).code).toBe(0);
  expect((await sb.vaultCmd(['rm', 'bn', '--yes'])).code).toBe(0);
  const added = toFull(['import', 'json', file, '--yes']);
  fs.rmSync(file); // the export holds the canary secret on purpose; the suite's sweep checks the rest
  expect(added.code).toBe(9);
  expect(added.stderr).toMatch(/^vault: error: could not write the output \(standard output\) \(no space left on device\): the vault was changed; only this report is incomplete$/m);
  expect((await sb.vaultCmd(['list', '--json'])).stdout).toContain('"name": "bn"');
  const listed = toFull(['list']);
  expect(listed.code).toBe(9);
  expect(listed.stderr).toMatch(/^vault: error: could not write the output \(standard output\) \(no space left on device\): it is incomplete$/m);
});
