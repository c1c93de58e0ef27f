// Secrets that are not one line of letters and digits, through everything around exec: a
// Coinbase CDP PEM key and an Ed25519 key as Coinbase's own key files hold them, and an OKX
// passphrase with quotes, backslashes, #, $ and backticks. Masking, scan, inject, export and
// add, checked with the readers bots use (Python's json and yaml, sh/dash/bash, dotenv,
// Docker's env-file rules) and with ccxt signing requests from the values read back.
import { execFileSync, spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { ready } from '../../src/crypto/sodium';
import { decodeFile } from '../../src/format/header';
import { openBody, sealFile, unwrapWithPassphrase } from '../../src/format/seal';
import { CANARY } from '../helpers/canary';
import { Sandbox } from '../helpers/cli';
import { parseDockerEnvFile } from '../helpers/docker-env';

const SIGNER = path.resolve(__dirname, '../fixtures/ccxt-sign.cjs');
const NODE = process.execPath;
let sb: Sandbox;
let dir: string;
const added: Record<string, { code: number | null; stderr: string }> = {};

const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'sec1', format: 'pem' }) as string;
const edPair = crypto.generateKeyPairSync('ed25519');
const ED = Buffer.concat([edPair.privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(-32), edPair.publicKey.export({ format: 'der', type: 'spki' }).subarray(-32)]).toString('base64');
const V = {
  cbName: 'organizations/0a1b2c3d-0000-4000-8000-000000000001/apiKeys/9f8e7d6c-0000-4000-8000-000000000002',
  cbKey: ec,
  cbedId: '3c1e5f1a-7b2d-4e0f-9a8b-1c2d3e4f5a6b',
  cbedKey: ED,
  okxKey: '0a1b2c3d-0a1b-4a1b-8a1b-0a1b2c3d4e5f',
  okxSecret: '0123456789ABCDEF0123456789ABCDEF',
  okxPass: `${CANARY.passphrase}"My\\Pass #$HOME \`touch PWNED\` $(touch PWNED)`,
  bnKey: CANARY.apiKey,
  bnSecret: CANARY.apiSecret,
};
const PEM_BODY = V.cbKey.split('\n').filter((l) => l && !l.startsWith('-----'));
const CREDS = {
  binance: { apiKey: V.bnKey, secret: V.bnSecret },
  okx: { apiKey: V.okxKey, secret: V.okxSecret, password: V.okxPass },
  coinbase: { apiKey: V.cbName, secret: V.cbKey },
  coinbaseEd: { apiKey: V.cbedId, secret: V.cbedKey },
};

const run = (args: string[], opts: Parameters<Sandbox['run']>[1] = {}) => sb.run(args, { ...opts, env: { EXVAULT_PASSPHRASE_FILE: sb.passFile, ...opts.env } });
const sign = (args: string[], env: Record<string, string> = {}) => execFileSync(NODE, [SIGNER, ...args], { env: { ...process.env, ...env }, encoding: 'utf8' });

beforeAll(async () => {
  sb = new Sandbox();
  await sb.init();
  dir = path.join(sb.root, 'secrets');
  // Coinbase's own downloads, as the website writes them.
  const cdp = sb.secretFile('cdp_api_key.json', `{\n   "name": ${JSON.stringify(V.cbName)},\n   "privateKey": ${JSON.stringify(V.cbKey)}\n}\n`);
  const cdpEd = sb.secretFile('cdp_api_key_ed25519.json', JSON.stringify({ id: V.cbedId, privateKey: V.cbedKey }, null, 2));
  added.cb = await run(['add', 'cb', '--exchange', 'coinbase', '--from-file', cdp]);
  added.cbed = await run(['add', 'cbed', '--exchange', 'coinbase', '--from-file', cdpEd]);
  added.okx = await run(['add', 'okx', '--exchange', 'okx'], { input: JSON.stringify({ apiKey: V.okxKey, secret: V.okxSecret, password: V.okxPass }) });
  added.bn = await run(['add', 'bn', '--exchange', 'binance'], { input: JSON.stringify({ apiKey: V.bnKey, apiSecret: V.bnSecret }) });
}, 120_000);
afterAll(() => {
  sb.assertNoCanary();
  sb.cleanup();
});

