// vault exec's inputs as the red team (rt18) met them: an env file Node.js must never see,
// files a program leaves behind next to its --file, and one variable given twice.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OKX_JSON, Sandbox } from '../helpers/cli';
import { CANARY } from '../helpers/canary';

const CHILD = path.resolve(__dirname, '../fixtures/child.js');
const node = process.execPath;

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

const out = (name: string) => path.join(sb.root, 'tmp', name);
const exec = (args: string[], extra: Parameters<Sandbox['run']>[1] = {}) => sb.run(['exec', ...args], { ...extra, env: { ...env, ...extra.env } });

describe('--env-from (never --env-file, which Node.js reads itself)', () => {
  it("an env file's NODE_OPTIONS never runs code inside vault", async () => {
    const marker = out('preloaded');
    const evil = sb.secretFile('evil.js', `require('fs').writeFileSync(${JSON.stringify(marker)}, 'ran')\n`);
    const f = sb.secretFile('evil.env', `NODE_OPTIONS="--require ${evil}"\nK=vault://okx-main/apiKey\n`);
    const r = await exec(['--env-from', f, '--', 'true']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/NODE_OPTIONS/);
    expect(fs.existsSync(marker)).toBe(false);
  });

  it('--env-from - reads standard input', async () => {
    const f = out('stdin-env.json');
    const r = await exec(['--env-from', '-', '--', node, CHILD, 'env', f], { input: 'X=vault://okx-main/apiKey\nPLAIN=yes\n' });
    expect(r.code).toBe(0);
    const e = JSON.parse(fs.readFileSync(f, 'utf8'));
    fs.rmSync(f);
    expect(e.X).toBe(CANARY.apiKey);
    expect(e.PLAIN).toBe('yes');
  });

  it('help and completions name --env-from, not --env-file', async () => {
    const h = await sb.run(['exec', '--help']);
    expect(h.stdout).toMatch(/--env-from <path>/);
    expect(h.stdout).not.toMatch(/--env-file/);
  });
});
