// The audit log through the built CLI: every release recorded before it happens, names
// only; any edit, deletion, reordering, insertion or truncation named by `audit verify`;
// one chain under concurrency; a read-only log stops releases; failed unlocks and alerts.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OKX_JSON, Sandbox } from '../helpers/cli';

const CHILD = path.resolve(__dirname, '../fixtures/child.js');
const node = process.execPath;

let sb: Sandbox;
let env: Record<string, string>;
const log = () => `${sb.vault}.audit`;
const lines = (f = log()) => fs.readFileSync(f, 'utf8').trimEnd().split('\n');

beforeAll(async () => {
  sb = new Sandbox();
  await sb.init();
  env = { EXVAULT_PASSPHRASE_FILE: sb.passFile };
  expect((await sb.run(['add', 'okx-main', '--exchange', 'okx'], { env, input: OKX_JSON })).code).toBe(0);
  expect((await sb.run(['add', 'okx-idle', '--exchange', 'okx'], { env, input: OKX_JSON })).code).toBe(0);
});
afterAll(() => {
  sb.assertNoCanary();
  sb.cleanup();
});

it('records exec (with its exit status), get and inject, with names only, before the release', async () => {
  expect((await sb.run(['exec', 'okx-main', '--', node, CHILD, 'exit', '3'], { env })).code).toBe(3);
  expect((await sb.run(['get', 'okx-main', 'apiKey'], { env, reveals: true })).code).toBe(0);
  const tpl = sb.secretFile('t.tmpl', 'k={{ vault://okx-main/passphrase }}\n');
  expect((await sb.run(['inject', '-i', tpl, '-o', path.join(sb.root, 'tmp', 'out.conf')], { env })).code).toBe(0);
  fs.rmSync(path.join(sb.root, 'tmp', 'out.conf'));
  const records = lines().map((l) => JSON.parse(l));
  expect(records.map((r) => [r.seq, r.cmd])).toEqual([[1, 'exec'], [2, 'exec-exit'], [3, 'get'], [4, 'inject']]);
  expect(records[0]).toMatchObject({ program: 'node', entries: [{ entry: 'okx-main', fields: ['apiKey', 'apiSecret', 'passphrase'] }], uid: process.getuid!() });
  expect(records[1]).toMatchObject({ ref: 1, result: 3 });
  expect(records[3]).toMatchObject({ entries: [{ entry: 'okx-main', fields: ['passphrase'] }] });
  for (const r of records) expect(r.mac).toMatch(/^[0-9a-f]{64}$/);
  expect(fs.statSync(log()).mode & 0o777).toBe(0o600);
});

it('audit shows a readable table and JSON; stats counts use and names unused entries', async () => {
  const t = await sb.run(['audit'], { env });
  expect(t.stdout).toMatch(/^SEQ +TIME +COMMAND +PROGRAM +RESULT +ENTRIES$/m);
  expect(t.stdout).toMatch(/^1 .* exec +node +exit 3 +okx-main\(apiKey,apiSecret,passphrase\)$/m);
  const j = JSON.parse((await sb.run(['audit', '--entry', 'okx-main', '--json'], { env })).stdout);
  expect(j.map((r: { cmd: string }) => r.cmd)).toEqual(['exec', 'get', 'inject']);
  const stats = JSON.parse((await sb.run(['audit', 'stats', '--json'], { env })).stdout);
  expect(stats.usage).toEqual([{ entry: 'okx-main', releases: 3, programs: { node: 1, 'vault get': 1, 'vault inject': 1 }, last: expect.any(String) }]);
  expect(stats.unused).toEqual(['okx-idle']);
});

it('verify: intact chain gives exit 0', async () => {
  const r = await sb.run(['audit', 'verify'], { env });
  expect(r.code).toBe(0);
  expect(r.stdout).toBe('audit log intact: 4 records\n');
});

