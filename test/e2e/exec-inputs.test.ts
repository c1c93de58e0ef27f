// vault exec's inputs as the red team (rt18) met them: an env file Node.js must never see,
// files a program leaves behind next to its --file, and one variable given twice.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OKX_JSON, Sandbox } from '../helpers/cli';
import { CANARY } from '../helpers/canary';

const CHILD = path.resolve(__dirname, '../fixtures/child.js');
const node = process.execPath;

let sb: Sandbox;
let env: Record<string, string>;

beforeAll(async () => {
  sb = new Sandbox();
  await sb.init();
  env = { EXVAULT_PASSPHRASE_FILE: sb.passFile };
  expect((await sb.run(['add', 'okx-main', '--exchange', 'okx'], { env, input: OKX_JSON })).code).toBe(0);
}, 120_000);
afterAll(() => {
  sb.assertNoCanary();
  sb.cleanup();
});

const out = (name: string) => path.join(sb.root, 'tmp', name);
const exec = (args: string[], extra: Parameters<Sandbox['run']>[1] = {}) => sb.run(['exec', ...args], { ...extra, env: { ...env, ...extra.env } });

describe('--env-from (never --env-file, which Node.js reads itself)', () => {
  it("an env file's NODE_OPTIONS never runs code inside vault", async () => {
    const marker = out('preloaded');
    const evil = sb.secretFile('evil.js', `require('fs').writeFileSync(${JSON.stringify(marker)}, 'ran')\n`);
    const f = sb.secretFile('evil.env', `NODE_OPTIONS="--require ${evil}"\nK=vault://okx-main/apiKey\n`);
    const r = await exec(['--env-from', f, '--', 'true']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/NODE_OPTIONS/);
    expect(fs.existsSync(marker)).toBe(false);
  });

  it('--env-from - reads standard input', async () => {
    const f = out('stdin-env.json');
    const r = await exec(['--env-from', '-', '--', node, CHILD, 'env', f], { input: 'X=vault://okx-main/apiKey\nPLAIN=yes\n' });
    expect(r.code).toBe(0);
    const e = JSON.parse(fs.readFileSync(f, 'utf8'));
    fs.rmSync(f);
    expect(e.X).toBe(CANARY.apiKey);
    expect(e.PLAIN).toBe('yes');
  });

  it('--env-from given twice is refused (exit 2), not the first file silently dropped', async () => {
    const a = sb.secretFile('a.env', 'A=plain\nK=vault://okx-main/apiKey\n');
    const b = sb.secretFile('b.env', 'X=vault://okx-main/apiSecret\n');
    const r = await exec(['--env-from', a, '--env-from', b, '--dry-run']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--env-from is given twice/);
    expect(r.stdout).toBe('');
  });

  it('help and completions name --env-from, not --env-file', async () => {
    const h = await sb.run(['exec', '--help']);
    expect(h.stdout).toMatch(/--env-from <path>/);
    expect(h.stdout).not.toMatch(/--env-file/);
  });
});

describe('--file: what the program leaves behind never costs its status, nor later runs', () => {
  const fileOf = (name: string) => fs.readFileSync(out(name), 'utf8').trim();

  it('a sub-folder and chmod 500 on the folder: the exit status is the program\'s, the folder goes', async () => {
    const where = out('where1');
    const r = await exec(['--file', 'K=okx-main.apiSecret', '--', 'sh', '-c', `d=$(dirname "$K"); echo "$d" > ${where}; mkdir "$d/sub"; touch "$d/sub/x"; chmod 500 "$d/sub" "$d"; exit 3`]);
    expect(r.code).toBe(3);
    expect(fs.existsSync(fileOf('where1'))).toBe(false);
    const again = await exec(['--file', 'K=okx-main.apiSecret', '--', 'true']);
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
  });

  it('a folder left by a killed wrapper, with a sub-folder in it, is swept and the run goes on', async () => {
    const stale = '/dev/shm/exvault-exec-999999999-rt18test';
    fs.mkdirSync(path.join(stale, 'sub'), { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(stale, 'sub', 'x'), 'left');
    const r = await exec(['--file', 'K=okx-main.apiSecret', '--', 'true']);
    expect(r.code).toBe(0);
    expect(fs.existsSync(stale)).toBe(false);
  });

  it('an XDG_RUNTIME_DIR on a disk, or a symlink, is passed over for /dev/shm', async () => {
    const disk = out('runtime-on-disk');
    fs.mkdirSync(disk, { mode: 0o700 });
    const shmDir = fs.mkdtempSync('/dev/shm/rt18-own-');
    fs.chmodSync(shmDir, 0o700);
    const link = out('runtime-link');
    fs.symlinkSync(shmDir, link);
    try {
      for (const [runtime, name] of [[disk, 'where-disk'], [link, 'where-link']] as const) {
        const r = await exec(['--file', 'K=okx-main.apiSecret', '--', 'sh', '-c', `echo "$K" > ${out(name)}`], { env: { XDG_RUNTIME_DIR: runtime } });
        expect(r.code).toBe(0);
        expect(fileOf(name)).toMatch(/^\/dev\/shm\/exvault-exec-/);
      }
      expect(fs.readdirSync(disk)).toEqual([]);
      expect(fs.readdirSync(shmDir)).toEqual([]);
    } finally {
      fs.rmSync(shmDir, { recursive: true, force: true });
    }
  });

  it('a folder renamed away during the run: the file is emptied all the same, with a warning', async () => {
    const r = await exec(['--file', 'K=okx-main.apiSecret', '--', 'sh', '-c', `d=$(dirname "$K"); mv "$d" "$d.old"; echo "$d.old/K" > ${out('moved')}`]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/moved away/);
    const moved = fileOf('moved');
    try {
      expect(fs.readFileSync(moved, 'utf8')).toBe('');
    } finally {
      fs.rmSync(path.dirname(moved), { recursive: true, force: true });
    }
  });
});

describe('one variable, two fields', () => {
  it.each([['--map'], ['--file']])('%s given K twice is refused before anything runs', async (flag) => {
    const r = await exec([flag, 'K=okx-main.apiSecret', flag, 'K=okx-main.apiKey', '--dry-run']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/K is given twice/);
  });

  it('profile set refuses it too', async () => {
    const r = await sb.run(['profile', 'set', 'twice', '--map', 'K=okx-main.apiSecret', '--map', 'K=okx-main.apiKey'], { env });
    expect(r.code).toBe(2);
  });
});
