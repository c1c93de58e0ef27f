// Moving keys in and out through the CLI: generate, export, import (dotenv and json),
// backup and restore.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FAST_KDF, OKX_JSON, Sandbox } from '../helpers/cli';
import { CANARY } from '../helpers/canary';

const CHILD = path.resolve(__dirname, '../fixtures/child.js');
const PEM = '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIGZha2Uta2V5LWZvci1leHZhdWx0LXRlc3Rz\n-----END PRIVATE KEY-----\n';

let sb: Sandbox;
let env: Record<string, string>;
beforeAll(async () => {
  sb = new Sandbox();
  await sb.init();
  env = { EXVAULT_PASSPHRASE_FILE: sb.passFile };
  expect((await sb.run(['add', 'okx-main', '--exchange', 'okx', '--label', 'grid'], { env, input: OKX_JSON })).code).toBe(0);
});
afterAll(() => {
  sb.assertNoCanary();
  sb.cleanup();
});

const run = (args: string[], opts: Parameters<Sandbox['run']>[1] = {}) => sb.run(args, { ...opts, env: { ...env, ...opts.env } });
const home = (f: string) => path.join(sb.root, 'home', f);

describe('generate', () => {
  it('prints strong random secrets of the asked length and charset, each class present', async () => {
    const outs = await Promise.all(Array.from({ length: 5 }, () => run(['generate', '--length', '24', '--charset', 'symbols'], { reveals: true })));
    const values = outs.map((o) => o.stdout.trim());
    expect(new Set(values).size).toBe(5);
    for (const v of values) {
      expect(v).toMatch(/^[A-Za-z0-9!#$%&*+\-.:=?@^_~]{24}$/);
      for (const cls of [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/]) expect(v).toMatch(cls);
    }
    expect((await run(['generate', '--charset', 'hex', '--length', '40'], { reveals: true })).stdout).toMatch(/^[0-9a-f]{40}\n$/);
    expect((await run(['generate', '--length', '0'])).code).toBe(2);
  });

  it('add --generate-passphrase stores a new API passphrase and shows it once', async () => {
    const r = await run(['add', 'kc', '--exchange', 'kucoin', '--generate-passphrase'], { input: JSON.stringify({ apiKey: 'a'.repeat(24), apiSecret: '0a1b2c3d-0a1b-0a1b-0a1b-0a1b2c3d4e5f' }), reveals: true });
    expect(r.code).toBe(0);
    const shown = /on KuCoin now; it is stored in the vault\):\n(.+)\n/.exec(r.stderr)![1]!;
    expect(shown).toHaveLength(24);
    expect((await run(['get', 'kc', 'passphrase', '--raw'], { reveals: true })).stdout).toBe(shown);
    expect((await run(['add', 'bn', '--exchange', 'binance', '--generate-passphrase'], { input: OKX_JSON })).code).toBe(2);
  });
});

describe('export and import json', () => {
  it('needs --yes without a terminal; writes 0600; is logged; round-trips into another vault', async () => {
    const out = home('keys.json');
    expect((await run(['export', '--all', '-o', out])).code).toBe(7);
    expect(fs.existsSync(out)).toBe(false);
    const r = await run(['export', '--all', '-o', out, '--yes']);
    expect(r.code).toBe(0);
    expect(fs.statSync(out).mode & 0o777).toBe(0o600);
    const audit = JSON.parse((await run(['audit', '--json'])).stdout);
    expect(audit.at(-1)).toMatchObject({ cmd: 'export', entries: [{ entry: 'kc' }, { entry: 'okx-main', fields: ['apiKey', 'apiSecret', 'passphrase'] }] });

    const other = home('other.exv');
    expect((await run(['--vault', other, 'init', ...FAST_KDF])).code).toBe(0);
    expect((await run(['--vault', other, 'import', 'json', out])).code).toBe(7);
    const imp = await run(['--vault', other, 'import', 'json', out, '--yes']);
    expect(imp.code).toBe(0);
    expect((await run(['--vault', other, 'get', 'okx-main', 'passphrase', '--raw'], { reveals: true })).stdout).toBe(CANARY.passphrase);
    expect(JSON.parse((await run(['--vault', other, 'show', 'okx-main', '--json'])).stdout).label).toBe('grid');
    // All or nothing: importing again refuses, and changes nothing.
    const again = await run(['--vault', other, 'import', 'json', out, '--yes']);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already in the vault: kc, okx-main');
    fs.rmSync(out);
  });

  it('env format: the names exec would use, values in single quotes (nothing expands when sourced)', async () => {
    const out = home('bot.env');
    expect((await run(['export', 'okx-main', '--format', 'env', '-o', out, '--yes'])).code).toBe(0);
    const text = fs.readFileSync(out, 'utf8');
    expect(text).toContain(`OKX_MAIN_API_KEY='${CANARY.apiKey}'`);
    expect(text).toContain(`OKX_MAIN_API_PASSPHRASE='${CANARY.passphrase}'`);
    fs.rmSync(out);
  });

  it('refuses a target others can read, and a malformed import, quoting nothing', async () => {
    const shared = home('shared.json');
    fs.writeFileSync(shared, '', { mode: 0o644 });
    expect((await run(['export', '--all', '-o', shared, '--yes'])).code).toBe(2);
    expect(fs.readFileSync(shared, 'utf8')).toBe('');
    const bad = sb.secretFile('bad.json', `{"format":"exvault-export","version":1,"entries":[{"name":"x","exchange":"okx","secrets":{"apiKey":5}}], "${CANARY.apiKey}"`);
    const r = await run(['import', 'json', bad, '--yes']);
    expect(r.code).toBe(2);
    expect(r.stderr).not.toContain(CANARY.apiKey);
  });
});

describe('import dotenv', () => {
  const shapes = [
    '# trading bot settings\r\nexport BINANCE_API_KEY="' + 'B'.repeat(64) + '"\r\nBINANCE_API_SECRET=\'' + 'b'.repeat(64) + "'\r\n",
    'LOG_LEVEL=info\nOKX_API_KEY=0a1b2c3d-0a1b-0a1b-0a1b-0a1b2c3d4e5f # the key\nOKX_SECRET_KEY=0123456789ABCDEF0123456789ABCDEF\nOKX_PASSPHRASE="p@ss word$1"\n',
    `COINBASE_API_KEY=organizations/0a1b/apiKeys/2c3d\nCOINBASE_PRIVATE_KEY="${PEM}"\n`,
  ];

  it('recognises common names across several real-world shapes, and leaves other variables', async () => {
    const file = sb.secretFile('multi.env', shapes.join('\n'));
    const r = await run(['import', 'dotenv', file, '--yes']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^binance +binance +apiKey, apiSecret$/m);
    expect(r.stdout).toMatch(/^okx +okx +apiKey, apiSecret, passphrase$/m);
    expect(r.stdout).toMatch(/^coinbase +coinbase +apiKey, privateKey$/m);
    expect(r.stdout).toContain(`left in ${file}: LOG_LEVEL`);
    expect(r.stdout).toContain('still holds the keys in plain text');
    expect((await run(['get', 'okx', 'passphrase', '--raw'], { reveals: true })).stdout).toBe('p@ss word$1');
    expect((await run(['get', 'coinbase', 'privateKey', '--raw'], { reveals: true })).stdout).toBe(PEM);
    expect((await run(['get', 'binance', 'apiSecret', '--raw'], { reveals: true })).stdout).toBe('b'.repeat(64));
    // Upper-case names the bot used are kept as the entry's env mapping.
    expect(JSON.parse((await run(['show', 'okx', '--json'])).stdout).env).toEqual({ apiKey: 'OKX_API_KEY', apiSecret: 'OKX_SECRET_KEY', passphrase: 'OKX_PASSPHRASE' });
  });

  it('CCXT-style names with --entry/--exchange; --rewrite-refs leaves a file that exec turns back into the same values', async () => {
    const file = sb.secretFile('ccxt.env', `apiKey=${CANARY.apiKey}\nsecret=${CANARY.apiSecret}\npassword='${CANARY.passphrase}'\nSYMBOL=BTC/USDT\n`);
    const r = await run(['import', 'dotenv', file, '--entry', 'grid-bot', '--exchange', 'okx', '--rewrite-refs', '--yes']);
    expect(r.code).toBe(0);
    const rewritten = fs.readFileSync(file, 'utf8');
    // Lower-case names cannot be injected; the file says which name to read instead.
    expect(rewritten).toContain('# apiKey: vault exec cannot inject this name; read GRID_BOT_API_KEY instead\nGRID_BOT_API_KEY=vault://grid-bot/apiKey');
    expect(rewritten).toContain("SYMBOL='BTC/USDT'");
    expect(rewritten).not.toContain(CANARY.apiKey);
    const envOut = path.join(sb.root, 'tmp', 'child-env.json');
    expect((await run(['exec', '--env-from', file, '--', process.execPath, CHILD, 'env', envOut])).code).toBe(0);
    const childEnv = JSON.parse(fs.readFileSync(envOut, 'utf8'));
    expect([childEnv.GRID_BOT_API_KEY, childEnv.GRID_BOT_API_SECRET, childEnv.GRID_BOT_API_PASSPHRASE, childEnv.SYMBOL]).toEqual([CANARY.apiKey, CANARY.apiSecret, CANARY.passphrase, 'BTC/USDT']);
    fs.rmSync(envOut);
  });

  it('--remove-plaintext overwrites and deletes the file; unknown content is refused', async () => {
    const file = sb.secretFile('bybit.env', `BYBIT_API_KEY=${'k'.repeat(18)}\nBYBIT_API_SECRET=${'s'.repeat(36)}\n`);
    expect((await run(['import', 'dotenv', file, '--remove-plaintext', '--yes'])).code).toBe(0);
    expect(fs.existsSync(file)).toBe(false);
    const none = sb.secretFile('none.env', 'LOG_LEVEL=debug\n');
    const r = await run(['import', 'dotenv', none, '--yes']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no exchange keys recognised');
  });
});

describe('backup and restore', () => {
  it('backup writes a copy that opens; restore checks the backup before replacing the vault', async () => {
    const copy = home('vault-copy.exv');
    expect((await run(['backup', copy])).code).toBe(0);
    expect(fs.statSync(copy).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(copy).equals(fs.readFileSync(sb.vault))).toBe(true);
    expect((await run(['backup', copy])).code).toBe(2);

    expect((await run(['rm', 'kc', '--yes'])).code).toBe(0);
    const garbage = home('garbage.exv');
    fs.writeFileSync(garbage, 'not a vault', { mode: 0o600 });
    const before = fs.readFileSync(sb.vault);
    expect((await run(['restore', garbage, '--yes'])).code).toBe(5);
    const otherPass = sb.secretFile('otherpass', 'some other passphrase here\n');
    expect((await sb.run(['--passphrase-file', otherPass, 'restore', copy, '--yes'])).code).toBe(3);
    expect((await run(['restore', copy])).code).toBe(7);
    expect(fs.readFileSync(sb.vault).equals(before)).toBe(true);

    const r = await run(['restore', copy, '--yes']);
    expect(r.code).toBe(0);
    expect((await run(['show', 'kc'])).code).toBe(0);
    expect(fs.readFileSync(`${sb.vault}.bak`).equals(before)).toBe(true);
  });
});
