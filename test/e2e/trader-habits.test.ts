// Trader formats and habits through the built CLI: CCXT's field names, DEX wallets, dotenv's
// own .env semantics, "-" for standard input, secrets as private files, and the small things
// (hints, colour conventions, versioned JSON) a trader's scripts rely on.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CLI, FAST_KDF, HANG_MS, OKX_JSON, Sandbox } from '../helpers/cli';
import { Terminal } from '../helpers/tmux';
import { CANARY } from '../helpers/canary';

const CHILD = path.resolve(__dirname, '../fixtures/child.js');
const node = process.execPath;
const WALLET = '0x' + 'ab12'.repeat(10);
// A Hyperliquid API wallet's private key: 32 bytes in hex, with the format's shape (no warning).
const HL_KEY = '0x' + Buffer.from(CANARY.apiSecret).toString('hex').slice(0, 64);

let sb: Sandbox;
let env: Record<string, string>;
beforeAll(async () => {
  sb = new Sandbox();
  await sb.init();
  env = { EXVAULT_PASSPHRASE_FILE: sb.passFile };
  expect((await sb.run(['add', 'okx-grid', '--exchange', 'okx'], { env, input: OKX_JSON })).code).toBe(0);
});
afterAll(() => {
  sb.assertNoCanary();
  sb.cleanup();
});

const out = (name: string) => path.join(sb.root, 'tmp', name);
const readJson = (f: string) => JSON.parse(fs.readFileSync(f, 'utf8'));

describe("CCXT's field names", () => {
  it('vault get finds apiSecret as "secret" and passphrase as "password"', async () => {
    let r = await sb.run(['get', 'okx-grid', 'secret'], { env, reveals: true });
    expect({ code: r.code, out: r.stdout }).toEqual({ code: 0, out: `${CANARY.apiSecret}\n` });
    r = await sb.run(['get', 'okx-grid', 'password'], { env, reveals: true });
    expect({ code: r.code, out: r.stdout }).toEqual({ code: 0, out: `${CANARY.passphrase}\n` });
    r = await sb.run(['get', 'okx-grid', 'uid'], { env });
    expect(r.code).toBe(4);
  });

  it('inject fills {{ vault://okx-grid/secret }} and exec --map takes entry.password', async () => {
    const tpl = out('ccxt.json.tpl');
    fs.writeFileSync(tpl, '{"secret": "{{ vault://okx-grid/secret }}", "password": "{{ vault://okx-grid/password }}"}\n');
    const r = await sb.run(['inject', '-i', tpl], { env, reveals: true });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ secret: CANARY.apiSecret, password: CANARY.passphrase });
    const f = out('ccxt-env.json');
    const x = await sb.run(['exec', '--map', 'OKX_PW=okx-grid.password', '--', node, CHILD, 'env', f], { env });
    expect(x.code).toBe(0);
    expect(readJson(f).OKX_PW).toBe(CANARY.passphrase);
    fs.rmSync(f);
  });

  it('a profile and an env file may name fields as CCXT does', async () => {
    expect((await sb.run(['profile', 'set', 'ccxt', '--map', 'S=okx-grid.secret'], { env })).code).toBe(0);
    const ef = out('ccxt.env');
    fs.writeFileSync(ef, 'P=vault://okx-grid/password\n');
    const f = out('ccxt-env2.json');
    const x = await sb.run(['exec', '--profile', 'ccxt', '--env-from', ef, '--', node, CHILD, 'env', f], { env });
    expect(x.code).toBe(0);
    expect(readJson(f)).toMatchObject({ S: CANARY.apiSecret, P: CANARY.passphrase });
    fs.rmSync(f);
  });

  it('edit --env secret=VAR renames apiSecret', async () => {
    expect((await sb.run(['edit', 'okx-grid', '--env', 'secret=OKX_SECRET'], { env })).code).toBe(0);
    const r = await sb.run(['show', 'okx-grid', '--json'], { env });
    expect(JSON.parse(r.stdout).env.apiSecret).toBe('OKX_SECRET');
  });
});

