// The everyday commands through the built CLI, with their exit codes, and the rule that a
// failed command leaves the vault byte-identical.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { BINANCE_JSON, FAST_KDF, HANG_MS, OKX_JSON, Sandbox } from '../helpers/cli';
import { CANARY } from '../helpers/canary';

const PEM = '-----BEGIN PRIVATE KEY-----\r\nMC4CAQAwBQYDK2VwBCIEIGx0ZXN0LWtleS1mb3ItZXh2YXVsdC1lMmUtdGVzdHM=\r\n-----END PRIVATE KEY-----\r\n';
const B64 = 'B'.repeat(64);

let sb: Sandbox;
beforeAll(async () => {
  sb = new Sandbox();
  await sb.init();
});
afterAll(() => {
  sb.assertNoCanary();
  sb.cleanup();
});

const snapshot = () => fs.readFileSync(sb.vault);

/** Runs a command that must fail with `code` and leave the vault exactly as it was. */
async function expectRefusal(args: string[], code: number, message: RegExp, input?: string) {
  const before = snapshot();
  const r = await sb.vaultCmd(args, { input });
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code, stderr: expect.stringMatching(message) });
  // One error line; the rest are hints (or warnings about the input given).
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines.filter((l) => l.startsWith('vault: error: '))).toHaveLength(1);
  for (const l of lines) expect(l).toMatch(/^vault: (error|hint|warning): /);
  expect(snapshot().equals(before)).toBe(true);
  return r;
}

describe('init', () => {
  it('creates a private vault in the XDG data folder', () => {
    expect(fs.statSync(sb.vault).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(sb.vault)).mode & 0o777).toBe(0o700);
    expect(sb.vault).toBe(path.join(sb.env.XDG_DATA_HOME!, 'exvault', 'vault.exv'));
  });

  it('refuses to overwrite an existing vault (exit 2)', async () => {
    await expectRefusal(['init', ...FAST_KDF], 2, /a vault already exists/);
  });

  it('refuses a short passphrase and KDF settings under the floor', async () => {
    const other = path.join(sb.root, 'home', 'v2.exv');
    const short = sb.secretFile('short', 'abc\n');
    let r = await sb.run(['--vault', other, '--passphrase-file', short, 'init', ...FAST_KDF]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/too short/);
    r = await sb.vaultCmd(['--vault', other, 'init', '--kdf-memory', '8', '--kdf-passes', '2']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/below the minimum/);
    expect(fs.existsSync(other)).toBe(false);
  });

  it.each(['aaaaaaaaaa', '1234567890', 'passwordpassword', 'qwertyuiop123'])('refuses the guessable passphrase %s unless --allow-weak-passphrase', async (weak) => {
    const other = path.join(sb.root, 'home', `weak-${weak}.exv`);
    const file = sb.secretFile(`weak-${weak}`, `${weak}\n`);
    let r = await sb.run(['--vault', other, '--passphrase-file', file, 'init', ...FAST_KDF]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^vault: error: the passphrase is too easy to guess \(zxcvbn score [0-2] of 4/);
    expect(r.stderr).toContain('--allow-weak-passphrase');
    expect(r.stderr).not.toContain(weak);
    expect(fs.existsSync(other)).toBe(false);
    r = await sb.run(['--vault', other, '--passphrase-file', file, 'init', ...FAST_KDF, '--allow-weak-passphrase']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warning: the passphrase is easy to guess/);
  });

  it('refuses KDF settings cheaper than the interactive preset unless --allow-weak-kdf', async () => {
    const other = path.join(sb.root, 'home', 'weak-kdf.exv');
    const r = await sb.vaultCmd(['--vault', other, 'init', '--kdf-memory', '19', '--kdf-passes', '2']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^vault: error: 19 MiB and 2 passes is cheaper than the interactive preset/);
    expect(r.stderr).toContain('--allow-weak-kdf');
    expect(fs.existsSync(other)).toBe(false);
    const p = await sb.vaultCmd(['passwd', '--keep-passphrase', '--kdf-memory', '32', '--kdf-passes', '3']);
    expect(p.code).toBe(2);
    expect(p.stderr).toMatch(/cheaper than the interactive preset/);
  });
});

