// Field names on input as the red team (rt18) met them: a mapping for a field the entry lacks,
// CCXT's names (apiKey, secret, walletAddress, privateKey) from a rotate hook and a .env, and
// small usage slips that must be one clear line with the documented exit code.
import * as fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { CLI, HANG_MS, OKX_JSON, Sandbox } from '../helpers/cli';
import { CANARY } from '../helpers/canary';

let sb: Sandbox;
let env: Record<string, string>;

beforeAll(async () => {
  sb = new Sandbox();
  await sb.init();
  env = { EXVAULT_PASSPHRASE_FILE: sb.passFile };
  expect((await sb.run(['add', 'okx-main', '--exchange', 'okx'], { env, input: OKX_JSON })).code).toBe(0);
}, 120_000);
afterAll(() => {
  sb.assertNoCanary();
  sb.cleanup();
});

describe('edit --env FIELD=VAR', () => {
  it.each([['Secret'], ['foo']])('a field the entry lacks (%s) is refused with exit 4, naming its fields', async (field) => {
    const r = await sb.run(['edit', 'okx-main', '--env', `${field}=OKX_S`], { env });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(new RegExp(`no field "${field}"`));
    expect(r.stderr).toMatch(/apiKey, apiSecret, passphrase/);
    const plan = await sb.run(['exec', 'okx-main', '--dry-run', '--json'], { env });
    expect(plan.stdout).not.toMatch(/OKX_S/);
  });

  it("CCXT's names are still accepted", async () => {
    const r = await sb.run(['edit', 'okx-main', '--env', 'secret=OKX_S', '--env', 'password=OKX_P'], { env });
    expect(r.code).toBe(0);
    const plan = JSON.parse((await sb.run(['exec', 'okx-main', '--dry-run', '--json'], { env })).stdout);
    expect(JSON.stringify(plan)).toMatch(/OKX_S/);
    expect(JSON.stringify(plan)).toMatch(/OKX_P/);
  });
});

describe("CCXT's names on input", () => {
  it('a rotate hook printing {"apiKey","secret"} rotates the key', async () => {
    const hookOut = JSON.stringify({ apiKey: 'b'.repeat(18), secret: 'c'.repeat(36) });
    const add = await sb.run(['add', 'r1', '--exchange', 'bybit', '--rotate-hook', `cat >/dev/null; echo '${hookOut}'`], { env, input: JSON.stringify({ apiKey: 'k'.repeat(18), secret: 's'.repeat(36) }) });
    expect(add.code).toBe(0);
    const r = await sb.run(['rotate', 'r1'], { env });
    expect(r.stderr).not.toMatch(/no field/);
    expect(r.code).toBe(0);
    const got = await sb.run(['get', 'r1', 'secret'], { env, reveals: true });
    expect(got.stdout.trim()).toBe('c'.repeat(36));
  });

  it.each([
    ['CCXT names', 'walletAddress', 'privateKey', ['--entry', 'hh', '--exchange', 'hyperliquid']],
    ['exchange-prefixed names', 'HYPERLIQUID_WALLET_ADDRESS', 'HYPERLIQUID_PRIVATE_KEY', []],
  ])('import dotenv takes a DEX wallet under %s', async (_what, addrVar, keyVar, extra) => {
    const address = `0x${'12'.repeat(20)}`;
    const dotenv = `${addrVar}=${address}\n${keyVar}=0x${'22'.repeat(32)}\n`;
    const r = await sb.run(['import', 'dotenv', '-', ...extra, '--yes'], { env, input: dotenv });
    expect(r.stderr).not.toMatch(/needs walletAddress/);
    expect(r.code).toBe(0);
    const name = extra.length ? 'hh' : 'hyperliquid';
    const got = await sb.run(['get', name, 'walletAddress'], { env, reveals: true });
    expect(got.stdout.trim()).toBe(address);
    expect((await sb.run(['rm', name, '--yes'], { env })).code).toBe(0);
  });
});

describe('small usage slips: one clear line, the documented exit code', () => {
  it('get vault://ENTRY/FIELD with a second argument is a usage error', async () => {
    const r = await sb.run(['get', 'vault://okx-main/apiKey', 'extra'], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/vault:\/\/ENTRY\/FIELD alone/);
  });

  it('an "other" entry with only a walletAddress is told about both credentials', async () => {
    const r = await sb.run(['add', 'w1', '--exchange', 'other'], { env, input: JSON.stringify({ walletAddress: `0x${'ab'.repeat(20)}` }) });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/needs apiKey or walletAddress with privateKey/);
  });

  it('--passphrase-file - with the secret JSON on standard input is "-" given twice, before any unlock', async () => {
    const input = `${CANARY.vaultPassphrase}\n${OKX_JSON}\n`;
    const r = await sb.run(['add', 'zz', '--exchange', 'okx', '--passphrase-file', '-'], { env: { EXVAULT_PASSPHRASE_FILE: undefined }, input });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/given twice/);
    const next = await sb.run(['list'], { env });
    expect(next.stderr).not.toMatch(/failed/i);
  });

  it('--private-key-file - after the JSON took standard input names what read it', async () => {
    const r = await sb.run(['add', 'cb', '--exchange', 'coinbase', '--private-key-file', '-'], { env, input: JSON.stringify({ apiKey: 'organizations/x/apiKeys/y' }) });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/already read for the secret JSON; it cannot also give the private key file/);
  });

  it('a passphrase descriptor on a file others can read: the hint does not tell to chmod a descriptor', () => {
    const f = sb.secretFile('pass-0644', `${CANARY.vaultPassphrase}\n`);
    fs.chmodSync(f, 0o644);
    const fd = fs.openSync(f, 'r');
    try {
      const r = spawnSync(process.execPath, [CLI, 'list', '--passphrase-fd', '3'], { env: sb.env, cwd: sb.root, stdio: ['ignore', 'pipe', 'pipe', fd], encoding: 'utf8', timeout: HANG_MS });
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/chmod 600 FILE \(the file open on file descriptor 3\)/);
    } finally {
      fs.closeSync(fd);
    }
  });
});

it('import dotenv - does not call standard input a file that still holds the keys', async () => {
  const r = await sb.run(['import', 'dotenv', '-', '--yes'], { env, input: `KRAKEN_API_KEY=${'k'.repeat(56)}\nKRAKEN_API_SECRET=${'s'.repeat(88)}\nLOG=1\n` });
  expect(r.code).toBe(0);
  expect(r.stdout + r.stderr).not.toMatch(/- still holds/);
  expect(r.stdout).toMatch(/left in standard input: LOG/);
});
