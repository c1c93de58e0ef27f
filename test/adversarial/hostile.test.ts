// Hostile neighbours: a process of the same user the vault launched (a bot), or a second OS
// user made by the test, acting on what the vault shares with them. Each case is an attack
// that worked on exvault 0.1.0.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BINANCE_JSON, Sandbox } from '../helpers/cli';
import { canCreateUsers, createUser, OsUser, removeUser } from '../helpers/os-user';

const BUNDLE = path.resolve(__dirname, '../../dist/cli.js');
const FIXTURES = path.resolve(__dirname, '../fixtures');

let sb: Sandbox;
let env: Record<string, string>;
let other: OsUser;

beforeAll(async () => {
  if (!canCreateUsers()) throw new Error('the hostile-neighbour suite needs root and useradd (it makes a second OS user)');
  other = createUser();
  sb = new Sandbox();
  await sb.init();
  env = { EXVAULT_PASSPHRASE_FILE: sb.passFile };
  expect((await sb.run(['add', 'bot', '--exchange', 'binance'], { env, input: BINANCE_JSON })).code).toBe(0);
}, 120_000);
afterAll(() => {
  if (other) removeUser(other);
  sb?.assertNoCanary();
  sb?.cleanup();
});

describe('code that runs inside vault', () => {
  it('a code cache planted in the user cache folder by a launched bot is never used', async () => {
    const marker = path.join(sb.root, 'tmp', 'planted-code-ran');
    const plant = await sb.run(['exec', 'bot', '--', process.execPath, path.join(FIXTURES, 'plant-code-cache.js'), BUNDLE, sb.env.XDG_CACHE_HOME!, marker], { env });
    expect(plant.code).toBe(0);
    expect(fs.readdirSync(path.join(sb.env.XDG_CACHE_HOME!, 'exvault'))).toHaveLength(1);
    const r = await sb.run(['list', '--json'], { env });
    expect(fs.existsSync(marker)).toBe(false);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).map((e: { name: string }) => e.name)).toEqual(['bot']);
  });
});