describe('tampering is detected and the first bad record named (exit 5)', () => {
  let n = 0;
  /** A copy of vault and log, with the log changed by `edit`; returns verify's result. */
  async function verifyTampered(edit: (ls: string[]) => string[]) {
    const dir = path.join(sb.root, 'home', `t${n++}`);
    fs.mkdirSync(dir, { mode: 0o700 });
    const v = path.join(dir, 'vault.exv');
    fs.copyFileSync(sb.vault, v);
    fs.copyFileSync(`${sb.vault}.audit-head`, `${v}.audit-head`);
    fs.writeFileSync(`${v}.audit`, `${edit(lines()).join('\n')}\n`, { mode: 0o600 });
    return sb.run(['--vault', v, 'audit', 'verify'], { env });
  }

  beforeAll(async () => {
    // More records, then a vault write, so the vault remembers the head of the log.
    for (let i = 0; i < 3; i++) expect((await sb.run(['get', 'okx-main', 'apiKey'], { env, reveals: true })).code).toBe(0);
    expect((await sb.run(['edit', 'okx-main', '--label', 'x'], { env })).code).toBe(0);
  });

  it.each([
    ['an edited record', (ls: string[]) => ls.map((l, i) => (i === 2 ? l.replace('"get"', '"list"') : l)), /record at line 3 does not match its MAC/],
    ['an edited entry name', (ls: string[]) => ls.map((l, i) => (i === 4 ? l.replace('okx-main', 'okx-idle') : l)), /record at line 5 does not match its MAC/],
    ['a deleted record', (ls: string[]) => ls.filter((_, i) => i !== 3), /record at line 4 has sequence 5 after 3: record 4 is missing \(deleted\)/],
    ['two records swapped', (ls: string[]) => [ls[0]!, ls[2]!, ls[1]!, ...ls.slice(3)], /record at line 2 has sequence 3 after 1: record 2 is missing/],
    ['an inserted copy of a record', (ls: string[]) => [...ls.slice(0, 3), ls[2]!, ...ls.slice(3)], /record at line 4 has sequence 3 after 3 \(reordered or inserted\)/],
    ['a forged record renumbered', (ls: string[]) => [...ls.slice(0, 3), ls[2]!.replace('"seq":3', '"seq":4'), ...ls.slice(3).map((l) => l.replace(/"seq":(\d+)/, (_m, d) => `"seq":${Number(d) + 1}`))], /record at line 4 does not follow the record before it/],
    ['the log truncated before the head the vault remembers', (ls: string[]) => ls.slice(0, 5), /the log ends before record 7, which the audit head records \(truncated/],
    ['a garbage line', (ls: string[]) => [...ls.slice(0, 2), 'not json', ...ls.slice(2)], /record at line 3 is not a valid record/],
  ])('%s', async (_name, edit, message) => {
    const r = await verifyTampered(edit);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(message);
  });
});

it('16 concurrent execs make one linear, valid chain', async () => {
  const before = lines().length;
  const runs = await Promise.all(Array.from({ length: 16 }, () => sb.run(['exec', 'okx-main', '--', 'true'], { env })));
  expect(runs.map((r) => r.code)).toEqual(Array(16).fill(0));
  const seqs = lines().map((l) => JSON.parse(l).seq);
  expect(seqs).toEqual(Array.from({ length: before + 32 }, (_, i) => i + 1));
  expect((await sb.run(['audit', 'verify'], { env })).code).toBe(0);
});

it('a read-only log stops every release: nothing runs, nothing printed', async () => {
  fs.chmodSync(log(), 0o400);
  try {
    const marker = path.join(sb.root, 'tmp', 'ran.json');
    const r = await sb.run(['exec', 'okx-main', '--', node, CHILD, 'env', marker], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^vault: error: the audit log .* is read-only/);
    expect(fs.existsSync(marker)).toBe(false);
    const g = await sb.run(['get', 'okx-main', 'apiKey'], { env });
    expect(g.code).toBe(1);
    expect(g.stdout).toBe('');
  } finally {
    fs.chmodSync(log(), 0o600);
  }
});

it('failed unlocks are logged without the key, reported and alerted at the next unlock, then chained', async () => {
  const alertOut = path.join(sb.root, 'tmp', 'alert.json');
  expect((await sb.run(['config', 'alert-command', `cat > ${alertOut}`], { env })).code).toBe(0);
  const wrong = sb.secretFile('wrong', 'not the passphrase\n');
  for (let i = 0; i < 2; i++) expect((await sb.run(['--passphrase-file', wrong, 'list'])).code).toBe(3);
  const tail = lines().slice(-2).map((l) => JSON.parse(l));
  expect(tail.map((r) => [r.cmd, r.mac])).toEqual([['unlock-failed', null], ['unlock-failed', null]]);
  const ok = await sb.run(['list'], { env });
  expect(ok.code).toBe(0);
  expect(ok.stderr).toMatch(/warning: 2 failed unlock attempts since the vault was last opened/);
  expect(JSON.parse(fs.readFileSync(alertOut, 'utf8'))).toMatchObject({ event: 'unlock-failed', attempts: 2, vault: sb.vault });
  expect(JSON.parse(lines().slice(-1)[0]!)).toMatchObject({ cmd: 'chain', result: '2 failed unlocks' });
  const v = await sb.run(['audit', 'verify'], { env });
  expect(v.code).toBe(0);
  // Now covered by a MAC: editing a failed-unlock record is detected too.
  const ls = lines();
  const i = ls.findIndex((l) => l.includes('unlock-failed'));
  fs.writeFileSync(log(), `${ls.map((l, k) => (k === i ? l.replace('"pid":', '"pid":1') : l)).join('\n')}\n`);
  const bad = await sb.run(['audit', 'verify'], { env });
  expect(bad.code).toBe(5);
  // Detected at the record that covers it (the "chain" record, two lines on), which says so.
  expect(bad.stderr).toMatch(new RegExp(`record at line ${i + 3} does not match its MAC \\(edited, or one of the 2 failed-unlock records it covers \\(from line ${i + 1}\\) was changed\\)`));
  expect(JSON.parse(fs.readFileSync(alertOut, 'utf8'))).toMatchObject({ event: 'audit-verify-failed', line: i + 3 });
});

it('a failed-unlock record forged with a future date: noted as forged when covered, not counted; verify stays intact and names it', async () => {
  const own = new Sandbox();
  try {
    await own.init();
    const e = { EXVAULT_PASSPHRASE_FILE: own.passFile };
    expect((await own.run(['add', 'okx-main', '--exchange', 'okx'], { env: e, input: OKX_JSON })).code).toBe(0);
    expect((await own.run(['get', 'okx-main', 'apiKey'], { env: e, reveals: true })).code).toBe(0);
    const file = `${own.vault}.audit`;
    const seq = lines(file).length + 1;
    fs.appendFileSync(file, `${JSON.stringify({ cmd: 'unlock-failed', mac: null, pid: 1, seq, time: '2099-01-01T00:00:00.000Z', uid: 0 })}\n`);
    const get = await own.run(['get', 'okx-main', 'apiKey'], { env: e, reveals: true });
    expect(get.code).toBe(0);
    expect(get.stderr).not.toMatch(/failed unlock attempt/);
    expect(get.stderr).toMatch(new RegExp(`warning: 1 failed-unlock record in the audit log dated in the future \\(seq ${seq} at 2099-01-01T00:00:00.000Z\\): forged`));
    const cover = JSON.parse(lines(file)[seq]!);
    expect(cover).toMatchObject({ cmd: 'chain', result: `0 failed unlocks; forged (dated in the future): seq ${seq}` });
    const v = await own.run(['audit', 'verify'], { env: e });
    expect(v.code).toBe(0);
    expect(v.stdout).toContain(`forged record at line ${seq} (seq ${seq}): a failed unlock dated in the future (2099-01-01T00:00:00.000Z)`);
    own.assertNoCanary();
  } finally {
    own.cleanup();
  }
}, 120_000);