describe('DEX wallets (walletAddress + privateKey)', () => {
  it('stores a Hyperliquid wallet and hands it over as CCXT names it', async () => {
    const input = JSON.stringify({ walletAddress: WALLET, privateKey: HL_KEY });
    let r = await sb.run(['add', 'hl', '--exchange', 'hyperliquid'], { env, input });
    expect({ code: r.code, err: r.stderr }).toEqual({ code: 0, err: 'added hl (privateKey, walletAddress)\n' });
    r = await sb.run(['get', 'hl', 'walletAddress'], { env });
    expect(r.stdout).toBe(`${WALLET}\n`);
    const f = out('hl.json');
    expect((await sb.run(['exec', 'hl', '--', node, CHILD, 'env', f], { env })).code).toBe(0);
    expect(readJson(f)).toMatchObject({ HL_WALLET_ADDRESS: WALLET, HL_PRIVATE_KEY: HL_KEY });
    fs.rmSync(f);
  });

  it('an "other" exchange takes a wallet instead of an API key, but not half of one', async () => {
    let r = await sb.run(['add', 'dydx', '--exchange', 'other'], { env, input: JSON.stringify({ walletAddress: WALLET, privateKey: HL_KEY }) });
    expect(r.code).toBe(0);
    r = await sb.run(['add', 'dydx2', '--exchange', 'other'], { env, input: JSON.stringify({ walletAddress: WALLET }) });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/needs apiKey/);
    r = await sb.run(['add', 'hl2', '--exchange', 'hyperliquid'], { env, input: JSON.stringify({ walletAddress: WALLET }) });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Hyperliquid needs privateKey/);
  });
});

describe('exec --env-from reads a .env as dotenv does', () => {
  it('quotes before a comment, backticks and multi-line quoted values mean what they mean to dotenv', async () => {
    const text = 'W="v" # comment\nB=`back tick`\nM="first\nsecond"\nexport S=\'it\\\'s\'\nK=vault://okx-grid/apiKey\n';
    const ef = out('dotenv.env');
    fs.writeFileSync(ef, text);
    const f = out('dotenv-env.json');
    const r = await sb.run(['exec', '--env-from', ef, '--', node, CHILD, 'env', f], { env });
    expect({ code: r.code, err: r.stderr }).toEqual({ code: 0, err: '' });
    // The real dotenv in this process is the reference.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const expected = { ...require('dotenv').parse(text), K: CANARY.apiKey };
    const got = readJson(f);
    expect(Object.fromEntries(Object.keys(expected).map((k) => [k, got[k]]))).toEqual(expected);
    expect(got.W).toBe('v');
    expect(got.M).toBe('first\nsecond');
    fs.rmSync(f);
  });

  it('a line dotenv would skip is refused by number, not silently dropped', async () => {
    const ef = out('typo.env');
    fs.writeFileSync(ef, 'A=1\nK vault://okx-grid/apiKey\n');
    const r = await sb.run(['exec', '--env-from', ef, '--', node, '-e', '0'], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/line 2 of the env file is not VAR=value/);
  });
});

