// vault sync against a hostile or broken remote (red-team report rt23), through the built CLI
// and the system git: a child commit holding an older vault (a rollback undoing a revocation)
// is refused on a full host (write counter) and on a host granted one scope (entry
// generations); a damaged, tiny, symlinked file is refused naming the remote's commit; a host
// that only reads, facing a rewound or forked remote, says how to get out and never pushes;
// the same name added on both sides is a reported conflict with both secrets kept; the same
// header change on both sides is resolved by --take-remote, losing nothing; URLs holding a
// credential or naming a helper transport are refused; concurrent syncs on one host wait.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findCanary } from '../helpers/canary';
import { BINANCE_JSON, RunResult, Sandbox } from '../helpers/cli';

jest.setTimeout(600_000);

let work: string;

function git(args: string[], input?: string | Buffer): string {
  const r = spawnSync('git', args, { encoding: 'utf8', input });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'exvault-sync-hostile-'));
});

afterAll(() => {
  fs.rmSync(work, { recursive: true, force: true });
});

const ok = (r: RunResult, what: string): RunResult => {
  if (r.code !== 0) throw new Error(`${what} failed (${r.code}): ${r.stderr}`);
  return r;
};
const oneLineError = (r: RunResult): string => {
  const lines = r.stderr.split('\n').filter((l) => l.startsWith('vault: error:'));
  expect(lines).toHaveLength(1);
  return lines[0]!;
};
const newKey = () => randomBytes(24).toString('hex');
const creds = (apiKey: string) => JSON.stringify({ apiKey, apiSecret: newKey() });

function bare(name: string): string {
  const dir = path.join(work, name);
  git(['init', '--bare', '-q', '-b', 'main', dir]);
  return dir;
}

/** A commit on top of the remote's main holding `file` as vault.exv (mode as given), pushed
 *  there directly, as whoever can write to the remote would. */
function plant(remote: string, file: { blob?: string; bytes?: Buffer; mode?: string }, parent = 'main'): string {
  const blob = file.blob ?? git(['--git-dir', remote, 'hash-object', '-w', '--stdin'], file.bytes!);
  const tree = git(['--git-dir', remote, 'mktree'], `${file.mode ?? '100644'} blob ${blob}\tvault.exv\n`);
  const commit = git(['--git-dir', remote, 'commit-tree', tree, '-p', parent, '-m', 'vault sync from somewhere']);
  git(['--git-dir', remote, 'update-ref', 'refs/heads/main', commit]);
  return commit;
}
const blobAt = (remote: string, rev: string) => git(['--git-dir', remote, 'rev-parse', `${rev}:vault.exv`]);
const fileAt = (remote: string, rev: string) => spawnSync('git', ['--git-dir', remote, 'cat-file', 'blob', `${rev}:vault.exv`]).stdout as Buffer;

