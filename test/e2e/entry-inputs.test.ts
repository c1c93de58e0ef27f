// Field names on input as the red team (rt18) met them: a mapping for a field the entry lacks,
// CCXT's names (apiKey, secret, walletAddress, privateKey) from a rotate hook and a .env, and
// small usage slips that must be one clear line with the documented exit code.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OKX_JSON, Sandbox } from '../helpers/cli';
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