describe('"-" is standard input wherever a file is read', () => {
  it('--passphrase-file - reads the passphrase from standard input', async () => {
    const r = await sb.run(['--passphrase-file', '-', 'list'], { input: `${CANARY.vaultPassphrase}\n` });
    expect({ code: r.code, err: r.stderr }).toEqual({ code: 0, err: '' });
    expect(r.stdout).toMatch(/^okx-grid /m);
  });

  it('inject -i - reads the template from standard input', async () => {
    const r = await sb.run(['inject', '-i', '-', '--format', 'json'], { env, input: '{"k": "{{ vault://okx-grid/apiKey }}"}\n', reveals: true });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ k: CANARY.apiKey });
  });

  it('import json - reads an export from standard input', async () => {
    const exported = await sb.run(['export', 'okx-grid', '--yes'], { env, reveals: true });
    expect(exported.code).toBe(0);
    const other = path.join(sb.root, 'home', 'stdin-import.exv');
    expect((await sb.run(['--vault', other, 'init', ...FAST_KDF], { env })).code).toBe(0);
    const r = await sb.run(['--vault', other, 'import', 'json', '-', '--yes'], { env, input: exported.stdout });
    expect(r.code).toBe(0);
    expect((await sb.run(['--vault', other, 'get', 'okx-grid', 'apiSecret'], { env, reveals: true })).stdout).toBe(`${CANARY.apiSecret}\n`);
  });

  it('standard input cannot serve two readers at once', async () => {
    const r = await sb.run(['--passphrase-file', '-', 'add', 'twice', '--exchange', 'okx', '--from-file', '-'], { input: OKX_JSON });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/"-" \(standard input\) is given twice/);
    // Without --from-file, add reads its JSON from standard input: refused before any unlock.
    const r2 = await sb.run(['--passphrase-file', '-', 'add', 'twice', '--exchange', 'okx'], { input: `${CANARY.vaultPassphrase}\n` });
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/"-" \(standard input\) is given twice/);
  });

  it('vault get vault://entry/field, as op read takes op://', async () => {
    let r = await sb.run(['get', 'vault://okx-grid/apiKey'], { env, reveals: true });
    expect({ code: r.code, out: r.stdout }).toEqual({ code: 0, out: `${CANARY.apiKey}\n` });
    r = await sb.run(['get', 'okx-grid'], { env });
    expect(r.code).toBe(2);
  });
});

