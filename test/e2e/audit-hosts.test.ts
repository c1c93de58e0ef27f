// Issue 16, audit across hosts, through the built CLI with three HOMEs on one machine: the
// admin (laptop), a host given a full copy of the vault with its audit files (vps-b, the
// passphrase), and a host given the vault file alone and scope grid only (vps-c, an
// identity). Each keeps its own chain, named by its host id; a copied log does not fail
// verify, it is set aside and the host's own chain starts. The admin collects the files and
// verifies every chain; a tampered one is detected and its host named.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BINANCE_JSON, Sandbox } from '../helpers/cli';
import { CANARY } from '../helpers/canary';

let admin: Sandbox;
let b: Sandbox;
let c: Sandbox;

const vaultOf = (sb: Sandbox) => path.join(sb.root, 'data', 'exvault', 'vault.exv');
const hostIdOf = (sb: Sandbox) => JSON.parse(fs.readFileSync(path.join(sb.root, 'config', 'exvault', 'host.json'), 'utf8')).id as string;

function copy(from: Sandbox, to: Sandbox, withAudit: boolean): void {
  const dst = vaultOf(to);
  fs.mkdirSync(path.dirname(dst), { recursive: true, mode: 0o700 });
  fs.copyFileSync(vaultOf(from), dst);
  if (withAudit) for (const ext of ['.audit', '.audit-head']) fs.copyFileSync(vaultOf(from) + ext, dst + ext);
}

beforeAll(async () => {
  admin = new Sandbox();
  b = new Sandbox();
  c = new Sandbox();
  admin.env.EXVAULT_HOST_NAME = 'laptop';
  b.env.EXVAULT_HOST_NAME = 'vps-b';
  c.env.EXVAULT_HOST_NAME = 'vps-c';
  await admin.init();
  expect((await admin.vaultCmd(['scope', 'add', 'grid'])).code).toBe(0);
  expect((await admin.vaultCmd(['add', 'main', '--exchange', 'other'], { input: BINANCE_JSON })).code).toBe(0);
  expect((await admin.vaultCmd(['add', 'grid-bot', '--exchange', 'other', '--scope', 'grid'], { input: BINANCE_JSON })).code).toBe(0);
  expect((await admin.vaultCmd(['get', 'main', 'apiKey'], { reveals: true })).code).toBe(0);
  const rcpt = (await c.run(['identity', 'init', '--file'])).stdout.trim();
  expect((await admin.vaultCmd(['recipient', 'add', 'vps-c', rcpt, '--scope', 'grid'])).code).toBe(0);
}, 120_000);

afterAll(() => {
  for (const sb of [admin, b, c]) {
    sb.assertNoCanary();
    sb.cleanup();
  }
});

describe('each host keeps its own chain', () => {
  it('a full copy (vault, log and head) verifies as the laptop\'s chain, then starts its own at its first release', async () => {
    copy(admin, b, true);
    const before = await b.vaultCmd(['audit', 'verify']);
    expect(before.code).toBe(0);
    expect(before.stdout).toMatch(/chain of host laptop \([0-9a-f]{8}\), copied here/);
    expect((await b.vaultCmd(['get', 'main', 'apiKey'], { reveals: true })).code).toBe(0);
    const after = await b.vaultCmd(['audit', 'verify']);
    expect(after.code).toBe(0);
    expect(after.stdout).toMatch(/this chain was started on vps-b/);
    expect(after.stdout).toMatch(/follows laptop \([0-9a-f]{8}\) record \d+/);
    expect(after.stdout).not.toMatch(/this log and head are the chain of host/);
    // The laptop's chain is kept aside as a pair, not deleted.
    const kept = fs.readdirSync(path.dirname(vaultOf(b))).filter((n) => /\.audit\.laptop-[0-9a-f]{8}\.old(-head)?$/.test(n));
    expect(kept).toHaveLength(2);
    // A second release goes on in the host's own chain.
    expect((await b.vaultCmd(['get', 'main', 'apiKey'], { reveals: true })).code).toBe(0);
    const log = (await b.vaultCmd(['audit', '--json'])).stdout;
    expect(JSON.parse(log).map((r: { cmd: string }) => r.cmd)).toEqual(['new-chain', 'get', 'get']);
  });

  it('the vault file alone, on a host granted grid only: its own chain, keyed by the grid key it holds', async () => {
    copy(admin, c, false);
    const empty = await c.run(['audit', 'verify']);
    expect(empty.code).toBe(0);
    const got = await c.run(['get', 'grid-bot', 'apiKey'], { reveals: true });
    expect(got.code).toBe(0);
    expect(got.stdout.trim()).toBe(CANARY.apiKey);
    const v = await c.run(['audit', 'verify', '--json']);
    expect(v.code).toBe(0);
    const r = JSON.parse(v.stdout);
    expect(r.ok).toBe(true);
    expect(r.records).toBe(2);
    expect(r.host).toEqual({ id: hostIdOf(c), name: 'vps-c', here: true });
  });

  it('the vault the admin synced back (written last by the laptop) does not fail a host\'s verify', async () => {
    expect((await admin.vaultCmd(['get', 'main', 'apiKey'], { reveals: true })).code).toBe(0);
    expect((await admin.vaultCmd(['edit', 'main', '--notes', 'synced'])).code).toBe(0);
    fs.copyFileSync(vaultOf(admin), vaultOf(b));
    fs.copyFileSync(vaultOf(admin), vaultOf(c));
    expect((await b.vaultCmd(['audit', 'verify'])).code).toBe(0);
    expect((await c.run(['audit', 'verify'])).code).toBe(0);
    expect((await admin.vaultCmd(['audit', 'verify'])).code).toBe(0);
  });

  it('tampering with a host\'s own chain is still detected there', async () => {
    const log = `${vaultOf(c)}.audit`;
    const saved = fs.readFileSync(log);
    fs.writeFileSync(log, saved.toString().replace('"grid-bot"', '"grid-bat"'));
    const r = await c.run(['audit', 'verify']);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/does not match its MAC/);
    fs.writeFileSync(log, saved);
  });
});

