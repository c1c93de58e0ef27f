// Issue 16, audit across hosts, through the built CLI with three HOMEs on one machine: the
// admin (laptop), a host given a full copy of the vault with its audit files (vps-b, the
// passphrase), and a host given the vault file alone and scope grid only (vps-c, an
// identity). Each keeps its own chain, named by its host id; a copied log does not fail
// verify, it is set aside and the host's own chain starts. The admin collects the files and
// verifies every chain; a tampered one is detected and its host named.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
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

describe('vault audit collect: missing, hostile and repeated chains (rt22 #3 #5 #6 #7 #10)', () => {
  let dir: string;
  const hostDir = (name: string) => path.join(dir, name);

  beforeAll(() => {
    dir = path.join(admin.root, 'audits2');
    for (const [name, sb] of [['b', b], ['c', c]] as const) {
      fs.mkdirSync(hostDir(name), { recursive: true });
      for (const f of fs.readdirSync(path.dirname(vaultOf(sb)))) if (f.includes('.audit')) fs.copyFileSync(path.join(path.dirname(vaultOf(sb)), f), path.join(hostDir(name), f));
    }
  });

  it('shows what a chain follows, in JSON and the table; no warning when the earlier chain is handed in', async () => {
    const r = await admin.vaultCmd(['audit', 'collect', hostDir('b'), '--json']);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as { host: string; follows: { seq: number; mac: string } | null }[];
    const vb = rows.find((x) => x.host === 'vps-b')!;
    expect(vb.follows!.seq).toBeGreaterThan(0);
    expect(vb.follows!.mac).toMatch(/^[0-9a-f]{16}$/);
    expect(r.stderr).not.toMatch(/not handed in/);
    const t = await admin.vaultCmd(['audit', 'collect', hostDir('b')]);
    expect(t.stdout).toMatch(/FOLLOWS/);
    expect(t.stdout).toMatch(new RegExp(`vps-b .*record ${vb.follows!.seq} \\(${vb.follows!.mac.slice(0, 8)}\\)`));
  });

  it('an earlier chain named but not handed in is warned about; the same chain twice too', async () => {
    const only = path.join(dir, 'b-only');
    fs.mkdirSync(only);
    for (const f of ['vault.exv.audit', 'vault.exv.audit-head']) fs.copyFileSync(path.join(hostDir('b'), f), path.join(only, f));
    const r = await admin.vaultCmd(['audit', 'collect', only]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/follows record \d+ \(mac [0-9a-f]{16}\) of an earlier chain that was not handed in/);
    const twice = await admin.vaultCmd(['audit', 'collect', hostDir('b'), only]);
    expect(twice.stderr).toMatch(/is the same chain as .*handed in twice/);
    fs.rmSync(only, { recursive: true });
  });

  it('a head without its log, and an empty folder: exit 5 naming them; the other hosts are still reported', async () => {
    const headOnly = path.join(dir, 't4');
    fs.mkdirSync(headOnly);
    fs.copyFileSync(path.join(hostDir('c'), 'vault.exv.audit-head'), path.join(headOnly, 'vault.exv.audit-head'));
    const empty = path.join(dir, 'empty');
    fs.mkdirSync(empty);
    const r = await admin.vaultCmd(['audit', 'collect', hostDir('b'), headOnly, empty]);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/vps-c .*t4\/vault\.exv\.audit: the audit log is missing: only its head is here/);
    expect(r.stderr).toMatch(/empty: no audit log or head in this folder/);
    expect(r.stdout).toMatch(/vps-b .*intact/);
    const alone = await admin.vaultCmd(['audit', 'collect', headOnly]);
    expect(alone.code).toBe(5);
    expect(alone.stdout).not.toMatch(/no audit chains found/);
    fs.rmSync(headOnly, { recursive: true });
    fs.rmSync(empty, { recursive: true });
  });

  it('a FIFO, a symbolic link and a log over the cap are one-line refusals (exit 5), never a hang; other hosts still reported', async () => {
    const fifo = path.join(dir, 'fifo');
    fs.mkdirSync(fifo);
    expect(spawnSync('mkfifo', [path.join(fifo, 'vault.exv.audit')]).status).toBe(0);
    const link = path.join(dir, 'link');
    fs.mkdirSync(link);
    fs.symlinkSync(path.join(hostDir('b'), 'vault.exv.audit'), path.join(link, 'vault.exv.audit'));
    const big = path.join(dir, 'big');
    fs.mkdirSync(big);
    // Sparse: 65 MiB of holes costs no disk.
    const fd = fs.openSync(path.join(big, 'vault.exv.audit'), 'w', 0o600);
    fs.ftruncateSync(fd, 65 * 1024 * 1024);
    fs.closeSync(fd);
    const r = await admin.vaultCmd(['audit', 'collect', fifo, link, big, hostDir('c')]);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/fifo\/vault\.exv\.audit: unreadable: the audit log .* is not a regular file/);
    expect(r.stderr).toMatch(/link\/vault\.exv\.audit: unreadable: the audit log .* is a symbolic link/);
    expect(r.stderr).toMatch(/big\/vault\.exv\.audit: unreadable: the audit log .* is larger than 64 MiB/);
    expect(r.stderr).not.toMatch(/unexpected internal error/);
    expect(r.stdout).toMatch(/vps-c .*grid .*intact/);
    for (const d of [fifo, link, big]) fs.rmSync(d, { recursive: true });
  });

  it('--host matching nothing is exit 4 naming the hosts found', async () => {
    const r = await admin.vaultCmd(['audit', 'collect', hostDir('b'), hostDir('c'), '--host', 'vps-grid']);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/no chain of host "vps-grid" among those handed in/);
    expect(r.stderr).toMatch(/hosts found: laptop, vps-b, vps-c/);
  });
});