describe('a rollback pushed as a new commit', () => {
  it('is refused by the admin (write counter) and by a host granted one scope (generations); the revocation stays', async () => {
    const admin = new Sandbox();
    const grid = new Sandbox();
    const arb = new Sandbox();
    const remote = bare('rollback.git');
    for (const sb of [grid, arb]) delete sb.env.DBUS_SESSION_BUS_ADDRESS;
    try {
      await admin.init();
      ok(await admin.vaultCmd(['scope', 'add', 'grid']), 'scope add');
      ok(await admin.vaultCmd(['add', 'grid1', '--exchange', 'binance', '--scope', 'grid'], { input: creds(newKey()) }), 'add');
      const gridR = ok(await grid.run(['identity', 'init']), 'identity').stdout.trim();
      const arbR = ok(await arb.run(['identity', 'init']), 'identity').stdout.trim();
      ok(await admin.vaultCmd(['recipient', 'add', 'vps-grid', gridR, '--scope', 'grid']), 'recipient');
      ok(await admin.vaultCmd(['recipient', 'add', 'vps-arb', arbR, '--scope', 'grid']), 'recipient');
      for (const sb of [admin, grid, arb]) ok(await sb.run(['remote', 'add', `file://${remote}`]), 'remote add');
      ok(await admin.vaultCmd(['sync']), 'sync');
      for (const sb of [grid, arb]) ok(await sb.run(['sync']), 'join');
      const preRevocation = blobAt(remote, 'main');

      // The admin revokes vps-grid (grid is re-keyed), adds an entry, syncs; arb pulls it.
      ok(await admin.vaultCmd(['recipient', 'rm', 'vps-grid', '--yes']), 'recipient rm');
      ok(await admin.vaultCmd(['add', 'grid2', '--exchange', 'binance', '--scope', 'grid'], { input: creds(newKey()) }), 'add');
      ok(await admin.vaultCmd(['sync']), 'sync');
      ok(await arb.run(['sync']), 'pull');
      // The revoked host cannot take the new file: it says so (not "locked"), and keeps its own.
      const gridBefore = fs.readFileSync(grid.vault);
      const revoked = await grid.run(['sync']);
      expect(revoked.code).toBe(14);
      expect(oneLineError(revoked)).toMatch(/the remote's vault \(commit [0-9a-f]{12}\) does not open with this host's keys \(its access was removed/);
      expect(fs.readFileSync(grid.vault).equals(gridBefore)).toBe(true);

      // The revoked host pushes its pre-revocation copy as a child commit (no key needed).
      const rollback = plant(remote, { blob: preRevocation });
      const adminBefore = fs.readFileSync(admin.vault);
      const refused = await admin.vaultCmd(['sync']);
      expect(refused.code).toBe(14);
      expect(oneLineError(refused)).toMatch(new RegExp(`^vault: error: the remote holds an older vault than this host's \\(write \\d+ < \\d+\\), refused as a rollback \\(commit ${rollback.slice(0, 12)}\\): nothing was changed$`));
      expect(refused.stderr).toMatch(/move vault\.exv aside/);
      expect(fs.readFileSync(admin.vault).equals(adminBefore)).toBe(true);
      const names = JSON.parse(ok(await admin.vaultCmd(['list', '--json']), 'list').stdout).map((e: { name: string }) => e.name);
      expect(names).toContain('grid2');
      const recipients = ok(await admin.vaultCmd(['recipient', 'list']), 'recipient list').stdout;
      expect(recipients).not.toMatch(/vps-grid/);
      expect(recipients).toMatch(/vps-arb/);

      // arb holds scope grid only (no meta record): the entries' generations went down.
      const arbBefore = fs.readFileSync(arb.vault);
      const arbRefused = await arb.run(['sync']);
      expect(arbRefused.code).toBe(14);
      expect(oneLineError(arbRefused)).toMatch(/the remote holds an older vault than this host's \(entry grid1 at generation \d+ < \d+\), refused as a rollback/);
      expect(fs.readFileSync(arb.vault).equals(arbBefore)).toBe(true);
      // And it never tries to push.
      expect(git(['--git-dir', remote, 'rev-parse', 'main'])).toBe(rollback);

      // Restored on purpose: moving the vault aside takes the remote's.
      fs.renameSync(arb.vault, `${arb.vault}.aside`);
      ok(await arb.run(['sync']), 'join again');
      expect(fs.readFileSync(arb.vault).equals(fileAt(remote, 'main'))).toBe(true);
      for (const sb of [admin, grid, arb]) sb.assertNoCanary();
    } finally {
      for (const sb of [admin, grid, arb]) sb.cleanup();
    }
  });
});

describe('two full hosts (passphrase)', () => {
  let a: Sandbox;
  let b: Sandbox;
  let remote: string;
  const get = async (sb: Sandbox, name: string) => ok(await sb.vaultCmd(['get', name, 'apiKey'], { reveals: true }), 'get').stdout.trim();

  beforeAll(async () => {
    a = new Sandbox();
    b = new Sandbox();
    remote = bare('pair.git');
    await a.init();
    // The canary secret is in the vault: no message, file or git object may show it.
    ok(await a.vaultCmd(['add', 'one', '--exchange', 'binance'], { input: BINANCE_JSON }), 'add');
    for (const sb of [a, b]) ok(await sb.run(['remote', 'add', `file://${remote}`]), 'remote add');
    ok(await a.vaultCmd(['sync']), 'sync');
    ok(await b.vaultCmd(['sync']), 'join');
    // b opens the vault with a's passphrase.
    fs.copyFileSync(a.passFile, b.passFile);
  }, 120_000);

  afterAll(() => {
    const objects = spawnSync('git', ['--git-dir', remote, 'cat-file', '--batch-all-objects', '--batch', '--unordered'], { maxBuffer: 1 << 30 }).stdout as Buffer;
    expect(objects.length).toBeGreaterThan(0);
    expect(findCanary(objects)).toBeNull();
    for (const sb of [a, b]) {
      sb.assertNoCanary();
      sb.cleanup();
    }
  });

  it('the same name added on both sides: exit 15, both secrets kept (the remote\'s active, this host\'s in its history)', async () => {
    const ka = newKey();
    const kb = newKey();
    ok(await a.vaultCmd(['add', 'dup', '--exchange', 'binance'], { input: creds(ka) }), 'add');
    ok(await b.vaultCmd(['add', 'dup', '--exchange', 'binance'], { input: creds(kb) }), 'add');
    ok(await a.vaultCmd(['sync']), 'sync');
    const clash = await b.vaultCmd(['sync']);
    expect(clash.code).toBe(15);
    expect(clash.stderr).not.toMatch(/unexpected internal error/);
    const m = /conflict: .*dup.*--to (\d+)/.exec(clash.stderr);
    expect(m).not.toBeNull();
    expect(await get(b, 'dup')).toBe(ka);
    ok(await b.vaultCmd(['rollback', 'dup', '--to', m![1]!]), 'rollback');
    expect(await get(b, 'dup')).toBe(kb);
    ok(await b.vaultCmd(['sync']), 'sync');
    ok(await a.vaultCmd(['sync']), 'sync');
    expect(await get(a, 'dup')).toBe(kb);
  });

  it('renamed to a name the other side added: exit 15, both kept', async () => {
    const ka = newKey();
    const kb = newKey();
    ok(await a.vaultCmd(['add', 'ca1', '--exchange', 'binance'], { input: creds(ka) }), 'add');
    ok(await a.vaultCmd(['sync']), 'sync');
    ok(await b.vaultCmd(['sync']), 'sync');
    ok(await a.vaultCmd(['rename', 'ca1', 'newname']), 'rename');
    ok(await b.vaultCmd(['add', 'newname', '--exchange', 'binance'], { input: creds(kb) }), 'add');
    ok(await a.vaultCmd(['sync']), 'sync');
    const clash = await b.vaultCmd(['sync']);
    expect(clash.code).toBe(15);
    expect(clash.stderr).toMatch(/conflict: .*newname/);
    expect(await get(b, 'newname')).toBe(ka);
    const history = JSON.parse(ok(await b.vaultCmd(['history', 'newname', '--json']), 'history').stdout);
    expect(history.length).toBeGreaterThanOrEqual(2);
    ok(await a.vaultCmd(['sync']), 'sync');
  });

  it('a damaged, tiny or symlinked remote file is refused naming the remote commit (exit 14), nothing changed', async () => {
    ok(await a.vaultCmd(['sync']), 'sync');
    ok(await b.vaultCmd(['sync']), 'sync');
    const good = git(['--git-dir', remote, 'rev-parse', 'main']);
    const current = fileAt(remote, 'main');
    const flipped = Buffer.from(current);
    for (let i = flipped.length - 300; i < flipped.length; i++) flipped[i] = flipped[i]! ^ 0xff;
    const cases: { file: Parameters<typeof plant>[1]; says: RegExp }[] = [
      { file: { bytes: flipped }, says: /fails its integrity check|does not open with this host's keys|is not a vault file/ },
      { file: { bytes: Buffer.from('EXV') }, says: /is not a vault file this program can read/ },
      { file: { bytes: Buffer.from('../../etc/passwd'), mode: '120000' }, says: /is not a vault file this program can read/ },
    ];
    const before = fs.readFileSync(b.vault);
    for (const c of cases) {
      const commit = plant(remote, c.file, good);
      const r = await b.vaultCmd(['sync']);
      expect(r.code).toBe(14);
      const line = oneLineError(r);
      expect(line).toContain(`the remote's vault (commit ${commit.slice(0, 12)})`);
      expect(line).toMatch(c.says);
      expect(fs.readFileSync(b.vault).equals(before)).toBe(true);
      // Still refused the next time: nothing was taken.
      expect((await b.vaultCmd(['sync'])).code).toBe(14);
    }
    git(['--git-dir', remote, 'update-ref', 'refs/heads/main', good]);
    ok(await b.vaultCmd(['sync']), 'sync');
    ok(await b.vaultCmd(['list']), 'list');
  });

  it('the same scope added on both sides: exit 14 naming --take-remote, which keeps this host\'s file aside', async () => {
    ok(await a.vaultCmd(['sync']), 'sync');
    ok(await b.vaultCmd(['sync']), 'sync');
    ok(await a.vaultCmd(['scope', 'add', 's1']), 'scope add');
    ok(await b.vaultCmd(['scope', 'add', 's1']), 'scope add');
    ok(await b.vaultCmd(['add', 'only-b', '--exchange', 'binance'], { input: creds(newKey()) }), 'add');
    ok(await a.vaultCmd(['sync']), 'sync');
    const refused = await b.vaultCmd(['sync']);
    expect(refused.code).toBe(14);
    expect(refused.stderr).toMatch(/vault sync --take-remote/);
    const mine = fs.readFileSync(b.vault);
    const took = ok(await b.vaultCmd(['sync', '--take-remote']), 'take remote');
    const kept = /kept as (\S+) /.exec(took.stderr)?.[1];
    expect(kept).toBeDefined();
    expect(path.basename(kept!)).toMatch(/^vault\.exv\.local-/);
    expect(fs.readFileSync(kept!).equals(mine)).toBe(true);
    expect(fs.statSync(kept!).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(b.vault).equals(fileAt(remote, 'main'))).toBe(true);
    // The set-aside file still opens, with b's entry.
    const aside = ok(await b.vaultCmd(['--vault', kept!, 'list', '--json']), 'list aside').stdout;
    expect(aside).toMatch(/only-b/);
    ok(await b.vaultCmd(['sync']), 'sync');
  });

  it('concurrent syncs on one host wait for each other instead of failing', async () => {
    ok(await a.vaultCmd(['add', 'conc', '--exchange', 'binance'], { input: creds(newKey()) }), 'add');
    const runs = await Promise.all([1, 2, 3, 4].map(() => a.vaultCmd(['sync'])));
    for (const r of runs) expect({ code: r.code, err: r.stderr }).toEqual({ code: 0, err: expect.not.stringMatching(/error/) });
    expect(fs.readFileSync(a.vault).equals(fileAt(remote, 'main'))).toBe(true);
  });
});

it('a host that only reads, facing a rewound or forked remote: one line, exit 14, how to get out; it never pushes', async () => {
  const admin = new Sandbox();
  const vps = new Sandbox();
  delete vps.env.DBUS_SESSION_BUS_ADDRESS;
  const remote = bare('rewind.git');
  try {
    await admin.init();
    ok(await admin.vaultCmd(['scope', 'add', 'grid']), 'scope add');
    const vpsR = ok(await vps.run(['identity', 'init']), 'identity').stdout.trim();
    ok(await admin.vaultCmd(['recipient', 'add', 'vps', vpsR, '--scope', 'grid']), 'recipient');
    for (const sb of [admin, vps]) ok(await sb.run(['remote', 'add', `file://${remote}`]), 'remote add');
    for (const n of ['g1', 'g2', 'g3']) {
      ok(await admin.vaultCmd(['add', n, '--exchange', 'binance', '--scope', 'grid'], { input: creds(newKey()) }), 'add');
      ok(await admin.vaultCmd(['sync']), 'sync');
    }
    ok(await vps.run(['sync']), 'join');
    const head = git(['--git-dir', remote, 'rev-parse', 'main']);
    const before = fs.readFileSync(vps.vault);

    // Rewound: the remote's main is main~1.
    git(['--git-dir', remote, 'update-ref', 'refs/heads/main', `${head}~1`]);
    const rewound = await vps.run(['sync']);
    expect(rewound.code).toBe(14);
    expect(oneLineError(rewound)).toMatch(/the remote's history went back to an earlier commit .* this host only reads/);
    expect(rewound.stderr).toMatch(/move vault\.exv aside/);
    expect(git(['--git-dir', remote, 'rev-parse', 'main'])).toBe(git(['--git-dir', remote, 'rev-parse', `${head}~1`]));

    // Forked: a commit on main~1 holding another valid version (main~2's file).
    git(['--git-dir', remote, 'update-ref', 'refs/heads/main', head]);
    const fork = plant(remote, { blob: blobAt(remote, `${head}~2`) }, `${head}~1`);
    const forked = await vps.run(['sync']);
    expect(forked.code).toBe(14);
    expect(oneLineError(forked)).toMatch(/the remote's history forked from the one this host synced .* this host only reads/);
    expect(forked.stderr).not.toMatch(/changing the vault needs every scope's key/);
    expect(git(['--git-dir', remote, 'rev-parse', 'main'])).toBe(fork);
    expect(fs.readFileSync(vps.vault).equals(before)).toBe(true);

    // The way out, as the hint says.
    fs.renameSync(vps.vault, `${vps.vault}.old`);
    ok(await vps.run(['sync']), 'sync after moving aside');
    expect(fs.readFileSync(vps.vault).equals(fileAt(remote, 'main'))).toBe(true);
    for (const sb of [admin, vps]) sb.assertNoCanary();
  } finally {
    for (const sb of [admin, vps]) sb.cleanup();
  }
});

it('remote URLs with a credential or a helper transport are refused (exit 2), never stored or printed', async () => {
  const sb = new Sandbox();
  try {
    await sb.init();
    for (const url of ['https://ghp_TOKEN1234567890@github.com/x/r.git', 'https://user%3Apw@host.example/r.git', 'http://u:p@host.example/r.git', 'ssh://git:pw@host.example/r.git', 'fd::3', 'testgit::/tmp/x', 'foo::bar', 'ext::sh -c id', 'gopher://host/r.git']) {
      const r = await sb.run(['remote', 'add', url]);
      expect({ url, code: r.code }).toEqual({ url, code: 2 });
      oneLineError(r);
      expect(r.stderr).not.toContain('TOKEN1234567890');
      expect(r.stderr).not.toMatch(/:pw@|%3Apw/);
    }
    const show = ok(await sb.run(['remote', 'show', '--json']), 'show');
    expect(JSON.parse(show.stdout).url).toBeNull();
    const cfg = path.join(`${sb.vault}.git`, 'config');
    if (fs.existsSync(cfg)) expect(fs.readFileSync(cfg, 'utf8')).not.toMatch(/TOKEN|pw@|::/);
    // Allowed kinds are recorded as given.
    for (const url of ['git@host.example:vault.git', 'ssh://git@host.example/srv/vault.git', 'https://host.example/vault.git', `file://${work}/x.git`]) {
      ok(await sb.run(['remote', 'add', url]), `remote add ${url}`);
      expect(JSON.parse(ok(await sb.run(['remote', 'show', '--json']), 'show').stdout).url).toBe(url);
      ok(await sb.run(['remote', 'remove']), 'remove');
    }
  } finally {
    sb.cleanup();
  }
});
