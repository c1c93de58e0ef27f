// Canary run: every command, its failure paths and --debug, with canary secrets stored. The
// canaries appear in no output (except where a command's purpose is to reveal one), in no
// file but the vault, and on no process's command line while the commands run.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CANARY, findCanary } from '../helpers/canary';
import { BINANCE_JSON, OKX_JSON, RunResult, Sandbox } from '../helpers/cli';
import { timeLimit } from '../helpers/adversarial';

const HOOK = `${process.execPath} ${path.resolve(__dirname, '../fixtures/rotate-hook.js')}`;
const CHILD = path.resolve(__dirname, '../fixtures/child.js');
/** Exit statuses README.md documents (check: 10, 11; exec: the program's own, here 0 or 3). */
const DOCUMENTED = [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13];

/** True when pid descends from this test process: other runs on the machine may use the canary on purpose. */
function ours(pid: string): boolean {
  let cur = Number(pid);
  for (let depth = 0; depth < 64 && cur > 1; depth++) {
    if (cur === process.pid) return true;
    try {
      const stat = fs.readFileSync(`/proc/${cur}/stat`, 'utf8');
      cur = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
      // Gone before we could ask: count it, since it cannot be shown to be someone else's.
      return true;
    }
  }
  return false;
}

/** Reads every process's command line every few ms while the commands run. */
class CmdlineWatch {
  seen = 0;
  cliSeen = 0;
  hits: string[] = [];
  private timer?: NodeJS.Timeout;
  start(): void {
    this.timer = setInterval(() => {
      for (const pid of fs.readdirSync('/proc')) {
        if (!/^\d+$/.test(pid)) continue;
        let cmd: Buffer;
        try {
          cmd = fs.readFileSync(`/proc/${pid}/cmdline`);
        } catch {
          continue;
        }
        this.seen++;
        if (cmd.includes('vault.js')) this.cliSeen++;
        if (findCanary(cmd) && ours(pid)) this.hits.push(pid);
      }
    }, 3);
  }
  stop(): void {
    clearInterval(this.timer);
  }
}

let sb: Sandbox;
const watch = new CmdlineWatch();
beforeAll(async () => {
  sb = new Sandbox();
  watch.start();
  await sb.init();
});
afterAll(() => {
  watch.stop();
  sb.cleanup();
});

interface Case {
  args: string[];
  input?: string;
  /** The command's purpose is to reveal a secret: its output is not checked. */
  reveals?: boolean;
  /** Expected exit status, when it is part of what the case checks. */
  code?: number;
}

const canaryJsonBroken = `{"apiKey": "${CANARY.apiKey}", "apiSecret": ${CANARY.apiSecret}}`;

