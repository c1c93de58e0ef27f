// Every variable on the refused-targets list is refused as a secret's name by every route a
// name can come from: --map, an env file, a saved profile, an entry's own --env mapping
// (through the CLI, a sample of the names per route; all of them with EXVAULT_LONG=1).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OKX_JSON, Sandbox } from '../helpers/cli';
import { envNameProblem, REFUSED_TARGETS } from '../../src/domain/env-names';

const CHILD = path.resolve(__dirname, '../fixtures/child.js');

// Written out here, not only read from the list, so dropping a name from the list fails the test.
const REQUIRED = [
  'LD_PRELOAD', 'LD_LIBRARY_PATH', 'LD_AUDIT', 'LD_BIND_NOW', 'LD_DEBUG_OUTPUT', 'LD_PROFILE', 'DYLD_INSERT_LIBRARIES',
  'PATH', 'IFS', 'BASH_ENV', 'ENV', 'NODE_OPTIONS', 'NODE_PATH', 'PYTHONPATH', 'PYTHONSTARTUP', 'PYTHONHOME',
  'PERL5OPT', 'PERL5LIB', 'RUBYOPT', 'RUBYLIB', 'JAVA_TOOL_OPTIONS', '_JAVA_OPTIONS', 'JDK_JAVA_OPTIONS',
  'GIT_SSH_COMMAND', 'GIT_EXEC_PATH', 'GCONV_PATH',
  // Found by the red team.
  'PERLLIB', 'PERL5DB', 'GLIBC_TUNABLES', 'LUA_INIT', 'LUA_INIT_5_4', 'OPENSSL_CONF', 'OPENSSL_ENGINES',
  'PYTHONBREAKPOINT', 'PYTHONINSPECT', 'PYTHONWARNINGS', 'PYTHONUSERBASE', 'GIT_CONFIG_PARAMETERS',
  'GIT_CONFIG_COUNT', 'GIT_CONFIG_KEY_0', 'GIT_CONFIG_VALUE_0', 'GIT_PROXY_COMMAND', 'GIT_ASKPASS', 'SSH_ASKPASS',
  'PS4', 'SHELLOPTS', 'BASHOPTS', 'PROMPT_COMMAND', 'ZDOTDIR', 'LOCPATH', 'HOSTALIASES', 'TMPDIR', 'EDITOR',
  'PAGER', 'BROWSER', 'PHPRC', 'CLASSPATH', 'NODE_REPL_EXTERNAL_MODULE', 'NODE_TLS_REJECT_UNAUTHORIZED',
  'HTTPS_PROXY', 'HTTP_PROXY', 'ALL_PROXY', 'NO_PROXY',
];
const NAMES = [...new Set([...REQUIRED, ...REFUSED_TARGETS.map((n) => n.replace(/\*$/, 'X'))])];
// Through the CLI: every name with EXVAULT_LONG=1, by default every 6th name of the list on
// each route (every route calls the one check, which the first test runs on every name).
const CLI_NAMES = process.env.EXVAULT_LONG === '1' ? NAMES : NAMES.filter((_, i) => i % 6 === 0);

let sb: Sandbox;
let env: Record<string, string>;
const marker = () => path.join(sb.root, 'tmp', 'must-not-exist');

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

// Several at a time: each is a short read-only run.
async function eachName(check: (name: string) => Promise<void>): Promise<void> {
  for (let i = 0; i < CLI_NAMES.length; i += 4) await Promise.all(CLI_NAMES.slice(i, i + 4).map(check));
}

const refused = (name: string) => new RegExp(`${name} cannot receive a secret`);

it('every listed name is refused by the check every route uses', () => {
  for (const name of NAMES) expect({ name, problem: envNameProblem(name) }).toEqual({ name, problem: `${name} cannot receive a secret: it changes how programs run` });
});

it('is documented in the README from the one list', () => {
  const readme = fs.readFileSync(path.resolve(__dirname, '../../README.md'), 'utf8');
  for (const n of REFUSED_TARGETS) expect(readme).toContain(`\`${n}\``);
});

it('--map refuses every listed name, before anything runs', async () => {
  await eachName(async (name) => {
    const r = await sb.run(['exec', '--map', `${name}=okx-main.apiKey`, '--', process.execPath, CHILD, 'env', marker()], { env });
    expect({ name, code: r.code }).toEqual({ name, code: 2 });
    expect(r.stderr).toMatch(refused(name));
  });
  expect(fs.existsSync(marker())).toBe(false);
}, 900_000); // a hang bound: every listed name through the CLI, slow only on a loaded machine

it('an env file refuses every listed name', async () => {
  await eachName(async (name) => {
    const f = sb.secretFile(`t-${name}.env`, `${name}=vault://okx-main/apiSecret\n`);
    const r = await sb.run(['exec', '--env-from', f, '--', process.execPath, CHILD, 'env', marker()], { env });
    expect({ name, code: r.code }).toEqual({ name, code: 2 });
    expect(r.stderr).toMatch(refused(name));
  });
  expect(fs.existsSync(marker())).toBe(false);
}, 900_000); // a hang bound: every listed name through the CLI, slow only on a loaded machine

it('a profile and an entry mapping refuse every listed name', async () => {
  await eachName(async (name) => {
    const p = await sb.run(['profile', 'set', `p-${name.toLowerCase().replace(/^_/, 'u')}`, 'okx-main', '--map', `${name}=okx-main.apiKey`], { env });
    expect({ name, code: p.code }).toEqual({ name, code: 2 });
    expect(p.stderr).toMatch(refused(name));
  });
  // Entry mappings are written one at a time (each run takes the vault's lock).
  for (const name of CLI_NAMES) {
    const e = await sb.run(['edit', 'okx-main', '--env', `apiKey=${name}`], { env });
    expect({ name, code: e.code }).toEqual({ name, code: 2 });
    expect(e.stderr).toMatch(refused(name));
  }
  const list = await sb.run(['profile', 'list', '--json'], { env });
  expect(JSON.parse(list.stdout)).toEqual([]);
}, 900_000); // a hang bound: every listed name through the CLI, slow only on a loaded machine
