// vault exec through the built CLI: what the child gets, what is refused before anything runs,
// exit statuses, signals, the wrapper's death, masking, and command lines free of secrets.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BINANCE_JSON, CLI, HANG_MS, OKX_JSON, Sandbox } from '../helpers/cli';
import { CANARY, findCanary } from '../helpers/canary';
import { Terminal } from '../helpers/tmux';

const CHILD = path.resolve(__dirname, '../fixtures/child.js');
const node = process.execPath;

let sb: Sandbox;
let env: Record<string, string>;

beforeAll(async () => {
  sb = new Sandbox();
  await sb.init();
  env = { EXVAULT_PASSPHRASE_FILE: sb.passFile };
  const add = (args: string[], input: string) => sb.run(['add', ...args], { env, input });
  expect((await add(['binance-main', '--exchange', 'binance', '--permissions', 'reading,spot'], BINANCE_JSON)).code).toBe(0);
  expect((await add(['okx-main', '--exchange', 'okx', '--permissions', 'read,trade', '--env', 'passphrase=OKX_PASS'], OKX_JSON)).code).toBe(0);
  expect((await add(['withdrawer', '--exchange', 'binance', '--permissions', 'reading,withdrawals'], JSON.stringify({ apiKey: 'k'.repeat(64), apiSecret: 's'.repeat(64) }))).code).toBe(0);
  expect((await add(['old-key', '--exchange', 'bybit', '--expires', '2020-01-01'], JSON.stringify({ apiKey: 'o'.repeat(18), apiSecret: 'p'.repeat(36) }))).code).toBe(0);
});
afterAll(() => {
  sb.assertNoCanary();
  sb.cleanup();
});

const out = (name: string) => path.join(sb.root, 'tmp', name);
const exec = (args: string[], extra: Parameters<Sandbox['run']>[1] = {}) => sb.run(['exec', ...args], { ...extra, env: { ...env, ...extra.env } });
const readJson = (f: string) => JSON.parse(fs.readFileSync(f, 'utf8'));