describe('small habits', () => {
  it("README's own profile example works: --pristine --keep PYTHONPATH, shown by profile list and honoured by exec", async () => {
    let r = await sb.run(['profile', 'set', 'grid', 'okx-grid', '--pristine', '--keep', 'PYTHONPATH'], { env });
    expect({ code: r.code, err: r.stderr }).toEqual({ code: 0, err: 'profile grid saved\n' });
    r = await sb.run(['profile', 'list'], { env });
    expect(r.stdout).toMatch(/^NAME +ENTRIES +MAPPED +OPTIONS +KEPT$/m);
    expect(r.stdout).toMatch(/^grid +okx-grid +- +pristine +PYTHONPATH$/m);
    const f = out('keep.json');
    expect((await sb.run(['exec', '--profile', 'grid', '--', node, CHILD, 'env', f], { env: { ...env, PYTHONPATH: '/opt/lib', OTHER: 'x' } })).code).toBe(0);
    expect(readJson(f)).toMatchObject({ PYTHONPATH: '/opt/lib' });
    expect(readJson(f).OTHER).toBeUndefined();
    fs.rmSync(f);
    // Kept, yes; given a secret, never.
    r = await sb.run(['profile', 'set', 'bad', '--map', 'PYTHONPATH=okx-grid.apiKey'], { env });
    expect(r.code).toBe(2);
  });

  it('a misspelled entry or profile name gets "did you mean"', async () => {
    let r = await sb.run(['show', 'okx-gird'], { env });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('vault: hint: did you mean okx-grid?\n');
    r = await sb.run(['exec', 'oxk-grid', '--', node, '-e', '0'], { env });
    expect(r.stderr).toContain('did you mean okx-grid?');
    r = await sb.run(['exec', '--profile', 'gird', '--', node, '-e', '0'], { env });
    expect(r.stderr).toContain('did you mean grid?');
    r = await sb.run(['show', 'binance'], { env });
    expect(r.stderr).not.toContain('did you mean');
  });

  it('colour follows FORCE_COLOR, NO_COLOR and TERM=dumb', async () => {
    const bold = '\u001b[1m';
    const list = (extra: Record<string, string>) => sb.run(['list'], { env: { ...env, ...extra } });
    expect((await list({})).stdout).not.toContain('\u001b[');
    expect((await list({ FORCE_COLOR: '1' })).stdout).toContain(bold);
    expect((await list({ FORCE_COLOR: '0' })).stdout).not.toContain('\u001b[');
    expect((await list({ FORCE_COLOR: '1', NO_COLOR: '1' })).stdout).toContain(bold);
    expect((await sb.run(['--no-color', 'list'], { env: { ...env, FORCE_COLOR: '1' } })).stdout).not.toContain('\u001b[');
    const err = await sb.run(['show', 'nothing'], { env: { ...env, FORCE_COLOR: 'true' } });
    expect(err.stderr).toContain('vault: \u001b[31merror\u001b[39m: ');
  });

  it('on a terminal: colour, except with TERM=dumb (unless FORCE_COLOR)', async () => {
    const screen = async (pre: string[]) => {
      const t = new Terminal(sb.env);
      try {
        t.start(['env', ...pre, `EXVAULT_PASSPHRASE_FILE=${sb.passFile}`, node, CLI, 'show', 'nothing-here'], sb.root);
        await t.exitCode(HANG_MS);
        return t.screen(true);
      } finally {
        t.close();
      }
    };
    expect(await screen([])).toMatch(/\u001b\[[0-9;]*m/);
    expect(await screen(['TERM=dumb'])).not.toMatch(/\u001b\[[0-9;]*m/);
    expect(await screen(['TERM=dumb', 'FORCE_COLOR=1'])).toMatch(/\u001b\[[0-9;]*m/);
  });

  it('--json objects carry a schema version; lists stay arrays', async () => {
    const show = JSON.parse((await sb.run(['show', 'okx-grid', '--json'], { env })).stdout);
    expect(show.schema).toBe(1);
    expect(show.name).toBe('okx-grid');
    expect(Object.keys(show)[0]).toBe('schema');
    const doctor = JSON.parse((await sb.run(['doctor', '--json'], { env })).stdout);
    expect(doctor.schema).toBe(1);
    expect(Array.isArray(JSON.parse((await sb.run(['list', '--json'], { env })).stdout))).toBe(true);
  });
});

describe('cosmetics', () => {
  it('the audit table fits its columns: one exec of many entries does not widen every line', async () => {
    const names = ['long-entry-name-number-one', 'long-entry-name-number-two', 'long-entry-name-number-three', 'long-entry-name-number-four'];
    for (const n of names) expect((await sb.run(['add', n, '--exchange', 'okx'], { env, input: OKX_JSON })).code).toBe(0);
    expect((await sb.run(['exec', ...names, '--', node, '-e', '0'], { env })).code).toBe(0);
    expect((await sb.run(['get', 'okx-grid', 'apiKey'], { env, reveals: true })).code).toBe(0);
    const lines = (await sb.run(['audit'], { env })).stdout.trimEnd().split('\n');
    const exec = lines.find((l) => l.includes('long-entry-name-number-four'))!;
    expect(exec.length).toBeGreaterThan(150);
    const get = lines[lines.length - 1]!;
    expect(get).toMatch(/ get /);
    expect(get.length).toBeLessThan(90);
  });

  it('vault config shows the default in effect, and says it is the default', async () => {
    const r = await sb.run(['config'], { env });
    expect(r.stdout).toContain('warn-before = 14d (default)\n');
    expect(r.stdout).toContain('keep-versions = 10 (default)\n');
    expect(r.stdout).not.toContain('(not set)');
    expect((await sb.run(['config', 'warn-before', '7d'], { env })).code).toBe(0);
    expect((await sb.run(['config', 'warn-before'], { env })).stdout).toBe('warn-before = 7d\n');
  });

  it('--expires 5d is "due in 5d"', async () => {
    expect((await sb.run(['add', 'five', '--exchange', 'okx', '--expires', '5d'], { env, input: OKX_JSON })).code).toBe(0);
    const r = await sb.run(['list'], { env });
    expect(r.stdout).toMatch(/^five .*due in 5d/m);
  });

  it('a past expiry is stored with a warning before the success line', async () => {
    const r = await sb.run(['add', 'past', '--exchange', 'okx', '--expires', '2020-01-01'], { env, input: OKX_JSON });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^vault: warning: the expiry 2020-01-01 is in the past: past counts as expired[^\n]*\nadded past /m);
    const e = await sb.run(['edit', 'five', '--expires', '2021-02-03'], { env });
    expect(e.stderr).toMatch(/warning: the expiry 2021-02-03 is in the past/);
  });

  it('a shape warning comes before the entry is saved (and before the success line)', async () => {
    const r = await sb.run(['add', 'shape', '--exchange', 'okx'], { env, input: JSON.stringify({ apiKey: 'not-a-uuid-at-all-x', apiSecret: 'ABCDEF0123456789ABCDEF0123456789', passphrase: 'pw-1' }) });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^vault: warning: apiKey does not match the usual OKX format[^\n]*\nadded shape /);
  });

  it('results into /dev/null (README\'s cron line) end instead of hanging', async () => {
    for (const args of [['list', '--json'], ['get', 'okx-grid', 'apiKey']]) {
      const devnull = fs.openSync('/dev/null', 'w');
      const child = spawn(process.execPath, [CLI, ...args], { env: { ...sb.env, ...env }, stdio: ['ignore', devnull, devnull] });
      const timer = setTimeout(() => child.kill('SIGKILL'), 40_000);
      const code = await new Promise((res) => child.on('close', (c, s) => res(c ?? s)));
      clearTimeout(timer);
      fs.closeSync(devnull);
      expect(code).toBe(0);
    }
  });
});

describe('exec --file VAR=entry.field: the secret as a private file for the run', () => {
  // Reports about the file, never its content: a digest to compare with.
  // With "wait", its signal handlers are in before the report that the test waits for.
  const PROBE = `const fs=require('fs'),c=require('crypto'),p=process.env.K,o=process.argv[1];
if(process.argv[2]==='wait'){process.on('SIGTERM',()=>process.exit(0));process.on('SIGINT',()=>process.exit(0));setInterval(()=>{},1000);}
const st=fs.statSync(p),dst=fs.statSync(require('path').dirname(p));
fs.writeFileSync(o+'.tmp',JSON.stringify({p,mode:st.mode&0o777,dirMode:dst.mode&0o777,sha:c.createHash('sha256').update(fs.readFileSync(p)).digest('hex'),envHasValue:Object.values(process.env).some(v=>v.includes(fs.readFileSync(p,'utf8')))}));
fs.renameSync(o+'.tmp',o);`;
  const sha = (s: string) => createHash('sha256').update(s).digest('hex');
  let runDir: string;
  // A runtime folder on tmpfs, as the user's own is: one on a disk is passed over for /dev/shm.
  beforeAll(() => {
    runDir = fs.mkdtempSync('/dev/shm/exvault-e2e-run-');
    fs.chmodSync(runDir, 0o700);
  });
  afterAll(() => fs.rmSync(runDir, { recursive: true, force: true }));
  const fenv = () => ({ ...env, XDG_RUNTIME_DIR: runDir });
  const waitFor = async (f: string) => {
    for (let i = 0; i < 2000 && !fs.existsSync(f); i++) await new Promise((r) => setTimeout(r, 20));
    return JSON.parse(fs.readFileSync(f, 'utf8'));
  };

  it('VAR holds the path of a 0600 file in a 0700 folder under $XDG_RUNTIME_DIR, gone when the program ends', async () => {
    const o = out('file-probe.json');
    const r = await sb.run(['exec', '--file', 'K=okx-grid.secret', '--', node, '-e', PROBE, o], { env: fenv() });
    expect({ code: r.code, err: r.stderr }).toEqual({ code: 0, err: '' });
    const got = await waitFor(o);
    expect(got).toMatchObject({ mode: 0o600, dirMode: 0o700, sha: sha(CANARY.apiSecret), envHasValue: false });
    expect(path.dirname(path.dirname(got.p))).toBe(runDir);
    expect(fs.existsSync(got.p)).toBe(false);
    expect(fs.readdirSync(runDir)).toEqual([]);
    fs.rmSync(o);
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('%s to vault: forwarded, and the file is removed when the program has ended', async (sig) => {
    const o = out(`file-${sig}.json`);
    const run = sb.start(['exec', '--file', 'K=okx-grid.apiKey', '--', node, '-e', PROBE, o, 'wait'], { env: fenv() });
    const got = await waitFor(o);
    expect(fs.existsSync(got.p)).toBe(true);
    run.child.kill(sig);
    const r = await run.done;
    expect(r.code).toBe(0);
    expect(fs.existsSync(got.p)).toBe(false);
    expect(fs.readdirSync(runDir)).toEqual([]);
    fs.rmSync(o);
  });

  it('after kill -9 of vault the folder stays (documented) and the next exec --file removes it', async () => {
    const o = out('file-kill.json');
    const run = sb.start(['exec', '--file', 'K=okx-grid.apiKey', '--', node, '-e', PROBE, o, 'wait'], { env: fenv() });
    const got = await waitFor(o);
    run.child.kill('SIGKILL');
    await run.done;
    expect(fs.existsSync(got.p)).toBe(true);
    const o2 = out('file-kill2.json');
    expect((await sb.run(['exec', '--file', 'K=okx-grid.apiKey', '--', node, '-e', PROBE, o2], { env: fenv() })).code).toBe(0);
    expect(fs.existsSync(got.p)).toBe(false);
    expect(fs.readdirSync(runDir)).toEqual([]);
    fs.rmSync(o);
    fs.rmSync(o2);
  });

  it('an XDG_RUNTIME_DIR others may read is passed over for /dev/shm; the release is logged', async () => {
    const open = path.join(sb.root, 'run-open');
    fs.mkdirSync(open, { mode: 0o755 });
    fs.chmodSync(open, 0o755);
    const o = out('file-shm.json');
    expect((await sb.run(['exec', '--file', 'K=okx-grid.passphrase', '--', node, '-e', PROBE, o], { env: { ...env, XDG_RUNTIME_DIR: open } })).code).toBe(0);
    const got = await waitFor(o);
    expect(got.p).toMatch(/^\/dev\/shm\/exvault-exec-\d+-[^/]+\/K$/);
    expect(got.sha).toBe(sha(CANARY.passphrase));
    expect(fs.existsSync(path.dirname(got.p))).toBe(false);
    expect(fs.readdirSync(open)).toEqual([]);
    const audit = JSON.parse((await sb.run(['audit', '--json'], { env })).stdout);
    expect(audit[audit.length - 1]).toMatchObject({ cmd: 'exec', entries: [{ entry: 'okx-grid', fields: ['passphrase'] }] });
    fs.rmSync(o);
  });

  it('a profile can carry --file mappings (and --no-wrapper refuses them)', async () => {
    expect((await sb.run(['profile', 'set', 'files', '--file', 'K=okx-grid.apiKey'], { env })).code).toBe(0);
    expect((await sb.run(['profile', 'list'], { env })).stdout).toMatch(/^files +- +K\(file\) /m);
    const o = out('file-profile.json');
    expect((await sb.run(['exec', '--profile', 'files', '--', node, '-e', PROBE, o], { env: fenv() })).code).toBe(0);
    expect((await waitFor(o)).sha).toBe(sha(CANARY.apiKey));
    fs.rmSync(o);
    const n = await sb.run(['exec', '--no-wrapper', '--profile', 'files', '--', node, '-e', '0'], { env: fenv() });
    expect(n.code).toBe(2);
    // (On Node 20 --no-wrapper itself is refused first: either way nothing runs.)
    expect(n.stderr).toMatch(/--no-wrapper (cannot hand over files|needs Node\.js)/);
  });

  it('dry-run names the file; --no-wrapper refuses --file', async () => {
    const d = await sb.run(['exec', '--file', 'K=okx-grid.apiKey', '--dry-run'], { env: fenv() });
    expect(d.stdout).toMatch(/^K +file with okx-grid\.apiKey$/m);
    const n = await sb.run(['exec', '--no-wrapper', '--file', 'K=okx-grid.apiKey', '--', node, '-e', '0'], { env: fenv() });
    expect(n.code).toBe(2);
  });
});
