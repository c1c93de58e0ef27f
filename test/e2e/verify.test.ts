// vault verify end to end: the built CLI asks a local server per exchange (each checking
// signatures exactly as its exchange documents them) what each key can do, records the answer,
// shows how it differs from the declaration, and vault check acts on it (exit 10/11). Also: a
// wrong signature refused by each server (exit 12), a server that never answers (exit 13 within
// the timeout), a server that echoes the signature in its error (never shown), and exec and get
// making no network connection at all (strace).
import { spawn, spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { CLI, HANG_MS, Sandbox } from '../helpers/cli';
import { CANARY, findCanary } from '../helpers/canary';
import { binanceServer, bybitServer, coinbaseServer, ExchangeServer, kucoinServer, okxServer } from '../helpers/exchange-servers';

let sb: Sandbox;
const servers: Record<string, ExchangeServer> = {};
let env: Record<string, string>;

const IP = '203.0.113.7';
const ed = crypto.generateKeyPairSync('ed25519');
const edPem = ed.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const ecPem = ec.privateKey.export({ type: 'sec1', format: 'pem' }) as string;
const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsaPem = rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
const cbEdPair = crypto.generateKeyPairSync('ed25519');
const CB_ED = Buffer.concat([cbEdPair.privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(-32), cbEdPair.publicKey.export({ format: 'der', type: 'spki' }).subarray(-32)]).toString('base64');
const CB_ED_ID = '9f8e7d6c-0000-4000-8000-000000000003';
const CB_NAME = 'organizations/0a1b2c3d-0000-4000-8000-000000000001/apiKeys/9f8e7d6c-0000-4000-8000-000000000002';
const days = (n: number) => Date.now() + n * 86_400_000;

const binanceInfo = { ipRestrict: true, createTime: 1, enableReading: true, enableSpotAndMarginTrading: true, enableWithdrawals: false, enableInternalTransfer: false, enableMargin: false, enableFutures: false, permitsUniversalTransfer: false, enableVanillaOptions: false, enablePortfolioMarginTrading: false, tradingAuthorityExpirationTime: 0 };

const verifyCmd = (args: string[], extra: Record<string, string> = {}) => sb.vaultCmd(['verify', ...args], { env: { ...env, ...extra } });

beforeAll(async () => {
  servers.binance = await binanceServer([
    { apiKey: CANARY.apiKey, secret: CANARY.apiSecret, info: { ...binanceInfo } },
    { apiKey: 'bnEd25519Key', publicKey: ed.publicKey, info: { ...binanceInfo, enableFutures: true } },
  ]);
  servers.bybit = await bybitServer([{ apiKey: 'BybitRsaKey0123456', publicKey: rsa.publicKey, info: { readOnly: 1, permissions: {}, ips: [IP], expiredAt: '' } }, { apiKey: 'BybitKey0123456789', secret: CANARY.apiSecret, info: { id: '1', note: 'bot', apiKey: 'BybitKey0123456789', readOnly: 0, secret: '', permissions: { ContractTrade: [], Spot: ['SpotTrade'], Wallet: [], Options: [], Derivatives: [], Exchange: [], Earn: [] }, ips: [IP], type: 1, deadlineDay: -1, expiredAt: '', createdAt: '2026-01-01T00:00:00Z', unified: 0, uta: 1, userID: 1, isMaster: false } }]);
  servers.okx = await okxServer([{ apiKey: CANARY.apiKey, secret: CANARY.apiSecret, passphrase: CANARY.passphrase, info: { perm: 'read_only,trade', ip: `${IP},198.51.100.9` } }]);
  servers.kucoin = await kucoinServer([{ apiKey: 'kucoin0123456789abcdef01', secret: CANARY.apiSecret, passphrase: CANARY.passphrase, info: { permission: 'General,Spot', ipWhitelist: IP } }]);
  servers.coinbase = await coinbaseServer([{ apiKey: CB_NAME, publicKey: ec.publicKey, info: { can_view: true, can_trade: true, can_transfer: false } }, { apiKey: CB_ED_ID, publicKey: cbEdPair.publicKey, info: { can_view: true, can_trade: false, can_transfer: false } }]);
  env = Object.fromEntries(Object.entries(servers).map(([id, s]) => [`EXVAULT_${id.toUpperCase()}_URL`, s.url]));
  sb = new Sandbox();
  await sb.init();
  const add = async (name: string, exchange: string, meta: string[], input: object) => {
    const r = await sb.vaultCmd(['add', name, '--exchange', exchange, ...meta], { input: JSON.stringify(input) });
    if (r.code !== 0) throw new Error(`add ${name} failed: ${r.stderr}`);
  };
  await add('bn', 'binance', ['--permissions', 'reading,spot', '--ip', IP], { apiKey: CANARY.apiKey, apiSecret: CANARY.apiSecret });
  await add('bn-ed', 'binance', ['--permissions', 'spot', '--ip', IP], { apiKey: 'bnEd25519Key', privateKey: edPem });
  await add('by', 'bybit', ['--permissions', 'spot', '--ip', IP], { apiKey: 'BybitKey0123456789', apiSecret: CANARY.apiSecret });
  await add('okx', 'okx', ['--permissions', 'read,trade', '--ip', IP], { apiKey: CANARY.apiKey, apiSecret: CANARY.apiSecret, passphrase: CANARY.passphrase });
  await add('ku', 'kucoin', ['--permissions', 'general,spot', '--ip', IP], { apiKey: 'kucoin0123456789abcdef01', apiSecret: CANARY.apiSecret, passphrase: CANARY.passphrase });
  await add('cb', 'coinbase', ['--permissions', 'view,trade'], { apiKey: CB_NAME, privateKey: ecPem });
  await add('by-rsa', 'bybit', ['--permissions', 'read-only', '--ip', IP], { apiKey: 'BybitRsaKey0123456', privateKey: rsaPem });
  await add('cb-ed', 'coinbase', ['--permissions', 'view'], { apiKey: CB_ED_ID, privateKey: CB_ED });
  await add('kr', 'kraken', ['--permissions', 'query-funds'], { apiKey: 'K'.repeat(56), apiSecret: Buffer.from(CANARY.apiSecret).toString('base64') });
}, 120_000);

afterAll(async () => {
  for (const s of Object.values(servers)) await s.close();
  sb.assertNoCanary();
  sb.cleanup();
});

describe('vault verify', () => {
  it('asks every exchange with the key itself; records the answer; Kraken is said to be not available', async () => {
    expect((await sb.vaultCmd(['check'])).code).toBe(0);
    const r = await verifyCmd(['--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as Record<string, unknown>[];
    const by = Object.fromEntries(rows.map((x) => [x.name, x]));
    expect(rows.every((x) => x.schema === 1)).toBe(true);
    for (const n of ['bn', 'bn-ed', 'by', 'by-rsa', 'okx', 'ku', 'cb', 'cb-ed']) expect([n, by[n]!.state]).toEqual([n, 'verified']);
    // RSA (Bybit) and Ed25519 (Coinbase) keys as well as HMAC and ES256.
    expect(by['by-rsa']).toMatchObject({ permissions: ['read-only'], scopes: ['read'], differences: [] });
    expect(by['cb-ed']).toMatchObject({ permissions: ['view'], scopes: ['read'], differences: [] });
    expect(by.kr!.state).toBe('unavailable');
    expect(String(by.kr!.reason)).toMatch(/not available from the exchange/);
    expect(by.bn).toMatchObject({ permissions: ['reading', 'spot'], scopes: ['read', 'trade'], ipRestricted: true, ips: null, differences: [] });
    expect(by['bn-ed']).toMatchObject({ differences: ['the exchange grants futures, which is not declared'] });
    expect(by.by).toMatchObject({ permissions: ['spot'], ipRestricted: true, ips: [IP], differences: [] });
    expect(by.okx).toMatchObject({ scopes: ['read', 'trade'], ips: [IP, '198.51.100.9'], differences: ['the exchange allows 198.51.100.9, which is not declared'] });
    expect(by.ku).toMatchObject({ permissions: ['general', 'spot'], ips: [IP], differences: [] });
    expect(by.cb).toMatchObject({ permissions: ['view', 'trade'], ipRestricted: null, differences: [] });
    expect(String(by.cb!.origin)).toBe(servers.coinbase!.url);
    // Every server saw only correctly signed requests.
    for (const s of Object.values(servers)) expect(s.log.map((l) => l.signed)).toEqual(s.log.map(() => 'ok'));
    // Recorded in the entry, with its time.
    const show = await sb.vaultCmd(['show', 'okx', '--json']);
    const v = JSON.parse(show.stdout).verified;
    expect(v.ips).toEqual([IP, '198.51.100.9']);
    expect(Date.now() - Date.parse(v.checkedAt)).toBeLessThan(10 * 60_000);
    expect((await sb.vaultCmd(['show', 'okx'])).stdout).toMatch(/exchange says\s+read_only, trade; IP allow-list: 203\.0\.113\.7, 198\.51\.100\.9/);
    // And in the audit log: the keys signed requests that left the machine.
    const audit = JSON.parse((await sb.vaultCmd(['audit', '--json'])).stdout) as { cmd: string; entries?: { entry: string }[] }[];
    expect(audit.find((a) => a.cmd === 'verify')?.entries?.map((e) => e.entry).sort()).toEqual(['bn', 'bn-ed', 'by', 'by-rsa', 'cb', 'cb-ed', 'ku', 'okx']);
  });

  it('prints what each exchange reports, and the differences, for people', async () => {
    const r = await verifyCmd(['bn-ed', 'okx', 'kr']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^bn-ed: Binance reports:\n  permissions: reading, spot, futures \(read, trade, futures\)\n  ip allow-list: yes \(the addresses are not reported\)\n/m);
    expect(r.stdout).toMatch(/differs: the exchange grants futures, which is not declared/);
    expect(r.stdout).toMatch(/^kr: Kraken: not available from the exchange/m);
  });

  const KEYS: [string, string, string][] = [
    ['bn', 'binance', CANARY.apiKey], ['bn-ed', 'binance', 'bnEd25519Key'], ['by', 'bybit', 'BybitKey0123456789'], ['by-rsa', 'bybit', 'BybitRsaKey0123456'],
    ['okx', 'okx', CANARY.apiKey], ['ku', 'kucoin', 'kucoin0123456789abcdef01'], ['cb', 'coinbase', CB_NAME], ['cb-ed', 'coinbase', CB_ED_ID],
  ];
  it.each(KEYS)('%s (%s): a key whose signature the server cannot check is refused (exit 12, one line, no message from the exchange)', async (name, id, apiKey) => {
    const s = servers[id]!;
    const rec = s.keys.get(apiKey)!;
    const saved = { secret: rec.secret, publicKey: rec.publicKey };
    // The exchange now holds another secret (or public key of the same kind) for this key id.
    if (rec.secret) rec.secret = `${rec.secret}-other`;
    else {
      const kind = rec.publicKey!.asymmetricKeyType!;
      rec.publicKey = kind === 'ec' ? crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey : kind === 'rsa' ? crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey : crypto.generateKeyPairSync('ed25519').publicKey;
    }
    try {
      const r = await verifyCmd([name]);
      expect(r.code).toBe(12);
      expect(s.log.at(-1)!.signed).toBe('bad');
      const errors = r.stderr.trim().split('\n');
      expect(errors[0]).toMatch(new RegExp(`^vault: error: ${name}: \\w+ refused the request \\(`));
      expect(errors.length).toBeLessThanOrEqual(2);
      expect(r.stderr).not.toMatch(/Invalid|error sign|origin_string|Unauthorized/);
    } finally {
      Object.assign(rec, saved);
    }
  });

  it('a server that never answers: exit 13 once the timeout passes, nothing recorded', async () => {
    const before = JSON.parse((await sb.vaultCmd(['show', 'by', '--json'])).stdout).verified.checkedAt;
    servers.bybit!.mode = 'hang';
    try {
      const r = await sb.vaultCmd(['verify', 'by', '--timeout', '2s'], { env, timeoutMs: HANG_MS });
      expect(r.signal).toBeNull();
      expect(r.code).toBe(13);
      expect(r.stderr).toMatch(/^vault: error: by: Bybit: no answer within 2 s; nothing was changed$/m);
    } finally {
      servers.bybit!.mode = 'normal';
    }
    expect(JSON.parse((await sb.vaultCmd(['show', 'by', '--json'])).stdout).verified.checkedAt).toBe(before);
  });

  it('an exchange unreachable (nothing listening): exit 13, one line', async () => {
    const r = await verifyCmd(['ku'], { EXVAULT_KUCOIN_URL: 'http://127.0.0.1:9' });
    expect(r.code).toBe(13);
    expect(r.stderr).toMatch(/KuCoin: connection refused; nothing was changed/);
  });

  it.each(['binance', 'bybit', 'okx', 'kucoin', 'coinbase'])('%s: an error body that echoes the signature is never shown', async (id) => {
    const s = servers[id]!;
    const name = { binance: 'bn', bybit: 'by', okx: 'okx', kucoin: 'ku', coinbase: 'cb' }[id]!;
    s.mode = 'echo';
    s.echoed.length = 0;
    try {
      const r = await verifyCmd([name]);
      expect(r.code).toBe(12);
      expect(s.echoed.length).toBe(1);
      const out = r.stdout + r.stderr;
      // The whole body, and any 12 characters in a row of it past its fixed words, are absent.
      const body = s.echoed[0]!;
      expect(out).not.toContain(body);
      const sig = /(?:signature=|sign\[|Sign |KC-API-SIGN |token Bearer )([^\]"\s&]{12,})/.exec(body)?.[1];
      expect(sig).toBeDefined();
      expect(out).not.toContain(sig!.slice(0, 12));
    } finally {
      s.mode = 'normal';
    }
  });

  it('refuses an API address that would send the key in clear, and an unknown entry', async () => {
    const r = await verifyCmd(['bn', '--api-url', 'http://example.com']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--api-url must be https:\/\//);
    expect((await verifyCmd(['nosuch'])).code).toBe(4);
    // --testnet for an exchange without one: exit 2 before any request (rt21 #11).
    const seen = servers.binance!.log.length;
    const k = await sb.vaultCmd(['verify', 'ku', 'bn', '--testnet', '--json'], { env: { ...env, EXVAULT_KUCOIN_URL: '', EXVAULT_BINANCE_URL: '' } });
    expect(k.code).toBe(2);
    expect(k.stdout).toBe('');
    expect(k.stderr).toMatch(/^vault: error: (KuCoin|Binance) has no testnet .*name entries of exchanges that have one/);
    expect(servers.binance!.log.length).toBe(seen);
  }, 60_000);
});

describe('over HTTPS', () => {
  it('a certificate this machine does not trust is refused (exit 13); trusted through NODE_EXTRA_CA_CERTS, the same server answers', async () => {
    const dir = path.join(sb.root, 'tmp', 'tls');
    fs.mkdirSync(dir, { recursive: true });
    const key = path.join(dir, 'key.pem');
    const cert = path.join(dir, 'cert.pem');
    const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { encoding: 'utf8' });
    expect(made.status).toBe(0);
    const tlsServer = await binanceServer([{ apiKey: CANARY.apiKey, secret: CANARY.apiSecret, info: { ...binanceInfo } }], { key: fs.readFileSync(key, 'utf8'), cert: fs.readFileSync(cert, 'utf8') });
    try {
      expect(tlsServer.url).toMatch(/^https:/);
      const untrusted = await sb.vaultCmd(['verify', 'bn', '--json'], { env: { ...env, EXVAULT_BINANCE_URL: tlsServer.url, NODE_EXTRA_CA_CERTS: undefined } });
      expect(untrusted.code).toBe(13);
      expect(untrusted.stderr).toMatch(/Binance: its TLS certificate is not trusted; nothing was changed/);
      expect(tlsServer.log).toEqual([]);
      const trusted = await sb.vaultCmd(['verify', 'bn', '--json'], { env: { ...env, EXVAULT_BINANCE_URL: tlsServer.url, NODE_EXTRA_CA_CERTS: cert } });
      expect(trusted.code).toBe(0);
      expect(JSON.parse(trusted.stdout)[0]).toMatchObject({ state: 'verified', origin: tlsServer.url });
      expect(tlsServer.log.map((l) => l.signed)).toEqual(['ok']);
    } finally {
      await tlsServer.close();
    }
  });
});

describe('vault check acts on what the exchange reported', () => {
  it('"expires at" from the exchange: due soon (exit 10) with the rule', async () => {
    Object.assign(servers.binance!.keys.get(CANARY.apiKey)!.info, { tradingAuthorityExpirationTime: days(5), ipRestrict: false });
    const v = await verifyCmd(['bn', '--json']);
    expect(v.code).toBe(0);
    expect(JSON.parse(v.stdout)[0].differences).toEqual([
      '1 allowed IP is declared, but the exchange has no IP allow-list for this key',
      expect.stringMatching(/^the exchange disables the key on \d{4}-\d\d-\d\d \(declared: no expiry\)$/),
    ]);
    const c = await sb.vaultCmd(['check', '--json']);
    expect(c.code).toBe(10);
    expect(JSON.parse(c.stdout)).toEqual([expect.objectContaining({ name: 'bn', state: 'due-soon', reason: expect.stringMatching(/the exchange disables this key on .* \(vault verify\)/) })]);
  });

  it('"can withdraw" and "no IP allow-list" from the exchange: overdue (exit 11), alerted, and exec then refuses the key', async () => {
    const alertOut = path.join(sb.root, 'alert.json');
    expect((await sb.vaultCmd(['config', 'alert-command', `cat > ${alertOut}`])).code).toBe(0);
    Object.assign(servers.bybit!.keys.get('BybitKey0123456789')!.info, { ips: ['*'], permissions: { Spot: ['SpotTrade'], Wallet: ['AccountTransfer', 'Withdraw'] } });
    const v = await verifyCmd(['by', '--json']);
    expect(v.code).toBe(0);
    expect(JSON.parse(v.stdout)[0].differences).toEqual(expect.arrayContaining(['the exchange grants withdraw, which is not declared', 'the exchange grants transfer, which is not declared']));
    const c = await sb.vaultCmd(['check']);
    expect(c.code).toBe(11);
    expect(c.stdout).toMatch(/^by: overdue today \(the exchange reports this key can (withdraw and transfer|transfer and withdraw)/m);
    const alert = JSON.parse(fs.readFileSync(alertOut, 'utf8'));
    expect(JSON.stringify(alert)).toMatch(/"entry":"by"/);
    const e = await sb.vaultCmd(['exec', 'by', '--', process.execPath, '-e', '0']);
    expect(e.code).toBe(2);
    expect(e.stderr).toMatch(/by can withdraw or transfer funds; refusing/);
  });
});

describe('no network outside verify and rotation', () => {
  // Spawned without blocking: the exchange servers run in this test process.
  const traced = (args: string[], log: string): Promise<{ status: number | null; stderr: string }> => new Promise((resolve) => {
    const child = spawn('strace', ['-f', '-qq', '-e', 'trace=connect', '-o', log, process.execPath, CLI, '--passphrase-file', sb.passFile, ...args], { env: { ...sb.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const err: Buffer[] = [];
    child.stdout.on('data', () => undefined);
    child.stderr.on('data', (d) => err.push(d));
    const timer = setTimeout(() => child.kill('SIGKILL'), HANG_MS);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stderr: Buffer.concat(err).toString() });
    });
  });

  it('exec and get make no IP connection (strace: no AF_INET/AF_INET6 connect), with every exchange URL set', async () => {
    const log = path.join(sb.root, 'tmp', 'strace.log');
    for (const args of [['exec', 'okx', '--', process.execPath, '-e', '0'], ['get', 'okx', 'apiKey']]) {
      const r = await traced(args, log);
      expect(r.status).toBe(0);
      const calls = fs.readFileSync(log, 'utf8');
      fs.rmSync(log);
      expect(findCanary(r.stderr)).toBeNull();
      expect(calls).not.toMatch(/AF_INET/);
    }
    // The same tracing does see a connection when verify makes one (the check can fail).
    const r = await traced(['verify', 'okx'], log);
    expect(r.status).toBe(0);
    expect(fs.readFileSync(log, 'utf8')).toMatch(/AF_INET/);
  }, 120_000);
});

test('canary: the sandbox output and files hold no secret', () => {
  expect(() => sb.assertNoCanary()).not.toThrow();
});

// rt21: an outside red team's hostile-server findings, each as the CLI meets it.
describe('hostile answers (rt21)', () => {
  const vaultHash = () => crypto.createHash('sha256').update(fs.readFileSync(sb.vault)).digest('hex');
  const auditCount = async () => (JSON.parse((await sb.vaultCmd(['audit', '--json'])).stdout) as unknown[]).length;
  const bnInfo = () => servers.binance!.keys.get(CANARY.apiKey)!.info;
  const byInfo = () => servers.bybit!.keys.get('BybitKey0123456789')!.info;
  const okxInfo = () => servers.okx!.keys.get(CANARY.apiKey)!.info;
  /** Runs fn with the key's answer changed, then puts it back. */
  async function withInfo(info: Record<string, unknown>, change: Record<string, unknown>, fn: () => Promise<void>): Promise<void> {
    const saved = { ...info };
    Object.assign(info, change);
    try {
      await fn();
    } finally {
      for (const k of Object.keys(info)) delete info[k];
      Object.assign(info, saved);
    }
  }

  it('#1 a number out of range from one exchange fails that entry (13); the others are asked and recorded; --json stays valid', async () => {
    await withInfo(bnInfo(), { tradingAuthorityExpirationTime: 1e20 }, async () => {
      const okxBefore = servers.okx!.log.length;
      const r = await verifyCmd(['by', 'bn', 'okx', '--json']);
      expect(r.code).toBe(13);
      const rows = JSON.parse(r.stdout) as { name: string; state: string; reason: string | null; checkedAt: string | null }[];
      expect(rows.map((x) => [x.name, x.state])).toEqual([['by', 'verified'], ['bn', 'failed'], ['okx', 'verified']]);
      expect(rows[1]!.reason).toBe('Binance: answered in a shape it does not document; nothing was changed');
      expect(r.stderr).toBe('vault: error: bn: Binance: answered in a shape it does not document; nothing was changed\n');
      expect(r.stderr).not.toMatch(/internal error/);
      expect(servers.okx!.log.length).toBe(okxBefore + 1);
      const shown = JSON.parse((await sb.vaultCmd(['show', 'okx', '--json'])).stdout).verified;
      expect(shown.checkedAt).toBe(rows[2]!.checkedAt);
    });
  });

  it('#2 a withdraw flag of the wrong type is a shape error (13), never "no withdraw"; nothing recorded', async () => {
    for (const change of [{ enableWithdrawals: 'true' }, { enableWithdrawals: 1 }]) {
      await withInfo(bnInfo(), change, async () => {
        const before = vaultHash();
        const r = await verifyCmd(['bn']);
        expect([JSON.stringify(change), r.code]).toEqual([JSON.stringify(change), 13]);
        expect(r.stdout).not.toMatch(/as declared/);
        expect(vaultHash()).toBe(before);
      });
    }
    await withInfo(byInfo(), { permissions: { Spot: ['SpotTrade'], Wallet: 'AccountTransfer,Withdraw' } }, async () => {
      const r = await verifyCmd(['by']);
      expect(r.code).toBe(13);
      expect(r.stderr).toMatch(/^vault: error: by: Bybit: answered in a shape it does not document/);
    });
  });

  it('#3 control characters, non-addresses and an echoed passphrase are refused (13): never printed, never stored', async () => {
    await withInfo(byInfo(), { ips: ['\u001b]0;pwned\u0007\u001b[2J', 'x\ny: fake line'] }, async () => {
      const before = vaultHash();
      const r = await verifyCmd(['by']);
      expect(r.code).toBe(13);
      expect(r.stdout + r.stderr).not.toMatch(/[\u0000-\u0009\u000b-\u001f]|pwned|fake line/);
      expect(vaultHash()).toBe(before);
      expect((await sb.vaultCmd(['show', 'by'])).stdout).not.toMatch(/pwned|\u001b/);
    });
    await withInfo(okxInfo(), { ip: CANARY.passphrase }, async () => {
      const r = await verifyCmd(['okx', '--json']);
      expect(r.code).toBe(13);
      expect(findCanary(r.stdout + r.stderr)).toBeNull();
    });
    // The passphrase hex-encoded (32 characters: a permission word's full length).
    const hex = Buffer.from(CANARY.passphrase).toString('hex');
    await withInfo(okxInfo(), { perm: `read_only,${hex}` }, async () => {
      const r = await verifyCmd(['okx']);
      expect(r.code).toBe(13);
      expect(r.stdout + r.stderr).not.toContain(hex);
    });
    // 65,000 made-up "addresses": refused, the vault does not grow.
    await withInfo(okxInfo(), { ip: Array.from({ length: 65_000 }, (_, i) => `a${i}`).join(',') }, async () => {
      const size = fs.statSync(sb.vault).size;
      const r = await verifyCmd(['okx']);
      expect(r.code).toBe(13);
      expect(r.stdout.length).toBeLessThan(2000);
      expect(fs.statSync(sb.vault).size).toBe(size);
    });
    // An unknown permission word is kept, escaped and bounded.
    await withInfo(okxInfo(), { perm: 'read_only,trade,new\u001b[31mword' }, async () => {
      const r = await verifyCmd(['okx']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/permissions: read_only, trade, new\?\[31mword \(read, trade\)/);
    });
  });

  it('#4 --api-url with entries of several exchanges: exit 2, one line, before any request or record', async () => {
    const logs = Object.values(servers).map((x) => x.log.length);
    const audits = await auditCount();
    const r = await verifyCmd(['--api-url', servers.bybit!.url]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^vault: error: --api-url is for one exchange, and this run asks \d+ \(.*\): name entries of one exchange, or set EXVAULT_<EXCHANGE>_URL for each$/)]);
    expect(Object.values(servers).map((x) => x.log.length)).toEqual(logs);
    expect(await auditCount()).toBe(audits);
    // One exchange's entries: allowed.
    const one = await sb.vaultCmd(['verify', 'by', 'by-rsa', '--api-url', servers.bybit!.url], { env: {} });
    expect(one.code).toBe(0);
  });

  it('#6 an expiry the exchange reports as past: exec and inject refuse the key like a declared one', async () => {
    const yesterday = new Date(days(-1)).toISOString().replace(/\.\d+Z$/, 'Z');
    await withInfo(byInfo(), { expiredAt: yesterday, permissions: { Spot: ['SpotTrade'] }, ips: [IP] }, async () => {
      expect((await verifyCmd(['by'])).code).toBe(0);
      const e = await sb.vaultCmd(['exec', 'by', '--', process.execPath, '-e', '0']);
      expect(e.code).toBe(2);
      expect(e.stderr).toBe(`vault: error: the key in by expired on ${yesterday.slice(0, 10)} (as its exchange reported)\nvault: hint: rotate it, then ask the exchange again with: vault verify\n`);
      const tpl = path.join(sb.root, 'tmp', 'by.tpl');
      fs.writeFileSync(tpl, 'KEY={{ vault://by/apiKey }}\n');
      const i = await sb.vaultCmd(['inject', '-i', tpl]);
      expect(i.code).toBe(2);
      expect(i.stderr).toMatch(/the key in by expired on .* \(as its exchange reported\)/);
    });
    // Asked again, the exchange reports no expiry: released again.
    expect((await verifyCmd(['by'])).code).toBe(0);
    expect((await sb.vaultCmd(['exec', 'by', '--allow-withdraw', '--', process.execPath, '-e', '0'])).code).toBe(0);
  });

  it('#7 a refusal shows the exchange code when numeric (string codes: unit test exchange-answers)', async () => {
    const rec = servers.okx!.keys.get(CANARY.apiKey)!;
    const saved = rec.passphrase;
    rec.passphrase = 'another-passphrase';
    try {
      const r = await verifyCmd(['okx']);
      expect(r.code).toBe(12);
      expect(r.stderr).toMatch(/OKX refused the request \(code 50105: the passphrase is wrong\)/);
    } finally {
      rec.passphrase = saved;
    }
  });

  it('#8 a vault file the write cannot replace (immutable): refused before any request or record', async () => {
    const logs = servers.okx!.log.length;
    const audits = await auditCount();
    expect(spawnSync('chattr', ['+i', sb.vault]).status).toBe(0);
    try {
      const r = await verifyCmd(['okx']);
      expect(r.code).toBe(9);
      expect(r.stderr).toMatch(/^vault: error: could not write the vault .*nothing was asked or changed/m);
      expect(servers.okx!.log.length).toBe(logs);
    } finally {
      spawnSync('chattr', ['-i', sb.vault]);
    }
    expect(await auditCount()).toBe(audits);
  });

  it('#10 HTTP 429 and 418: exit 13, rate limited, said to be temporary', async () => {
    for (const status of [429, 418]) {
      const server = http.createServer((_, res) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end('{"code":-1003,"msg":"Too many requests"}');
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      try {
        const r = await verifyCmd(['bn'], { EXVAULT_BINANCE_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
        expect([status, r.code]).toEqual([status, 13]);
        expect(r.stderr).toBe(`vault: error: bn: Binance: rate limited (HTTP ${status}), which is temporary: try again in a few minutes; nothing was changed\n`);
      } finally {
        await new Promise((r) => server.close(r));
      }
    }
  });

  it('#11 a bad EXVAULT_<EXCHANGE>_URL is refused before unlocking and before the audit record', async () => {
    const audits = await auditCount();
    // No passphrase at all: were the vault unlocked first, this would fail on that instead.
    const r = await sb.run(['verify', 'bn'], { env: { ...env, EXVAULT_BINANCE_URL: 'http://10.1.2.3' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('vault: error: EXVAULT_BINANCE_URL must be https:// (http:// only to this machine, for a test server)\n');
    expect(await auditCount()).toBe(audits);
  });

  it('#12 https:// to a plain-http server: one plain line; an encrypted private key is refused at add (exit 2)', async () => {
    const r = await verifyCmd(['by'], { EXVAULT_BYBIT_URL: servers.bybit!.url.replace('http:', 'https:') });
    expect(r.code).toBe(13);
    expect(r.stderr).toMatch(/^vault: error: by: Bybit: the TLS handshake failed \(is the server at this address really https\?\); nothing was changed$/m);
    expect(r.stderr).not.toMatch(/eproto/i);
    const enc = crypto.generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' }) as string;
    const a = await sb.vaultCmd(['add', 'bn-enc', '--exchange', 'binance'], { input: JSON.stringify({ apiKey: 'bnEncKey', privateKey: enc }) });
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/privateKey is an encrypted private key: export it unencrypted/);
    expect((await sb.vaultCmd(['show', 'bn-enc'])).code).toBe(4);
  });

  it('#13 a key the exchange refuses (exit 12) runs the alert command', async () => {
    const out = path.join(sb.root, 'alert-refused.json');
    expect((await sb.vaultCmd(['config', 'alert-command', `cat > ${out}`])).code).toBe(0);
    const rec = servers.kucoin!.keys.get('kucoin0123456789abcdef01')!;
    const saved = rec.secret;
    rec.secret = `${saved}-revoked`;
    try {
      const r = await verifyCmd(['ku', 'okx']);
      expect(r.code).toBe(12);
    } finally {
      rec.secret = saved;
    }
    const alert = JSON.parse(fs.readFileSync(out, 'utf8'));
    expect(alert).toMatchObject({ event: 'keys-refused', entries: [{ entry: 'ku', exchange: 'kucoin', reason: expect.stringMatching(/^KuCoin refused the request/) }] });
    fs.rmSync(out);
    expect((await verifyCmd(['ku', 'okx'])).code).toBe(0);
    expect(fs.existsSync(out)).toBe(false);
  });
});