describe('vault audit collect', () => {
  let dir: string;

  beforeAll(() => {
    dir = path.join(admin.root, 'audits');
    for (const [name, sb] of [['b', b], ['c', c]] as const) {
      fs.mkdirSync(path.join(dir, name), { recursive: true });
      for (const f of fs.readdirSync(path.dirname(vaultOf(sb)))) if (f.includes('.audit')) fs.copyFileSync(path.join(path.dirname(vaultOf(sb)), f), path.join(dir, name, f));
    }
  });

  it('verifies every host\'s chain: host, id, scope, count, first and last time, intact', async () => {
    const r = await admin.vaultCmd(['audit', 'collect', path.join(dir, 'b'), path.join(dir, 'c'), '--json']);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as { host: string; hostId: string; scope: string; records: number; first: string; last: string; problem: unknown }[];
    const byHost = Object.fromEntries(rows.map((x) => [x.host, x]));
    expect(Object.keys(byHost).sort()).toEqual(['laptop', 'vps-b', 'vps-c']);
    expect(byHost['vps-b']).toMatchObject({ hostId: hostIdOf(b), scope: 'default', records: 3, problem: null });
    expect(byHost['vps-c']).toMatchObject({ hostId: hostIdOf(c), scope: 'grid', problem: null });
    expect(byHost['vps-c']!.records).toBeGreaterThanOrEqual(2);
    expect(byHost.laptop).toMatchObject({ hostId: hostIdOf(admin), scope: 'default', problem: null });
    for (const x of rows) expect(x.first <= x.last).toBe(true);
    const table = await admin.vaultCmd(['audit', 'collect', path.join(dir, 'b'), path.join(dir, 'c')]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/vps-c .*grid .*intact/);
  });

  it('--host picks one host\'s chain', async () => {
    const r = await admin.vaultCmd(['audit', 'collect', path.join(dir, 'b'), path.join(dir, 'c'), '--host', 'vps-c', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).map((x: { host: string }) => x.host)).toEqual(['vps-c']);
  });

  it('a tampered chain is detected and its host named (exit 5); the others stay intact', async () => {
    const log = path.join(dir, 'c', 'vault.exv.audit');
    const lines = fs.readFileSync(log, 'utf8').split('\n');
    lines[1] = lines[1]!.replace(/"time":"[^"]+"/, '"time":"2020-01-01T00:00:00.000Z"');
    fs.writeFileSync(log, lines.join('\n'));
    const r = await admin.vaultCmd(['audit', 'collect', path.join(dir, 'b'), path.join(dir, 'c')]);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(new RegExp(`audit chain broken: vps-c \\(${hostIdOf(c).slice(0, 8)}\\) record at line 2`));
    expect(r.stdout).toMatch(/vps-b .*intact/);
    expect(r.stdout).toMatch(/vps-c .*broken at line 2/);
    // A head cut off and a log truncated to fewer records than its head names: detected too.
    const blog = path.join(dir, 'b', 'vault.exv.audit');
    const bl = fs.readFileSync(blog, 'utf8').trimEnd().split('\n');
    fs.writeFileSync(blog, `${bl.slice(0, -1).join('\n')}\n`);
    const cut = await admin.vaultCmd(['audit', 'collect', path.join(dir, 'b'), '--host', 'vps-b']);
    expect(cut.code).toBe(5);
    expect(cut.stderr).toMatch(/vps-b .*log ends before record 3/);
  });
});
