// Shell completion in the real shells: the committed scripts are current, and bash, zsh and
// fish, calling the completion function as they do, get commands, options, option values,
// files, and entry names when the vault opens through the keychain (nothing otherwise).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CLI, FAST_KDF, HANG_MS, OKX_JSON, Sandbox } from '../helpers/cli';

const ROOT = path.resolve(__dirname, '../..');
const SCRIPT = { bash: 'completions/vault.bash', zsh: 'completions/_vault', fish: 'completions/vault.fish' } as const;

let sb: Sandbox;
let shellEnv: Record<string, string>;

beforeAll(async () => {
  if (!process.env.DBUS_SESSION_BUS_ADDRESS) throw new Error('run through npm test (needs the Secret Service)');
  sb = new Sandbox();
  expect((await sb.vaultCmd(['init', '--keychain', ...FAST_KDF])).code).toBe(0);
  expect((await sb.run(['add', 'okx-main', '--exchange', 'okx'], { input: OKX_JSON })).code).toBe(0);
  expect((await sb.run(['profile', 'set', 'grid', 'okx-main'])).code).toBe(0);
  // `exvault` on the PATH, as npm install -g puts it there.
  const bin = path.join(sb.root, 'home', 'bin');
  fs.mkdirSync(bin);
  fs.symlinkSync(CLI, path.join(bin, 'exvault'));
  shellEnv = { ...sb.env, PATH: `${bin}:${path.dirname(process.execPath)}:/usr/bin:/bin` };
});
afterAll(() => {
  sb.assertNoCanary();
  sb.cleanup();
});

function inShell(shell: keyof typeof SCRIPT, line: string, env = shellEnv): string[] {
  const words = line.split(' ');
  const script = path.join(ROOT, SCRIPT[shell]);
  let r;
  if (shell === 'bash') {
    const arr = words.map((w) => `'${w}'`).join(' ');
    r = spawnSync('bash', ['-c', `source ${script}; COMP_WORDS=(${arr}); COMP_CWORD=${words.length - 1}; _exvault_complete; printf '%s\\n' "\${COMPREPLY[@]}"`], { env, encoding: 'utf8' });
  } else if (shell === 'zsh') {
    // compsys's builtins replaced by printers; words and CURRENT set as the completion system sets them.
    const arr = words.map((w) => `'${w}'`).join(' ');
    r = spawnSync('zsh', ['-f', '-c', `compdef() { : }; source ${script}; compadd() { shift; print -l -- "$@" }; _files() { print -- FILES }; words=(${arr}); CURRENT=${words.length}; _exvault`], { env, encoding: 'utf8' });
  } else {
    r = spawnSync('fish', ['--no-config', '-c', `source ${script}; complete -C '${line}'`], { env, encoding: 'utf8' });
  }
  return r.stdout.split('\n').map((l) => l.split('\t')[0]!).filter(Boolean);
}

it.each(Object.entries(SCRIPT))('completions/%s is what `exvault completion` prints today', async (shell, file) => {
  const r = await sb.run(['completion', shell]);
  expect(r.code).toBe(0);
  expect(r.stdout).toBe(fs.readFileSync(path.join(ROOT, file), 'utf8'));
});

describe.each(['bash', 'zsh', 'fish'] as const)('%s', (shell) => {
  const has = (line: string, ...want: string[]) => expect(inShell(shell, line)).toEqual(expect.arrayContaining(want));

  it('completes commands and subcommands', () => {
    has('vault ro', 'rotate', 'rollback');
    has('vault keychain ', 'enable', 'disable', 'status');
  });

  it('completes options and option values', () => {
    has('vault add x --ex', '--exchange', '--expires');
    has('vault add x --exchange ', 'okx', 'binance', 'coinbase-exchange');
    has('vault init --kdf ', 'interactive', 'moderate', 'sensitive');
  });

  it('completes entry and profile names when the vault opens through the keychain', () => {
    has('vault show ', 'okx-main');
    has('vault exec --profile ', 'grid');
  });

  it('completes nothing secret-dependent without a way to open the vault, without hanging', () => {
    const env = { ...shellEnv };
    delete (env as Record<string, string | undefined>).DBUS_SESSION_BUS_ADDRESS;
    const t0 = Date.now();
    const out = inShell(shell, 'vault show ', env);
    expect(out.filter((w) => w === 'okx-main')).toEqual([]);
    expect(Date.now() - t0).toBeLessThan(HANG_MS);
  });
});

it('file names where a file is expected (bash)', () => {
  const dir = path.join(sb.root, 'home');
  fs.writeFileSync(path.join(dir, 'tmpl-config.json'), '{}');
  const r = spawnSync('bash', ['-c', `cd ${dir}; source ${path.join(ROOT, SCRIPT.bash)}; COMP_WORDS=(vault inject -i tmpl); COMP_CWORD=3; _exvault_complete; printf '%s\\n' "\${COMPREPLY[@]}"`], { env: shellEnv, encoding: 'utf8' });
  expect(r.stdout.trim()).toBe('tmpl-config.json');
});