describe('add, list, show, get', () => {
  it('adds a Binance key from JSON on stdin, with metadata', async () => {
    const r = await sb.vaultCmd(['add', 'binance-main', '--exchange', 'binance', '--permissions', 'reading,spot', '--ip', '203.0.113.7', '--label', 'grid bot', '--expires', '2027-06-30'], { input: BINANCE_JSON });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('added binance-main (apiKey, apiSecret)');
    // The canary key is not Binance-shaped: a warning names the field, not the value.
    expect(r.stderr).toMatch(/warning: apiKey does not match the usual Binance format/);
  });

  it('lists entries as a table and as JSON, without values', async () => {
    const table = await sb.vaultCmd(['list']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^NAME\s+EXCHANGE\s+SCOPES\s+IPS\s+ROTATION\s+LABEL\nbinance-main\s+binance\s+read,trade\s+1\s+ok \(2027-06-30\)\s+grid bot\n$/);
    const j = await sb.vaultCmd(['list', '--json']);
    expect(JSON.parse(j.stdout)).toEqual([
      expect.objectContaining({
        name: 'binance-main', exchange: 'binance', permissions: ['reading', 'spot'], scopes: ['read', 'trade'], ips: ['203.0.113.7'],
        expires: '2027-06-30', fields: ['apiKey', 'apiSecret'], env: { apiKey: 'BINANCE_MAIN_API_KEY', apiSecret: 'BINANCE_MAIN_API_SECRET' },
      }),
    ]);
  });

  it('shows metadata with values masked to their last 4 characters', async () => {
    const r = await sb.vaultCmd(['show', 'binance-main']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^apiKey +\\*{8}${CANARY.apiKey.slice(-4)}  -> \\$BINANCE_MAIN_API_KEY$`, 'm'));
    expect(r.stdout).toMatch(/^permissions +reading, spot \(read, trade\)$/m);
  });

  it('--quiet leaves only results and problems', async () => {
    const r = await sb.vaultCmd(['-q', 'add', 'quiet-one', '--exchange', 'okx', '--ip', '203.0.113.9'], { input: JSON.stringify({ apiKey: '0a1b2c3d-0a1b-0a1b-0a1b-0a1b2c3d4e5f', apiSecret: '0123456789ABCDEF0123456789ABCDEF', passphrase: 'p'.repeat(12) }) });
    expect(r).toMatchObject({ code: 0, stdout: '', stderr: '' });
    const loud = await sb.vaultCmd(['rm', 'quiet-one', '--yes']);
    expect(loud.stderr).toBe('removed quiet-one\n');
  });

  it('gets one raw value for scripts', async () => {
    const r = await sb.vaultCmd(['get', 'binance-main', 'apiSecret'], { reveals: true });
    expect(r).toMatchObject({ code: 0, stdout: `${CANARY.apiSecret}\n` });
    const raw = await sb.vaultCmd(['get', 'binance-main', 'apiSecret', '--raw'], { reveals: true });
    expect(raw.stdout).toBe(CANARY.apiSecret);
  });

  it('reads fields from --from-file and keeps a PEM key byte for byte', async () => {
    const json = sb.secretFile('cb.json', JSON.stringify({ apiKey: 'organizations/0a1b/apiKeys/2c3d' }));
    const pem = sb.secretFile('cb.pem', PEM);
    const r = await sb.vaultCmd(['add', 'cb', '--exchange', 'coinbase', '--from-file', json, '--private-key-file', pem]);
    expect(r.code).toBe(0);
    const got = await sb.vaultCmd(['get', 'cb', 'privateKey', '--raw'], { reveals: true });
    expect(got.stdout).toBe(PEM);
    const shown = await sb.vaultCmd(['show', 'cb']);
    expect(shown.stdout).toContain('-----BEGIN PRIVATE KEY----- ... (3 lines)');
  });

  it('adds an OKX key with its passphrase, accepting CCXT field names', async () => {
    const ccxt = JSON.stringify({ apiKey: CANARY.apiKey, secret: CANARY.apiSecret, password: CANARY.passphrase });
    const r = await sb.vaultCmd(['add', 'okx-grid', '--exchange', 'okx', '--permissions', 'read,trade', '--from-file', '-'], { input: ccxt });
    expect(r.code).toBe(0);
    const got = await sb.vaultCmd(['get', 'okx-grid', 'passphrase'], { reveals: true });
    expect(got.stdout).toBe(`${CANARY.passphrase}\n`);
  });
});

describe('secret fields as editors and exchanges give them', () => {
  it('stores a chosen passphrase ending in a space, from a JSON file Notepad wrote (with a BOM), warning by field name only', async () => {
    const file = path.join(sb.root, 'home', 'okx-notepad.json');
    const pass = `${CANARY.passphrase} `;
    fs.writeFileSync(file, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify({ apiKey: CANARY.apiKey, apiSecret: CANARY.apiSecret, passphrase: pass }))]), { mode: 0o600 });
    const r = await sb.vaultCmd(['add', 'okx-spaced', '--exchange', 'okx', '--from-file', file]);
    fs.rmSync(file);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/passphrase has white space at its start or end: stored as given/);
    expect(r.stderr).not.toContain(CANARY.passphrase);
    const got = await sb.vaultCmd(['get', 'okx-spaced', 'passphrase'], { reveals: true });
    expect(got.stdout).toBe(`${pass}\n`);
    expect((await sb.vaultCmd(['rm', 'okx-spaced', '--yes'])).code).toBe(0);
  });
});

describe('input that is refused, leaving the vault untouched', () => {
  it.each([
    ['a duplicate name', ['add', 'binance-main', '--exchange', 'binance'], BINANCE_JSON, 2, /already exists/],
    ['an invalid name', ['add', 'Bad Name', '--exchange', 'binance'], BINANCE_JSON, 2, /invalid entry name/],
    ['an unknown exchange', ['add', 'x', '--exchange', 'mtgox'], BINANCE_JSON, 2, /invalid/],
    ['an empty value', ['add', 'x', '--exchange', 'binance'], JSON.stringify({ apiKey: '', apiSecret: B64 }), 2, /apiKey is empty/],
    ['white space around a value', ['add', 'x', '--exchange', 'binance'], JSON.stringify({ apiKey: ` ${B64}`, apiSecret: B64 }), 2, /white space/],
    ['a missing OKX passphrase', ['add', 'x', '--exchange', 'okx'], BINANCE_JSON, 2, /OKX needs passphrase/],
    ['a field given twice in the JSON', ['add', 'x', '--exchange', 'okx'], `{"apiKey": "${CANARY.apiKey}", "apiSecret": "${CANARY.apiSecret}", "passphrase": "p", "apiKey": "${CANARY.apiKey}x"}`, 2, /field apiKey is given twice in standard input/],
    ['a lone surrogate in the JSON', ['add', 'x', '--exchange', 'okx'], `{"apiKey": "${CANARY.apiKey}", "apiSecret": "${CANARY.apiSecret}", "passphrase": "\\ud800x"}`, 2, /passphrase is not valid Unicode \(a lone surrogate\)/],
    ['a zero-width space after an API secret', ['add', 'x', '--exchange', 'okx'], JSON.stringify({ apiKey: CANARY.apiKey, apiSecret: `${CANARY.apiSecret}\u200b`, passphrase: 'p' }), 2, /apiSecret has white space/],
    ['malformed JSON (not quoted back)', ['add', 'x', '--exchange', 'binance'], `{"apiKey": "${CANARY.apiKey}"`, 2, /not valid JSON/],
    ['no fields and no terminal', ['add', 'x', '--exchange', 'binance'], '', 7, /no secret fields were given/],
    ['no exchange and no terminal to ask', ['add', 'x'], OKX_JSON, 7, /which exchange is the key for\?/],
    ['an unknown permission', ['add', 'x', '--exchange', 'okx', '--permissions', 'teleport'], OKX_JSON, 2, /unknown permission/],
    ['a bad IP', ['add', 'x', '--exchange', 'okx', '--ip', '300.1.1.1'], OKX_JSON, 2, /not an IP address/],
    ['a bad date', ['add', 'x', '--exchange', 'okx', '--expires', '2027-13-01'], OKX_JSON, 2, /not a date/],
    ['a dangerous env target', ['add', 'x', '--exchange', 'okx', '--env', 'apiKey=LD_PRELOAD'], OKX_JSON, 2, /LD_PRELOAD cannot receive a secret/],
    ['an unknown option with a value', ['list', `--secret=${CANARY.apiKey}`], '', 2, /unknown option '--secret'/],
  ])('%s', async (_name, args, input, code, message) => {
    const r = await expectRefusal(args as string[], code as number, message as RegExp, input as string);
    expect(r.stderr).not.toContain(CANARY.apiKey);
  });

  it('a 64 GiB input is refused without reading it all', async () => {
    const big = path.join(sb.root, 'home', 'big.json');
    const fd = fs.openSync(big, 'w', 0o600);
    // Sparse: a reader that loaded it would die on allocation instead of giving this refusal.
    fs.ftruncateSync(fd, 64 * 1024 * 1024 * 1024);
    fs.closeSync(fd);
    const r = await expectRefusal(['add', 'x', '--exchange', 'okx', '--from-file', big], 2, /is larger than 1048576 bytes/);
    fs.rmSync(big);
  });

  it('a value given on stdin never shows up in the error for a bad one', async () => {
    const r = await expectRefusal(['add', 'x', '--exchange', 'binance'], 2, /white space/, JSON.stringify({ apiKey: `${CANARY.apiKey} `, apiSecret: B64 }));
    expect(r.stderr).not.toContain(CANARY.apiKey);
  });
});

describe('edit, rename, rm', () => {
  it('edits metadata', async () => {
    const r = await sb.vaultCmd(['edit', 'okx-grid', '--ip', '198.51.100.1,198.51.100.2', '--expires', 'never', '--env', 'apiKey=OKX_KEY', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.ips).toEqual(['198.51.100.1', '198.51.100.2']);
    expect(j.env.apiKey).toBe('OKX_KEY');
    expect(j.expires).toBeNull();
  });

  it('renames, and refuses to rename onto an existing entry', async () => {
    expect((await sb.vaultCmd(['rename', 'okx-grid', 'okx-main'])).code).toBe(0);
    await expectRefusal(['rename', 'okx-main', 'binance-main'], 2, /already exists/);
    await expectRefusal(['rename', 'nope', 'other'], 4, /no entry named "nope"/);
  });

  it('rm asks for confirmation, which needs a terminal or --yes', async () => {
    await expectRefusal(['rm', 'okx-main'], 7, /needs confirmation/);
    expect((await sb.vaultCmd(['rm', 'okx-main', '--yes'])).code).toBe(0);
    await expectRefusal(['show', 'okx-main'], 4, /no entry named/);
  });
});

describe('exit codes', () => {
  it('1: no vault, with a hint to create one', async () => {
    const r = await sb.vaultCmd(['--vault', path.join(sb.root, 'home', 'none.exv'), 'list']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('vault: hint: create one with: vault init');
  });

  it('3: wrong passphrase, and a tampered body, with the same message', async () => {
    const wrong = sb.secretFile('wrong', 'not the passphrase\n');
    const a = await sb.run(['--passphrase-file', wrong, 'list']);
    const copy = path.join(sb.root, 'home', 'tampered.exv');
    const bytes = snapshot();
    bytes[bytes.length - 3]! ^= 0x10;
    fs.writeFileSync(copy, bytes, { mode: 0o600 });
    const b = await sb.vaultCmd(['--vault', copy, 'list']);
    expect(a.code).toBe(3);
    expect(b.code).toBe(3);
    expect(a.stderr).toBe(b.stderr);
  });

  it('4: no such entry or field', async () => {
    expect((await sb.vaultCmd(['get', 'nope', 'apiKey'])).code).toBe(4);
    const r = await sb.vaultCmd(['get', 'binance-main', 'passphrase']);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('its fields: apiKey, apiSecret');
  });

  it('5: not a vault, or an unsupported version', async () => {
    const notVault = path.join(sb.root, 'home', 'notes.exv');
    fs.writeFileSync(notVault, 'hello, this is not a vault at all', { mode: 0o600 });
    const r = await sb.vaultCmd(['--vault', notVault, 'list']);
    expect(r.code).toBe(5);
    expect(r.stderr).toBe('vault: error: not an exvault vault file\n');
  });

  it('7: locked vault, no passphrase source and no terminal: at once, never hanging', async () => {
    const r = await sb.run(['list']);
    expect(r.code).toBe(7);
    expect(r.ms).toBeLessThan(HANG_MS);
    expect(r.stderr).toMatch(/--passphrase-file/);
    expect(r.stderr).toMatch(/vault keychain enable/);
  });

  it('8: the lock is held by another live process for 10 s', async () => {
    const holder = spawn('sleep', ['30']);
    const lock = `${sb.vault}.lock`;
    fs.writeFileSync(lock, JSON.stringify({ pid: holder.pid, start: null, token: 'held' }));
    try {
      await expectRefusal(['add', 'late', '--exchange', 'okx'], 8, /the vault is busy/, OKX_JSON);
    } finally {
      holder.kill('SIGKILL');
      fs.rmSync(lock, { force: true });
    }
  }, 30_000);

  it('2: usage errors', async () => {
    const r = await sb.vaultCmd(['frobnicate']);
    expect(r.code).toBe(2);
    expect((await sb.vaultCmd(['get', 'binance-main'])).code).toBe(2);
  });
});

describe('where the vault is and how it is unlocked', () => {
  it('honours EXVAULT_FILE and EXVAULT_PASSPHRASE_FILE, and --vault over EXVAULT_FILE', async () => {
    const env = { EXVAULT_FILE: sb.vault, EXVAULT_PASSPHRASE_FILE: sb.passFile, XDG_DATA_HOME: path.join(sb.root, 'home') };
    expect(JSON.parse((await sb.run(['list', '--json'], { env })).stdout).map((e: { name: string }) => e.name)).toEqual(['binance-main', 'cb']);
    const r = await sb.run(['--vault', path.join(sb.root, 'home', 'elsewhere.exv'), 'list'], { env });
    expect(r.stderr).toContain('no vault at');
  });

  it('reads the passphrase from a file descriptor', async () => {
    const r = await sb.run(['--passphrase-fd', '0', 'list', '--json'], { input: `${CANARY.vaultPassphrase}\n` });
    expect(r.code).toBe(0);
  });

  it('refuses a vault others can read, with a chmod hint', async () => {
    fs.chmodSync(sb.vault, 0o644);
    try {
      const r = await sb.vaultCmd(['list']);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`vault: hint: fix it with: chmod 600 ${sb.vault}`);
    } finally {
      fs.chmodSync(sb.vault, 0o600);
    }
  });

  it('refuses a symlinked vault path unless --allow-symlink', async () => {
    const link = path.join(sb.root, 'home', 'link.exv');
    fs.symlinkSync(sb.vault, link);
    expect((await sb.vaultCmd(['--vault', link, 'list'])).code).toBe(2);
    expect((await sb.vaultCmd(['--vault', link, '--allow-symlink', 'list'])).code).toBe(0);
  });
});

describe('passwd', () => {
  it('refuses a guessable new passphrase unless --allow-weak-passphrase; the old one still opens', async () => {
    const weak = sb.secretFile('weak-new', 'passwordpassword\n');
    const r = await sb.vaultCmd(['passwd', '--new-passphrase-file', weak]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/the passphrase is too easy to guess/);
    expect((await sb.vaultCmd(['list'])).code).toBe(0);
  });

  it('changes the passphrase; the old one stops working; the entries stay', async () => {
    const next = sb.secretFile('next', 'a brand new vault passphrase 42\n');
    const r = await sb.vaultCmd(['passwd', '--new-passphrase-file', next]);
    expect(r.code).toBe(0);
    expect((await sb.vaultCmd(['list'])).code).toBe(3);
    const list = await sb.run(['--passphrase-file', next, 'list', '--json']);
    expect(JSON.parse(list.stdout)).toHaveLength(2);
    // And back, raising the KDF to the interactive preset in the same step.
    const back = await sb.run(['--passphrase-file', next, 'passwd', '--new-passphrase-file', sb.passFile, '--kdf', 'interactive']);
    expect(back.code).toBe(0);
    expect(back.stderr).toContain('argon2id, 64 MiB, 4 passes, 4 lanes');
    expect((await sb.vaultCmd(['list'])).code).toBe(0);
  });

  it('--keep-passphrase changes only the KDF', async () => {
    const r = await sb.vaultCmd(['passwd', '--keep-passphrase', ...FAST_KDF]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('argon2id, 19 MiB, 2 passes');
    expect((await sb.vaultCmd(['list'])).code).toBe(0);
  });

  it('a wrong current passphrase changes nothing', async () => {
    const wrong = sb.secretFile('wrong2', 'not the passphrase\n');
    const before = snapshot();
    const r = await sb.run(['--passphrase-file', wrong, 'passwd', '--new-passphrase-file', wrong]);
    expect(r.code).toBe(3);
    expect(snapshot().equals(before)).toBe(true);
  });
});

it('help shows examples for every command and subcommand, and never a secret on the command line', async () => {
  // Every command the completion knows, and each one's subcommands.
  const top = (await sb.run(['__complete', ''])).stdout.trim().split('\n');
  expect(top.length).toBeGreaterThan(25);
  const all: string[][] = [];
  for (const cmd of top) {
    all.push([cmd]);
    const subs = (await sb.run(['__complete', cmd, ''])).stdout.trim().split('\n').filter((w) => w && !w.startsWith('-') && w !== '__files__');
    if (['keychain', 'profile', 'import', 'audit'].includes(cmd)) for (const sub of subs) all.push([cmd, sub]);
  }
  for (const words of all) {
    const r = await sb.run([...words, '--help']);
    expect(r.code).toBe(0);
    expect({ words, ok: /Examples?:/.test(r.stdout) }).toEqual({ words, ok: true });
    expect(r.stdout).not.toMatch(/--(api-)?(secret|key|passphrase)[ =][^-\s]/i);
  }
  expect((await sb.run(['help', 'exec'])).stdout).toContain('vault exec binance-main -- python bot.py --live');
});
