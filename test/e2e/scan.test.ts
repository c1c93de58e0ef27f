// vault scan through the CLI: planted keys in files (raw, base64, URL-encoded, an earlier
// version), none on a clean tree or a look-alike, a key in a past commit, and the pre-commit
// hook stopping a real commit. Trees live under secrets/ (they hold keys on purpose).
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OKX_JSON, Sandbox } from '../helpers/cli';
import { CANARY } from '../helpers/canary';

let sb: Sandbox;
let env: Record<string, string>;
let tree: string;

beforeAll(async () => {
  sb = new Sandbox();
  await sb.init();
  env = { EXVAULT_PASSPHRASE_FILE: sb.passFile, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' };
  expect((await sb.run(['add', 'okx-main', '--exchange', 'okx'], { env, input: OKX_JSON })).code).toBe(0);
  tree = path.join(sb.root, 'secrets', 'tree');
  fs.mkdirSync(path.join(tree, 'src', 'deep'), { recursive: true });
  for (let i = 0; i < 50; i++) fs.writeFileSync(path.join(tree, 'src', `clean${i}.py`), `print("hello ${i}")\n`);
});
afterAll(() => {
  sb.assertNoCanary();
  sb.cleanup();
});

const run = (args: string[], opts: Parameters<Sandbox['run']>[1] = {}) => sb.run(args, { ...opts, env: { ...env, ...opts.env } });
const git = (repo: string, ...args: string[]) => spawnSync('git', ['-C', repo, ...args], { env: { ...process.env, ...sb.env, ...env }, encoding: 'utf8' });

it('a clean tree: exit 0', async () => {
  const r = await run(['scan', tree]);
  expect(r.code).toBe(0);
  expect(r.stderr).toContain('no keys found in 50 files');
});

it('a look-alike string (one character different) is not a finding', async () => {
  const near = CANARY.apiSecret.slice(0, -1) + (CANARY.apiSecret.endsWith('p') ? 'q' : 'p');
  fs.writeFileSync(path.join(tree, 'near.txt'), `secret = "${near}"\n`);
  expect((await run(['scan', tree])).code).toBe(0);
});

it('finds a planted key raw, base64, inside a basic-auth header, URL-encoded; never prints it', async () => {
  fs.writeFileSync(path.join(tree, 'src', 'deep', 'config.py'), `# settings\nAPI_KEY = "${CANARY.apiKey}"\n`);
  fs.writeFileSync(path.join(tree, 'b64.txt'), `x\ny\nkey: ${Buffer.from(CANARY.apiSecret).toString('base64')}\n`);
  const basic = Buffer.from(`user:${CANARY.apiSecret}`).toString('base64');
  fs.writeFileSync(path.join(tree, 'curl.sh'), `curl -H "Authorization: Basic ${basic}" https://example.com\n`);
  // A value that URL-encoding changes (the canary passphrase has nothing to encode).
  const special = 'p@ss/word+key=42&x y';
  expect((await run(['add', 'webhook', '--exchange', 'other'], { input: JSON.stringify({ apiKey: special }) })).code).toBe(0);
  fs.writeFileSync(path.join(tree, 'url.txt'), `https://x.test/?p=${encodeURIComponent(special)}\n`);
  const r = await run(['scan', tree, '--json']);
  expect(r.code).toBe(1);
  const found = JSON.parse(r.stdout).findings.map((f: { file: string; line: number; label: string; form: string }) => [path.basename(f.file), f.line, f.label, f.form]);
  expect(found).toEqual(expect.arrayContaining([
    ['config.py', 2, 'okx-main.apiKey (v1, active)', 'raw'],
    ['b64.txt', 3, 'okx-main.apiSecret (v1, active)', 'base64'],
    ['curl.sh', 1, 'okx-main.apiSecret (v1, active)', 'base64'],
    ['url.txt', 1, 'webhook.apiKey (v1, active)', 'url'],
  ]));
  expect(found).toHaveLength(4);
  const text = await run(['scan', tree]);
  expect(text.stdout).toMatch(/deep\/config\.py:2: okx-main\.apiKey \(v1, active\)$/m);
  expect(text.stderr).toContain('4 findings in 4 files (of 55 searched): rotate those keys');
  for (const f of ['config.py', 'b64.txt', 'curl.sh', 'url.txt']) fs.rmSync(path.join(tree, f === 'config.py' ? 'src/deep/config.py' : f));
  expect((await run(['rm', 'webhook', '--yes'])).code).toBe(0);
});

it('finds the value of an earlier version too', async () => {
  const next = sb.secretFile('v2.json', JSON.stringify({ apiKey: 'n'.repeat(20), apiSecret: 'm'.repeat(20), passphrase: 'new passphrase 1' }));
  expect((await run(['rotate', 'okx-main', '--from-file', next])).code).toBe(0);
  fs.writeFileSync(path.join(tree, 'old.env'), `OKX_SECRET=${CANARY.apiSecret}\n`);
  const r = await run(['scan', tree]);
  expect(r.code).toBe(1);
  expect(r.stdout).toContain('old.env:1: okx-main.apiSecret (v1, previous)');
  fs.rmSync(path.join(tree, 'old.env'));
});

it('--git-history finds a key committed and later deleted, naming the commit', async () => {
  const repo = path.join(sb.root, 'secrets', 'repo');
  fs.mkdirSync(repo);
  expect(git(repo, 'init', '-q').status).toBe(0);
  fs.writeFileSync(path.join(repo, 'bot.py'), 'print(1)\n');
  fs.writeFileSync(path.join(repo, 'keys.py'), `KEY = "${CANARY.apiKey}"\n`);
  git(repo, 'add', '.');
  expect(git(repo, 'commit', '-q', '-m', 'add bot').status).toBe(0);
  const bad = git(repo, 'rev-parse', '--short=7', 'HEAD').stdout.trim();
  git(repo, 'rm', '-q', 'keys.py');
  expect(git(repo, 'commit', '-q', '-m', 'remove keys').status).toBe(0);
  expect((await run(['scan', repo])).code).toBe(0);
  const r = await run(['scan', repo, '--git-history']);
  expect(r.code).toBe(1);
  expect(r.stdout).toMatch(new RegExp(`^${bad}[0-9a-f]*:keys\\.py:1: okx-main\\.apiKey \\(v1, previous\\)$`, 'm'));
});

it('--install-hook: a commit with a key in it is refused; a clean one goes through', async () => {
  const repo = path.join(sb.root, 'secrets', 'hooked');
  fs.mkdirSync(repo);
  git(repo, 'init', '-q');
  expect((await run(['scan', repo, '--install-hook'])).code).toBe(0);
  expect(fs.statSync(path.join(repo, '.git', 'hooks', 'pre-commit')).mode & 0o111).not.toBe(0);
  fs.writeFileSync(path.join(repo, 'ok.py'), 'print(2)\n');
  git(repo, 'add', 'ok.py');
  expect(git(repo, 'commit', '-q', '-m', 'clean').status).toBe(0);
  fs.writeFileSync(path.join(repo, 'leak.py'), `SECRET = "${CANARY.apiSecret}"\n`);
  git(repo, 'add', 'leak.py');
  const c = git(repo, 'commit', '-q', '-m', 'leak');
  expect(c.status).not.toBe(0);
  // git passes a hook's output on through its own stderr.
  expect(c.stderr).toContain('leak.py:1: okx-main.apiSecret (v1, previous)');
  expect(c.stdout + c.stderr).not.toContain(CANARY.apiSecret);
  expect(git(repo, 'log', '--oneline').stdout.trim().split('\n')).toHaveLength(1);
  // Another tool's hook is not replaced without --force.
  fs.writeFileSync(path.join(repo, '.git', 'hooks', 'pre-commit'), '#!/bin/sh\nexit 0\n');
  expect((await run(['scan', repo, '--install-hook'])).code).toBe(2);
});

describe('no false "clean" (rt18b #4)', () => {
  it('a path that does not exist is an error (exit 2), not "no keys found in 0 files"', async () => {
    const missing = path.join(sb.root, 'secrets', 'no-such-dir');
    for (const extra of [[], ['--json']]) {
      const r = await run(['scan', missing, ...extra]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/vault: error: .*no-such-dir.* does not exist/);
      expect(r.stderr).not.toMatch(/no keys found/);
      expect(r.stdout).toBe('');
    }
    // One missing path among good ones still fails: a typo must not pass CI.
    expect((await run(['scan', tree, missing])).code).toBe(2);
  });

  it('- reads standard input as one file: git diff | vault scan - finds a key (exit 1)', async () => {
    const r = await run(['scan', '-', '--json'], { input: `+++ b/config.py\n+API_KEY = "${CANARY.apiKey}"\n` });
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j.files).toBe(1);
    expect(j.findings.map((f: { file: string; line: number; label: string }) => [f.file, f.line, f.label])).toEqual([['(standard input)', 2, expect.stringMatching(/^okx-main\.apiKey \(v1, /)]]);
    const clean = await run(['scan', '-'], { input: 'nothing here\n' });
    expect(clean.code).toBe(0);
    expect(clean.stderr).toContain('no keys found in 1 file');
  });

  it('a pipe given by path (/dev/stdin) is read too', async () => {
    const r = await run(['scan', '/dev/stdin'], { input: `x ${CANARY.apiSecret} y\n` });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/1 finding in 1 file \(of 1 searched\)/);
  });

  it('a FIFO named on the command line is read as one file', async () => {
    const fifo = path.join(sb.root, 'secrets', 'leak.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    // The writer opens the FIFO once vault opens it for reading.
    const writer = spawn('sh', ['-c', 'cat "$1" > "$2"', 'sh', sb.secretFile('leak-src.txt', `k=${CANARY.apiSecret}\n`), fifo], { stdio: 'ignore' });
    const written = new Promise((resolve) => writer.on('close', resolve));
    const r = await run(['scan', fifo]);
    await written;
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/leak\.fifo:1: okx-main\.apiSecret/);
  });
});