function cases(dir: string): Case[] {
  const file = (name: string, text: string) => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, text, { mode: 0o600 });
    return p;
  };
  const envFile = file('bot.env', `BINANCE_API_KEY=${CANARY.apiKey}\nBINANCE_API_SECRET=${CANARY.apiSecret}\n`);
  const badEnvFile = file('bad.env', `OK=1\nthis line ${CANARY.apiSecret} is broken\n`);
  const refEnvFile = file('refs.env', 'OKX_KEY=vault://okx/apiKey\nPLAIN=hello\n');
  const template = file('tpl.yaml', 'key: {{ vault://okx/apiKey }}\n');
  const badTemplate = file('bad.yaml', `key: {{ vault://okx/nope }} ${CANARY.passphrase}\n`);
  const badImport = file('bad.json', canaryJsonBroken);
  const wrongPass = file('wrong-pass', 'not the passphrase at all 123\n');
  const tree = path.join(dir, 'tree');
  fs.mkdirSync(tree);
  fs.writeFileSync(path.join(tree, 'leak.py'), `KEY = "${CANARY.apiKey}"\n`);
  fs.writeFileSync(path.join(tree, 'clean.py'), 'print(1)\n');
  const all: Case[] = [
    // Everyday commands, success paths.
    { args: ['add', 'okx', '--exchange', 'okx', '--permissions', 'read,trade'], input: OKX_JSON, code: 0 },
    { args: ['add', 'bin', '--exchange', 'binance', '--ip', '203.0.113.7'], input: BINANCE_JSON, code: 0 },
    { args: ['list'], code: 0 },
    { args: ['list', '--json'], code: 0 },
    { args: ['show', 'okx'], code: 0 },
    { args: ['show', 'okx', '--json'], code: 0 },
    { args: ['get', 'okx', 'apiKey'], reveals: true, code: 0 },
    { args: ['edit', 'okx', '--label', 'main', '--rotate-every', '90d'], code: 0 },
    { args: ['edit', 'bin', '--rotate-hook', `${HOOK} rotate`, '--revoke-hook', `${HOOK} revoke`], code: 0 },
    { args: ['rename', 'bin', 'bin2'], code: 0 },
    { args: ['rename', 'bin2', 'bin'], code: 0 },
    { args: ['doctor'] },
    { args: ['doctor', '--json'] },
    { args: ['exec', 'okx', '--', process.execPath, CHILD, 'exit', '0'], code: 0 },
    { args: ['exec', 'okx', '--dry-run'], code: 0 },
    { args: ['exec', 'okx', '--dry-run', '--json'], code: 0 },
    { args: ['exec', '--env-from', refEnvFile, '--', process.execPath, CHILD, 'exit', '3'], code: 3 },
    { args: ['profile', 'set', 'grid', 'okx', '--map', 'OKX_KEY=okx.apiKey'], code: 0 },
    { args: ['profile', 'list'], code: 0 },
    { args: ['exec', '--profile', 'grid', '--', process.execPath, CHILD, 'exit', '0'], code: 0 },
    { args: ['inject', '--in', template], reveals: true, code: 0 },
    { args: ['inject', '--in', template, '--out', path.join(dir, 'out.yaml')], code: 0 },
    { args: ['audit'], code: 0 },
    { args: ['audit', 'verify'], code: 0 },
    { args: ['audit', '--json'], code: 0 },
    { args: ['config'], code: 0 },
    { args: ['config', 'keep-versions', '5'], code: 0 },
    { args: ['check'] },
    { args: ['check', '--json'] },
    { args: ['rotate', 'bin'], code: 0 },
    { args: ['rotate', 'okx', '--from-file', '-'], input: JSON.stringify({ apiKey: 'R'.repeat(36), apiSecret: 'S'.repeat(32), passphrase: 'new-pass-1' }), code: 0 },
    { args: ['history', 'okx'], code: 0 },
    { args: ['history', 'okx', '--json'], code: 0 },
    { args: ['rollback', 'okx'], code: 0 },
    { args: ['rotate', '--due', '--yes'] },
    { args: ['generate'], code: 0 },
    { args: ['export', '--all', '--yes'], reveals: true, code: 0 },
    { args: ['export', '--all', '--format', 'env', '--yes'], reveals: true, code: 0 },
    { args: ['backup', path.join(dir, 'copy.exv')], code: 0 },
    { args: ['scan', tree], code: 1 },
    { args: ['scan', tree, '--json'], code: 1 },
    { args: ['import', 'dotenv', envFile, '--entry', 'imported', '--exchange', 'binance'] },
    { args: ['completion', 'bash'], code: 0 },
    { args: ['keychain', 'status'] },
    { args: ['unlock', '--for', '10m'], code: 0 },
    { args: ['unlock', '--for', 'forever'], code: 2 },
    { args: ['lock'], code: 0 },
    // Failure paths, most of them with a canary in the bad input.
    { args: ['add', 'broken', '--exchange', 'okx'], input: canaryJsonBroken, code: 2 },
    { args: ['add', 'okx', '--exchange', 'okx'], input: OKX_JSON, code: 2 },
    { args: ['add', 'short', '--exchange', 'binance'], input: JSON.stringify({ apiKey: CANARY.apiKey }), code: 2 },
    { args: ['get', 'okx', 'nope'], code: 4 },
    { args: ['get', 'missing', 'apiKey'], code: 4 },
    // vault verify with nothing listening, a clear-text address elsewhere, an unknown entry.
    { args: ['verify', 'okx', '--api-url', 'http://127.0.0.1:9', '--timeout', '5'], code: 13 },
    { args: ['verify', 'okx', '--api-url', 'http://example.com'], code: 2 },
    { args: ['verify', 'missing'], code: 4 },
    { args: ['show', 'missing'], code: 4 },
    { args: ['edit', 'okx', '--ip', 'not-an-address'], code: 2 },
    { args: ['edit', 'okx', '--permissions', 'fly-to-the-moon'], code: 2 },
    { args: ['exec', '--env-from', badEnvFile, '--', 'true'], code: 2 },
    { args: ['exec', 'missing', '--', 'true'], code: 4 },
    { args: ['exec', 'okx', '--map', 'lower=okx.apiKey', '--', 'true'], code: 2 },
    { args: ['inject', '--in', badTemplate], code: 4 },
    { args: ['import', 'json', badImport, '--yes'], code: 2 },
    { args: ['rotate', 'okx', '--from-file', '-'], input: canaryJsonBroken, code: 2 },
    { args: ['config', 'keep-versions', 'many'], code: 2 },
    { args: ['rollback', 'okx', '--to', '99'] },
    { args: ['restore', path.join(dir, 'bad.json'), '--yes'] },
    { args: ['--passphrase-file', wrongPass, 'list'], code: 3 },
    { args: ['--passphrase-file', wrongPass, 'exec', 'okx', '--', 'true'], code: 3 },
    { args: ['--passphrase-file', path.join(dir, 'missing-pass'), 'list'] },
    { args: ['--vault', path.join(dir, 'bad.json'), 'list'], code: 5 },
    { args: ['--vault', dir, 'list'] },
    { args: ['no-such-command'], code: 2 },
  ];
  // Every failure again with --debug, which adds where an unexpected error happened; then the
  // commands that change what the ones above rely on.
  return [
    ...all,
    ...all.filter((c) => c.code !== 0).map((c) => ({ ...c, args: ['--debug', ...c.args] })),
    { args: ['rm', 'bin', '--yes'], code: 0 },
    { args: ['passwd', '--new-passphrase-file', wrongPass], code: 0 },
    { args: ['--passphrase-file', wrongPass, 'list'], code: 0 },
  ];
}