describe('add', () => {
  it("takes Coinbase's own cdp_api_key.json, ECDSA (name) and Ed25519 (id), with no shape warning", async () => {
    for (const k of ['cb', 'cbed', 'okx', 'bn']) expect(added[k]).toMatchObject({ code: 0 });
    expect(added.cb!.stderr + added.cbed!.stderr).not.toMatch(/warning/);
    expect((await run(['get', 'cb', 'privateKey', '--raw'], { reveals: true })).stdout).toBe(V.cbKey);
    expect((await run(['get', 'cbed', 'apiKey', '--raw'], { reveals: true })).stdout).toBe(V.cbedId);
  });

  it('refuses a field the exchange does not use, and a NUL byte, naming the field only', async () => {
    let r = await run(['add', 'x', '--exchange', 'okx'], { input: JSON.stringify({ apiKey: V.okxKey, apiSecret: V.okxSecret, passphrase: 'p'.repeat(10), memo: 'not an okx field' }) });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/OKX keys have no field "memo" \(their fields: apiKey, apiSecret, passphrase\)/);
    r = await run(['add', 'x', '--exchange', 'okx'], { input: JSON.stringify({ apiKey: V.okxKey, apiSecret: V.okxSecret, passphrase: `${CANARY.passphrase}\u0000x` }) });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/passphrase contains a NUL byte/);
    expect((await run(['show', 'x'])).code).not.toBe(0);
  });
});

describe('exec masks every shape of the values in the child output', () => {
  it('JSON-escaped, line by line (sed, env under --pristine), CRLF, URL-encoded', async () => {
    const script = [
      'const k = process.env.CB_KEY, p = process.env.OKX_PASS;',
      'console.log(JSON.stringify({ secret: k, password: p }));',
      'console.log(k.replace(/\\n/g, "\\r\\n"));',
      'console.log("https://x.test/?p=" + encodeURIComponent(p));',
      'console.log(new URLSearchParams({ p }).toString());',
    ].join('\n');
    const a = await run(['exec', '--pristine', '--map', 'CB_KEY=cb.privateKey', '--map', 'OKX_PASS=okx.passphrase', '--', NODE, '-e', script]);
    const b = await run(['exec', '--pristine', '--map', 'CB_KEY=cb.privateKey', '--map', 'OKX_PASS=okx.passphrase', '--', 'sh', '-c', 'env; printf "%s\\n" "$CB_KEY" | sed -n 2p; printf "%s\\n" "$CB_KEY" | sed -n 3p']);
    for (const r of [a, b]) {
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('<concealed:CB_KEY>');
      for (const line of PEM_BODY) expect(r.stdout).not.toContain(line);
      for (const form of [V.okxPass, JSON.stringify(V.okxPass).slice(1, -1), encodeURIComponent(V.okxPass), CANARY.passphrase]) expect(r.stdout).not.toContain(form);
    }
    expect(a.stdout.split('\n')).toEqual(['{"secret":"<concealed:CB_KEY>","password":"<concealed:OKX_PASS>"}', '<concealed:CB_KEY>', 'https://x.test/?p=<concealed:OKX_PASS>', 'p=<concealed:OKX_PASS>', '']);
    expect(b.stdout).toMatch(/^CB_KEY=<concealed:CB_KEY>$/m);
  });
});