async function waitForFile(f: string, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (!fs.existsSync(f)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${f}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return fs.readFileSync(f, 'utf8');
}

describe("the child's environment", () => {
  it('is the parent environment plus exactly the requested secrets and the marker; no unlock variable', async () => {
    const f = out('env1.json');
    const r = await exec(['binance-main', '--', node, CHILD, 'env', f], { env: { MY_SETTING: 'kept', EXVAULT_FILE: sb.vault } });
    expect(r.code).toBe(0);
    const childEnv = readJson(f);
    const parent = { ...sb.env, MY_SETTING: 'kept' };
    const added = Object.keys(childEnv).filter((k) => !(k in parent)).sort();
    expect(added).toEqual(['BINANCE_MAIN_API_KEY', 'BINANCE_MAIN_API_SECRET', 'EXVAULT_EXEC']);
    expect(childEnv.BINANCE_MAIN_API_SECRET).toBe(CANARY.apiSecret);
    for (const k of Object.keys(parent)) expect(childEnv[k]).toBe(parent[k as keyof typeof parent]);
    expect(childEnv.EXVAULT_PASSPHRASE_FILE).toBeUndefined();
    expect(childEnv.EXVAULT_FILE).toBeUndefined();
    fs.rmSync(f);
  });

  it('--pristine keeps only the allow-list, --keep, and the secrets', async () => {
    const f = out('env2.json');
    const r = await exec(['okx-main', '--pristine', '--keep', 'MY_SETTING', '--', node, CHILD, 'env', f], { env: { MY_SETTING: 'kept', OTHER: 'dropped' } });
    expect(r.code).toBe(0);
    expect(Object.keys(readJson(f)).sort()).toEqual(['EXVAULT_EXEC', 'HOME', 'LANG', 'MY_SETTING', 'OKX_MAIN_API_KEY', 'OKX_MAIN_API_SECRET', 'OKX_PASS', 'PATH'].sort());
    fs.rmSync(f);
  });

  it('--map renames a field; an entry mapping overrides the default; --env-from resolves vault:// and passes plain lines', async () => {
    const f = out('env3.json');
    const envFile = sb.secretFile('bot.env', '# bot settings\nexport EXCHANGE_KEY="vault://okx-main/apiKey"\nLOG_LEVEL=debug\r\n\nSECRET_TWO=vault://binance-main/apiSecret\n');
    const r = await exec(['okx-main', '--map', 'K=okx-main.apiSecret', '--env-from', envFile, '--pristine', '--', node, CHILD, 'env', f]);
    expect(r.code).toBe(0);
    const e = readJson(f);
    expect(e.K).toBe(CANARY.apiSecret);
    expect(e.OKX_MAIN_API_SECRET).toBeUndefined();
    expect(e.OKX_PASS).toBe(CANARY.passphrase);
    expect(e.EXCHANGE_KEY).toBe(CANARY.apiKey);
    expect(e.OKX_MAIN_API_KEY).toBeUndefined();
    expect(e.LOG_LEVEL).toBe('debug');
    expect(e.SECRET_TWO).toBe(CANARY.apiSecret);
    fs.rmSync(f);
  });

  it('a profile saved in the vault gives the same', async () => {
    expect((await sb.run(['profile', 'set', 'grid', 'binance-main', '--map', 'BKEY=binance-main.apiKey', '--pristine'], { env })).code).toBe(0);
    const list = await sb.run(['profile', 'list', '--json'], { env });
    expect(JSON.parse(list.stdout)[0]).toMatchObject({ name: 'grid', entries: ['binance-main'], pristine: true });
    const f = out('env4.json');
    expect((await exec(['--profile', 'grid', '--', node, CHILD, 'env', f])).code).toBe(0);
    expect(Object.keys(readJson(f)).filter((k) => /KEY|SECRET/.test(k)).sort()).toEqual(['BINANCE_MAIN_API_SECRET', 'BKEY']);
    fs.rmSync(f);
  });

  it('--dry-run lists names and sources, never values', async () => {
    const r = await exec(['okx-main', '--dry-run', '--json']);
    expect(JSON.parse(r.stdout)).toEqual([
      { schema: 1, name: 'OKX_MAIN_API_KEY', source: 'okx-main.apiKey' },
      { schema: 1, name: 'OKX_MAIN_API_SECRET', source: 'okx-main.apiSecret' },
      { schema: 1, name: 'OKX_PASS', source: 'okx-main.passphrase' },
    ]);
  });
});

describe('refused before anything runs', () => {
  const marker = () => out('must-not-exist');
  it.each([
    ['an invalid name', ['--map', 'bad-name=okx-main.apiKey'], {}, 2, /not a valid variable name/],
    ['LD_PRELOAD as a target', ['--map', 'LD_PRELOAD=okx-main.apiKey'], {}, 2, /LD_PRELOAD cannot receive a secret/],
    ['NODE_OPTIONS as a target', ['--map', 'NODE_OPTIONS=okx-main.apiKey'], {}, 2, /NODE_OPTIONS cannot receive/],
    ['DYLD_ variables', ['--map', 'DYLD_INSERT_LIBRARIES=okx-main.apiKey'], {}, 2, /cannot receive a secret/],
    ['PATH as a target', ['--map', 'PATH=okx-main.apiKey'], {}, 2, /PATH cannot receive/],
    ['BASH_ENV and ENV', ['--map', 'BASH_ENV=okx-main.apiKey', '--map', 'ENV=okx-main.apiSecret'], {}, 2, /BASH_ENV cannot receive/],
    ['two secrets for one name', ['okx-main', '--map', 'OKX_PASS=okx-main.apiKey'], {}, 2, /two secrets would be injected as OKX_PASS/],
    ['an existing variable without --override', ['okx-main'], { OKX_PASS: 'already' }, 2, /OKX_PASS is already set/],
    ['a nested vault exec', ['okx-main'], { EXVAULT_EXEC: '1' }, 2, /inside another vault exec/],
    ['a key that can withdraw', ['withdrawer'], {}, 2, /withdrawer can withdraw or transfer funds/],
    ['an expired key', ['old-key'], {}, 2, /the key in old-key expired on 2020-01-01/],
    ['no such entry', ['nope'], {}, 4, /no entry named "nope"/],
    ['no such field', ['--map', 'X=okx-main.nofield'], {}, 4, /has no field "nofield"/],
    ['nothing to inject', [], {}, 2, /nothing to inject/],
  ])('%s', async (_n, args, extraEnv, code, message) => {
    const r = await exec([...(args as string[]), '--', node, CHILD, 'env', marker()], { env: extraEnv as Record<string, string> });
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(message as RegExp);
    expect(fs.existsSync(marker())).toBe(false);
  });

  it('--override replaces an existing variable; --allow-withdraw allows a withdrawing key', async () => {
    const f = out('env5.json');
    expect((await exec(['okx-main', '--override', '--', node, CHILD, 'env', f], { env: { OKX_PASS: 'already' } })).code).toBe(0);
    expect(readJson(f).OKX_PASS).toBe(CANARY.passphrase);
    expect((await exec(['withdrawer', '--allow-withdraw', '--', node, CHILD, 'env', f])).code).toBe(0);
    fs.rmSync(f);
  });

  it('127 for a program not found, 126 for one not executable, before unlocking', async () => {
    const nf = await exec(['okx-main', '--', 'no-such-program-xyz'], { env: { EXVAULT_PASSPHRASE_FILE: '/nonexistent' } });
    expect(nf.code).toBe(127);
    expect(nf.stderr).toBe('vault: error: command not found: no-such-program-xyz\n');
    const plain = sb.secretFile('not-exec.sh', '#!/bin/sh\n');
    const ne = await exec(['okx-main', '--', plain]);
    expect(ne.code).toBe(126);
  });
});

describe('running the child', () => {
  it.each([0, 1, 2, 3, 42])('exit status %i passes through', async (n) => {
    expect((await exec(['okx-main', '--', node, CHILD, 'exit', String(n)])).code).toBe(n);
  });

  it('killed by signal 9 gives 137, by 15 gives 143', async () => {
    expect((await exec(['okx-main', '--', 'sh', '-c', 'kill -9 $$'])).code).toBe(137);
    expect((await exec(['okx-main', '--', 'sh', '-c', 'kill -15 $$'])).code).toBe(143);
  });

  it('arguments, shell metacharacters included, pass through literally', async () => {
    const f = out('argv.json');
    const args = ['$(touch /tmp/exvault-pwned)', '; rm -rf /', '*', 'a b', '"quoted"', "it's", '`id`', '--', '-x', '', 'ünï'];
    expect((await exec(['okx-main', '--', node, CHILD, 'argv', f, ...args])).code).toBe(0);
    expect(readJson(f)).toEqual(args);
    expect(fs.existsSync('/tmp/exvault-pwned')).toBe(false);
  });

  it('forwards SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, and SIGINT when not from a terminal', async () => {
    const f = out('signals.log');
    const { child, done } = sb.start(['exec', 'okx-main', '--', node, CHILD, 'signals', f], { env });
    await waitForFile(`${f}.ready`);
    const sent = ['SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH', 'SIGINT', 'SIGTERM'] as const;
    for (const s of sent) {
      child.kill(s);
      const deadline = Date.now() + 5000;
      while (!(fs.existsSync(f) && fs.readFileSync(f, 'utf8').includes(s)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    }
    const r = await done;
    expect(r.code).toBe(0);
    expect(fs.readFileSync(f, 'utf8').trim().split('\n')).toEqual([...sent]);
  });

  it('after a forwarded SIGTERM the child gets its time (default: wait)', async () => {
    const f = out('slow.log');
    const { child, done } = sb.start(['exec', 'okx-main', '--', node, CHILD, 'slow-term', f, '1500'], { env });
    await waitForFile(`${f}.ready`);
    child.kill('SIGTERM');
    const r = await done;
    expect(r.code).toBe(0);
    expect(fs.readFileSync(f, 'utf8')).toBe('cleaning\ndone\n');
  });

  it('--grace ends a child that ignores SIGTERM with SIGKILL after the grace period', async () => {
    const f = out('ignore.log');
    const { child, done } = sb.start(['exec', 'okx-main', '--grace', '700ms', '--', node, CHILD, 'ignore-term', f], { env });
    await waitForFile(`${f}.ready`);
    const t0 = Date.now();
    child.kill('SIGTERM');
    const r = await done;
    const waited = Date.now() - t0;
    expect(r.code).toBe(137);
    expect(waited).toBeGreaterThanOrEqual(650);
    expect(waited).toBeLessThan(HANG_MS);
    expect(fs.readFileSync(f, 'utf8')).toBe('SIGTERM\n');
  });

  it('when the wrapper is SIGKILLed the child gets SIGTERM instead of living on as an orphan', async () => {
    const f = out('orphan.log');
    const { child, done } = sb.start(['exec', 'okx-main', '--', node, CHILD, 'slow-term', f, '10'], { env });
    const childPid = Number(await waitForFile(`${f}.ready`));
    child.kill('SIGKILL');
    await done;
    expect(await waitForFile(f)).toMatch(/^cleaning\n/);
    // Gone, or a zombie waiting for whoever adopted it to reap it: not running on, either way.
    const deadline = Date.now() + 5000;
    const state = (): string => (fs.existsSync(`/proc/${childPid}/stat`) ? fs.readFileSync(`/proc/${childPid}/stat`, 'utf8').split(') ')[1]![0]! : 'gone');
    while (!['gone', 'Z'].includes(state()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(['gone', 'Z']).toContain(state());
  });

  it('no secret on the command line of the wrapper or the child', async () => {
    const f = out('sleep');
    const { child, done } = sb.start(['exec', 'binance-main', 'okx-main', '--', node, CHILD, 'signals', f], { env });
    const childPid = Number(await waitForFile(`${f}.ready`));
    for (const pid of [child.pid!, childPid]) {
      expect(findCanary(fs.readFileSync(`/proc/${pid}/cmdline`))).toBeNull();
    }
    // The secrets are where they belong: in the child's environment only.
    expect(findCanary(fs.readFileSync(`/proc/${child.pid}/environ`))).toBeNull();
    expect(findCanary(fs.readFileSync(`/proc/${childPid}/environ`))).not.toBeNull();
    child.kill('SIGTERM');
    expect((await done).code).toBe(0);
  });
});

describe('masking', () => {
  it('masks a secret split across two writes when output is not a terminal', async () => {
    const r = await exec(['okx-main', '--', node, CHILD, 'split', 'OKX_MAIN_API_SECRET']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('value: <concealed:OKX_MAIN_API_SECRET> end\n');
    expect(r.stderr).toBe('err: <concealed:OKX_MAIN_API_SECRET> end\n');
  });

  it('--no-mask passes output through untouched', async () => {
    const r = await sb.run(['exec', 'okx-main', '--no-mask', '--', node, CHILD, 'split', 'OKX_PASS'], { env, reveals: true });
    expect(r.stdout).toBe(`value: ${CANARY.passphrase} end\n`);
  });

  it('on a terminal output passes through; Ctrl-C and Ctrl-\\ reach the child exactly once', async () => {
    const f = out('int.count');
    const t = new Terminal({ ...sb.env, ...env });
    try {
      t.start([node, CLI, 'exec', 'okx-main', '--', node, CHILD, 'int-count', f], sb.root);
      await waitForFile(`${f}.ready`);
      t.key('C-c');
      expect(await t.exitCode()).toBe(0);
      expect(fs.readFileSync(f, 'utf8')).toBe('1');
    } finally {
      t.close();
    }
    // Ctrl-\ likewise: the terminal sends SIGQUIT to the whole foreground group; once is enough.
    const q = out('quit.count');
    const t3 = new Terminal({ ...sb.env, ...env });
    try {
      t3.start([node, CLI, 'exec', 'okx-main', '--', node, CHILD, 'quit-count', q], sb.root);
      await waitForFile(`${q}.ready`);
      t3.key('C-\\');
      expect(await t3.exitCode()).toBe(0);
      expect(fs.readFileSync(q, 'utf8')).toBe('1');
    } finally {
      t3.close();
    }
    const t2 = new Terminal({ ...sb.env, ...env });
    try {
      t2.start([node, CLI, 'exec', 'okx-main', '--', node, CHILD, 'split', 'OKX_MAIN_API_KEY'], sb.root);
      expect(await t2.exitCode()).toBe(0);
      // stdout and stderr share the screen and interleave; the value is there, unmasked.
      const screen = t2.screen();
      expect(screen).not.toContain('concealed');
      expect(screen).toContain(`err: ${CANARY.apiKey} end`);
    } finally {
      t2.close();
    }
  });
});

describe('inject', () => {
  const template = '{\n  "exchange": {\n    "key": "{{ vault://okx-main/apiKey }}",\n    "secret": "{{vault://okx-main/apiSecret}}",\n    "password": "{{ vault://okx-main/passphrase }}"\n  }\n}\n';

  it('fills a template and writes it with mode 600', async () => {
    const tpl = sb.secretFile('config.tmpl.json', template);
    const target = out('config.json');
    const r = await sb.run(['inject', '-i', tpl, '-o', target], { env });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('wrote ');
    expect(fs.statSync(target).mode & 0o777).toBe(0o600);
    expect(JSON.parse(fs.readFileSync(target, 'utf8')).exchange).toEqual({ key: CANARY.apiKey, secret: CANARY.apiSecret, password: CANARY.passphrase });
    fs.rmSync(target);
  });

  it('refuses to replace a file others could read, unless --force; never writes through a symlink', async () => {
    const tpl = sb.secretFile('config2.tmpl.json', template);
    const target = out('shared.json');
    fs.writeFileSync(target, 'old', { mode: 0o644 });
    const r = await sb.run(['inject', '-i', tpl, '-o', target], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('exists with mode 644, not 600');
    expect(fs.readFileSync(target, 'utf8')).toBe('old');
    expect((await sb.run(['inject', '-i', tpl, '-o', target, '--force'], { env })).code).toBe(0);
    expect(fs.statSync(target).mode & 0o777).toBe(0o600);
    fs.rmSync(target);
    const link = out('link.json');
    fs.symlinkSync(out('elsewhere.json'), link);
    expect((await sb.run(['inject', '-i', tpl, '-o', link], { env })).code).toBe(2);
    expect(fs.existsSync(out('elsewhere.json'))).toBe(false);
    fs.rmSync(link);
  });

  it('refuses malformed references, withdrawing keys and missing fields before writing anything', async () => {
    const target = out('never.json');
    const cases: [string, number, RegExp][] = [
      ['a: {{ vault://okx-main }}\n', 2, /line 1 of the template has a malformed reference/],
      ['a: {{ vault://withdrawer/apiKey }}\n', 2, /withdrawer can withdraw or transfer funds/],
      ['a: {{ vault://okx-main/nofield }}\n', 4, /has no field "nofield"/],
      ['no references here\n', 2, /no \{\{ vault:\/\/ENTRY\/FIELD \}\} reference/],
    ];
    for (const [text, code, message] of cases) {
      const tpl = sb.secretFile('bad.tmpl', text);
      const r = await sb.run(['inject', '-i', tpl, '-o', target], { env });
      expect(r.code).toBe(code);
      expect(r.stderr).toMatch(message);
      expect(fs.existsSync(target)).toBe(false);
    }
  });
});