it('every command, failure paths and --debug: no canary in any output, file or command line', async () => {
  const dir = path.join(sb.root, 'secrets', 'inputs');
  fs.mkdirSync(dir, { mode: 0o700 });
  const wrong: string[] = [];
  let passFile = sb.passFile;
  for (const c of cases(dir)) {
    const args = c.args[0] === '--passphrase-file' || c.args.includes('--passphrase-file') ? c.args : ['--passphrase-file', passFile, ...c.args];
    const r: RunResult = await sb.run(args, { input: c.input ?? '', reveals: c.reveals });
    if (c.code !== undefined && r.code !== c.code) wrong.push(`${c.args.join(' ')}: exit ${r.code}, wanted ${c.code}: ${r.stderr.trim().split('\n')[0]}`);
    if (!DOCUMENTED.includes(r.code ?? -1)) wrong.push(`${c.args.join(' ')}: undocumented exit ${r.code}`);
    // Errors are one line, whatever went wrong (--debug adds its trace below the line).
    if (r.code !== 0 && r.stderr.split('\n').filter((l) => l.startsWith('vault: error')).length > 1) wrong.push(`${c.args.join(' ')}: more than one error line`);
    if (c.args[0] === 'passwd' && r.code === 0) passFile = path.join(dir, 'wrong-pass');
  }
  expect(wrong).toEqual([]);
  // Outputs and every file under the sandbox but the inputs (secrets/ holds them on purpose).
  sb.assertNoCanary();
  // The watcher really saw the CLI's processes, so an empty hit list means something.
  expect(watch.cliSeen).toBeGreaterThan(20);
  expect(watch.hits).toEqual([]);
}, timeLimit(600_000));