describe('scan', () => {
  it("finds the key in Coinbase's key file, in the vault's own export json and env files, and in a PEM fragment", async () => {
    const tree = path.join(dir, 'scan');
    fs.mkdirSync(tree);
    fs.copyFileSync(path.join(dir, 'cdp_api_key.json'), path.join(tree, 'cdp_api_key.json'));
    expect((await run(['export', 'cb', 'okx', '--format', 'json', '-o', path.join(tree, 'export.json'), '--yes'])).code).toBe(0);
    expect((await run(['export', 'cb', 'okx', '--format', 'env', '-o', path.join(tree, 'bot.env'), '--yes'])).code).toBe(0);
    fs.writeFileSync(path.join(tree, 'fragment.txt'), `pasted into a chat:\n${PEM_BODY[1]}\n`);
    const r = await run(['scan', tree, '--json']);
    expect(r.code).toBe(1);
    const files = (JSON.parse(r.stdout).findings as { file: string; label: string }[]).filter((f) => f.label === 'cb.privateKey (v1, active)').map((f) => path.basename(f.file));
    expect(new Set(files)).toEqual(new Set(['cdp_api_key.json', 'export.json', 'bot.env', 'fragment.txt']));
  });

  it('counts findings and files apart: three findings in one file', async () => {
    const tree = path.join(dir, 'one');
    fs.mkdirSync(tree);
    fs.writeFileSync(path.join(tree, 'okx.py'), `KEY = "${V.okxKey}"\nSECRET = "${V.okxSecret}"\nPASS = ${JSON.stringify(V.okxPass)}\n`);
    fs.writeFileSync(path.join(tree, 'clean.py'), 'print(1)\n');
    const r = await run(['scan', tree]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('3 findings in 1 file (of 2 searched)');
  });
});

describe('inject', () => {
  const py = (code: string, file: string) => JSON.parse(execFileSync('/usr/bin/python3', ['-c', `import json,sys,yaml\ns=open(sys.argv[1]).read()\n${code}`, file], { encoding: 'utf8' }));

  it('JSON (quoted and bare) and hummingbot-style YAML (bare): Python reads back every value exactly', async () => {
    const jt = sb.secretFile('config.template.json', '{\n  "exchange": {\n    "name": "okx",\n    "key": {{ vault://okx/apiKey }},\n    "password": "{{ vault://okx/passphrase }}",\n    "cb": "{{ vault://cb/privateKey }}"\n  }\n}\n');
    const yt = sb.secretFile('conf_coinbase.yml.tmpl', 'connector: coinbase_advanced_trade\ncoinbase_advanced_trade_api_key: {{ vault://cb/apiKey }}\ncoinbase_advanced_trade_api_secret: {{ vault://cb/privateKey }}\n');
    const jo = path.join(dir, 'config.json');
    const yo = path.join(dir, 'conf_coinbase.yml');
    expect((await run(['inject', '-i', jt, '-o', jo])).code).toBe(0);
    expect((await run(['inject', '-i', yt, '-o', yo])).code).toBe(0);
    expect(py('print(json.dumps(json.loads(s)["exchange"]))', jo)).toEqual({ name: 'okx', key: V.okxKey, password: V.okxPass, cb: V.cbKey });
    expect(py('print(json.dumps(yaml.safe_load(s)))', yo)).toEqual({ connector: 'coinbase_advanced_trade', coinbase_advanced_trade_api_key: V.cbName, coinbase_advanced_trade_api_secret: V.cbKey });
  });

  it('a value the place cannot hold: an error naming the placeholder, and no file', async () => {
    const t = sb.secretFile('single.yml', "key: '{{ vault://cb/privateKey }}'\n");
    const out = path.join(dir, 'single-out.yml');
    const r = await run(['inject', '-i', t, '-o', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/the value of \{\{ vault:\/\/cb\/privateKey \}\} on line 1 cannot be written into this YAML file/);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('.env: bare placeholders read back exactly by sh, dash, bash and dotenv; nothing in the file runs', async () => {
    const t = sb.secretFile('bot.env.template', '# bot\nexport OKX_PASSPHRASE={{ vault://okx/passphrase }} # okx\nCB_KEY={{ vault://cb/privateKey }}\nDRY_RUN="true"\n');
    const out = path.join(dir, 'inject-bot.env');
    expect((await run(['inject', '-i', t, '-o', out])).code).toBe(0);
    const want = { OKX_PASSPHRASE: V.okxPass, CB_KEY: V.cbKey, DRY_RUN: 'true' };
    expect(parseDotenv(fs.readFileSync(out))).toEqual(want);
    for (const shell of ['sh', 'dash', 'bash']) {
      const r = spawnSync(shell, ['-c', `set -a; . ./inject-bot.env; exec "${NODE}" -e 'process.stdout.write(JSON.stringify(Object.fromEntries(process.argv.slice(1).map((k) => [k, process.env[k]]))))' ${Object.keys(want).join(' ')}`], { cwd: dir, encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(JSON.parse(r.stdout)).toEqual(want);
    }
    expect(fs.existsSync(path.join(dir, 'PWNED'))).toBe(false);
  });

  it('.env: a value sh would read otherwise than dotenv (a final backslash in double quotes, a placeholder inside a longer value) is refused naming it, exit 2, no file', async () => {
    expect((await run(['add', 'p8', '--exchange', 'other'], { input: JSON.stringify({ apiKey: `${CANARY.passphrase}\\` }) })).code).toBe(0);
    const cases = [
      ['OKX_PASSPHRASE="{{ vault://p8/apiKey }}"\nDRY_RUN="true"\n', /the value of \{\{ vault:\/\/p8\/apiKey \}\} on line 1 cannot be written into this \.env file/],
      ['AUTH=Bearer {{ vault://bn/apiSecret }}\n', /the value of \{\{ vault:\/\/bn\/apiSecret \}\} on line 1 cannot be written into this \.env file/],
      ['I=pre{{ vault://bn/apiSecret }}\n', /vault:\/\/bn\/apiSecret \}\} on line 1/],
    ] as const;
    for (const [text, msg] of cases) {
      const t = sb.secretFile('odd.env', text);
      const out = path.join(dir, 'odd-out.env');
      const r = await run(['inject', '-i', t, '-o', out]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr).toMatch(/vault: hint: write the placeholder as the whole value, KEY=\{\{ vault:\/\/\.\.\. \}\} without quotes/);
      expect(fs.existsSync(out)).toBe(false);
    }
    expect((await run(['rm', 'p8', '--yes'])).code).toBe(0);
  });

  it('YAML: a passphrase as a whole `|` block would gain a final line break: refused, hinting `|-`', async () => {
    const t = sb.secretFile('block.yml', 'p: |\n  {{ vault://okx/apiSecret }}\n');
    const out = path.join(dir, 'block-out.yml');
    const r = await run(['inject', '-i', t, '-o', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/vault:\/\/okx\/apiSecret \}\} on line 2 cannot be written into this YAML file[\s\S]*`\|-`/);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('ccxt signs the same requests from the injected file as from the original values (Binance HMAC, OKX, Coinbase ES256 and Ed25519)', async () => {
    const t = sb.secretFile('ccxt.template.json', JSON.stringify({
      binance: { apiKey: '{{ vault://bn/apiKey }}', secret: '{{ vault://bn/apiSecret }}' },
      okx: { apiKey: '{{ vault://okx/apiKey }}', secret: '{{ vault://okx/apiSecret }}', password: '{{ vault://okx/passphrase }}' },
      coinbase: { apiKey: '{{ vault://cb/apiKey }}', secret: '{{ vault://cb/privateKey }}' },
      coinbaseEd: { apiKey: '{{ vault://cbed/apiKey }}', secret: '{{ vault://cbed/privateKey }}' },
    }, null, 2));
    const out = path.join(dir, 'ccxt.json');
    expect((await run(['inject', '-i', t, '-o', out])).code).toBe(0);
    const expected = sign([sb.secretFile('creds.json', JSON.stringify(CREDS))]);
    expect(sign([out])).toBe(expected);
    // And from the child's environment under vault exec.
    const maps = ['BN_KEY=bn.apiKey', 'BN_SECRET=bn.apiSecret', 'OKX_KEY=okx.apiKey', 'OKX_SECRET=okx.apiSecret', 'OKX_PASS=okx.passphrase', 'CB_NAME=cb.apiKey', 'CB_KEY=cb.privateKey', 'CBED_ID=cbed.apiKey', 'CBED_KEY=cbed.privateKey'].flatMap((m) => ['--map', m]);
    const r = await run(['exec', '--no-mask', ...maps, '--', NODE, SIGNER], { reveals: true });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(expected);
  }, 120_000);
});

describe('export', () => {
  const names = ['cb', 'cbed', 'okx', 'bn'];
  const expectedValues = () => [V.cbName, V.cbKey, V.cbedId, V.cbedKey, V.okxKey, V.okxSecret, V.okxPass, V.bnKey, V.bnSecret].sort();

  it('--format env: sh, dash and bash (set -a; . ./file) and dotenv all read back every value exactly; nothing in it runs', async () => {
    const file = path.join(dir, 'bot.env');
    expect((await run(['export', ...names, '--format', 'env', '-o', file, '--yes'])).code).toBe(0);
    const parsed = parseDotenv(fs.readFileSync(file));
    expect(Object.values(parsed).sort()).toEqual(expectedValues());
    for (const shell of ['sh', 'dash', 'bash']) {
      const r = spawnSync(shell, ['-c', `set -a; . ./bot.env; exec "${NODE}" -e 'process.stdout.write(JSON.stringify(Object.fromEntries(process.argv.slice(1).map((k) => [k, process.env[k]]))))' ${Object.keys(parsed).join(' ')}`], { cwd: dir, encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(JSON.parse(r.stdout)).toEqual(parsed);
    }
    expect(fs.existsSync(path.join(dir, 'PWNED'))).toBe(false);
  });

  it('--format env refuses a value neither quoting can carry for both readers, naming the field', async () => {
    expect((await run(['add', 'weird', '--exchange', 'other'], { input: JSON.stringify({ apiKey: `it's "quoted" and $costly` }) })).code).toBe(0);
    const r = await run(['export', 'weird', '--format', 'env', '--yes']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/weird\.apiKey cannot be written so that both a shell and dotenv read it back exactly/);
    expect(r.stdout).toBe('');
    expect((await run(['rm', 'weird', '--yes'])).code).toBe(0);
    // A final backslash: in single quotes dotenv reads `\'` as an escaped quote and runs on into the next line.
    expect((await run(['add', 'weird', '--exchange', 'other'], { input: JSON.stringify({ apiKey: `${CANARY.apiSecret}\\`, apiSecret: 'next' }) })).code).toBe(0);
    const r2 = await run(['export', 'weird', '--format', 'env', '--yes']);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/weird\.apiKey cannot be written so that both a shell and dotenv read it back exactly/);
    expect(r2.stdout).toBe('');
    expect((await run(['rm', 'weird', '--yes'])).code).toBe(0);
  });

  it('--format docker: read literally by Docker\'s env-file rules; a multi-line key is refused, naming the field', async () => {
    const file = path.join(dir, 'docker.env');
    expect((await run(['export', 'cbed', 'okx', 'bn', '--format', 'docker', '-o', file, '--yes'])).code).toBe(0);
    expect(Object.values(parseDockerEnvFile(fs.readFileSync(file, 'utf8'))).sort()).toEqual([V.cbedId, V.cbedKey, V.okxKey, V.okxSecret, V.okxPass, V.bnKey, V.bnSecret].sort());
    const r = await run(['export', 'cb', '--format', 'docker', '--yes']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cb\.privateKey spans several lines and cannot be written for docker --env-file/);
  });
});

describe('a NUL byte in a vault written by other code', () => {
  it('exec, inject and export refuse it with a clear error, naming the field', async () => {
    await ready();
    const parsed = decodeFile(new Uint8Array(fs.readFileSync(sb.vault)));
    const key = unwrapWithPassphrase(parsed, CANARY.vaultPassphrase);
    const body = new TextDecoder().decode(openBody(parsed, key));
    const changed = body.replace(JSON.stringify(V.okxSecret), JSON.stringify(`${V.okxSecret}\u0000`));
    expect(changed).not.toBe(body);
    fs.writeFileSync(sb.vault, sealFile(parsed.header, key, new TextEncoder().encode(changed)));
    const t = sb.secretFile('nul.json', '{"s": "{{ vault://okx/apiSecret }}"}');
    for (const args of [['exec', 'okx', '--', 'true'], ['--debug', 'exec', 'okx', '--', 'true'], ['inject', '-i', t], ['export', 'okx', '--yes']]) {
      const r = await run(args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^vault: error: okx\.apiSecret contains a NUL byte, which cannot be handed to a program$/m);
      expect(r.stderr).not.toMatch(/internal error|    at /);
    }
  });
});
