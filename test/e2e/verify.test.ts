// vault verify end to end: the built CLI asks a local server per exchange (each checking
// signatures exactly as its exchange documents them) what each key can do, records the answer,
// shows how it differs from the declaration, and vault check acts on it (exit 10/11). Also: a
// wrong signature refused by each server (exit 12), a server that never answers (exit 13 within
// the timeout), a server that echoes the signature in its error (never shown), and exec and get
// making no network connection at all (strace).
import { spawn, spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
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
    const k = await sb.vaultCmd(['verify', 'ku', '--testnet', '--json'], { env: { ...env, EXVAULT_KUCOIN_URL: '' } });
    expect(JSON.parse(k.stdout)[0]).toMatchObject({ state: 'unavailable', reason: expect.stringMatching(/no testnet/) });
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
