// Prompt flows in a real terminal (tmux): passphrases and secret fields are read with echo
// off and never appear on screen; confirmations work; get refuses to print to a terminal.
import { CLI, FAST_KDF, Sandbox } from '../helpers/cli';
import { CANARY, findCanary } from '../helpers/canary';
import { Terminal } from '../helpers/tmux';

let sb: Sandbox;
let term: Terminal | undefined;
const screens: string[] = [];

beforeAll(() => {
  sb = new Sandbox();
});
afterEach(() => {
  if (term) screens.push(term.screen());
  term?.close();
  term = undefined;
});
afterAll(() => {
  expect(findCanary(screens.join('\n'))).toBeNull();
  sb.assertNoCanary();
  sb.cleanup();
});

function open(args: string[]): Terminal {
  term = new Terminal(sb.env);
  term.start([process.execPath, CLI, ...args], sb.root);
  return term;
}

it('init asks for the passphrase twice with echo off', async () => {
  const t = open(['init', ...FAST_KDF]);
  await t.waitFor(/New vault passphrase:/);
  t.type(CANARY.vaultPassphrase);
  await t.waitFor(/Repeat it:/);
  t.type(CANARY.vaultPassphrase);
  expect(await t.exitCode()).toBe(0);
  const s = t.screen();
  expect(s).toContain('created ');
  expect(s).not.toContain(CANARY.vaultPassphrase);
});

it('init refuses two different passphrases', async () => {
  const t = open(['--vault', `${sb.root}/home/other.exv`, 'init', ...FAST_KDF]);
  await t.waitFor(/New vault passphrase:/);
  t.type('first passphrase typed here');
  await t.waitFor(/Repeat it:/);
  t.type('second passphrase typed here');
  expect(await t.exitCode()).toBe(2);
  expect(t.screen()).toContain('the two passphrases differ');
});

it('add asks for each field of the exchange with echo off', async () => {
  const t = open(['add', 'okx-main', '--exchange', 'okx', '--permissions', 'read,trade']);
  await t.waitFor(/Vault passphrase:/);
  t.type(CANARY.vaultPassphrase);
  await t.waitFor(/API key:/);
  t.type(CANARY.apiKey);
  await t.waitFor(/API secret:/);
  t.type(CANARY.apiSecret);
  await t.waitFor(/API passphrase:/);
  t.type(CANARY.passphrase);
  expect(await t.exitCode()).toBe(0);
  const s = t.screen();
  expect(s).toContain('added okx-main (apiKey, apiSecret, passphrase)');
  expect(findCanary(s)).toBeNull();
  // The values typed are the ones stored.
  const got = await sb.vaultCmd(['get', 'okx-main', 'apiSecret'], { reveals: true });
  expect(got.stdout).toBe(`${CANARY.apiSecret}\n`);
});

it('add without --exchange or --permissions asks for them with a select and a checkbox, the key before its permissions', async () => {
  const t = open(['add', 'picked']);
  await t.waitFor(/Exchange/);
  t.key('Down');
  t.key('Down');
  t.type('');
  await t.waitFor(/Vault passphrase:/);
  t.type(CANARY.vaultPassphrase);
  for (const [prompt, value] of [[/API key:/, 'k'.repeat(20)], [/API secret:/, 's'.repeat(20)], [/API passphrase:/, 'p'.repeat(12)]] as const) {
    await t.waitFor(prompt);
    t.type(value);
  }
  await t.waitFor(/Permissions of this key on OKX/);
  t.type(' ', false);
  t.key('Down');
  t.type(' ', false);
  t.type('');
  expect(await t.exitCode()).toBe(0);
  const shown = JSON.parse((await sb.vaultCmd(['show', 'picked', '--json'])).stdout);
  expect(shown).toMatchObject({ exchange: 'okx', permissions: ['read', 'trade'] });
  expect((await sb.vaultCmd(['rm', 'picked', '--yes'])).code).toBe(0);
});

const CDP_PEM = '-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBpZxq1b3rR6ZYv0mXh8dXwqk3u5p0eL1xqVnXb0zYpOoAoGCCqGSM49\nAwEHoUQDQgAEq7mZ3b8nV+K2fJ0x9Lr4w1yPz/5sQe6v7Wm0d1hXcT2uYg8kFzNa\n-----END EC PRIVATE KEY-----\n';

it('add --exchange coinbase takes a pasted PEM key whole: nothing reaches the shell or the screen', async () => {
  const t = open(['add', 'cb-pasted', '--exchange', 'coinbase', '--permissions', 'view']);
  await t.waitFor(/Vault passphrase:/);
  t.type(CANARY.vaultPassphrase);
  await t.waitFor(/API key name:/);
  t.type('organizations/0a1b/apiKeys/2c3d');
  await t.waitFor(/private key \(PEM\): paste it/);
  // A paste: every line at once, as a terminal delivers it (lines end in CR).
  t.paste(CDP_PEM);
  expect(await t.exitCode()).toBe(0);
  const s = t.screen();
  expect(s).toContain('added cb-pasted (apiKey, privateKey)');
  for (const line of CDP_PEM.split('\n').slice(1, 3)) expect(s).not.toContain(line);
  const got = await sb.vaultCmd(['get', 'cb-pasted', 'privateKey', '--raw'], { reveals: true });
  expect(got.stdout).toBe(CDP_PEM);
});

it('add --exchange coinbase takes the path of the key file at the private key prompt', async () => {
  const file = sb.secretFile('cdp.pem', CDP_PEM);
  const t = open(['add', 'cb-file', '--exchange', 'coinbase', '--permissions', 'view']);
  await t.waitFor(/Vault passphrase:/);
  t.type(CANARY.vaultPassphrase);
  await t.waitFor(/API key name:/);
  t.type('organizations/0a1b/apiKeys/2c3d');
  await t.waitFor(/private key \(PEM\): paste it/);
  t.type(file);
  expect(await t.exitCode()).toBe(0);
  const got = await sb.vaultCmd(['get', 'cb-file', 'privateKey', '--raw'], { reveals: true });
  expect(got.stdout).toBe(CDP_PEM);
});

it('colour on a terminal only, and never with NO_COLOR or --no-color', async () => {
  const colour = /\u001b\[3[1-3]m/;
  let t = open(['--passphrase-file', sb.passFile, 'doctor']);
  await t.exitCode();
  expect(t.screen(true)).toMatch(colour);
  t.close();
  t = open(['--passphrase-file', sb.passFile, '--no-color', 'doctor']);
  await t.exitCode();
  expect(t.screen(true)).not.toMatch(colour);
  t.close();
  term = new Terminal({ ...sb.env, NO_COLOR: '1' });
  term.start([process.execPath, CLI, '--passphrase-file', sb.passFile, 'doctor'], sb.root);
  await term.exitCode();
  expect(term.screen(true)).not.toMatch(colour);
  // Not a terminal: plain text.
  expect((await sb.vaultCmd(['doctor'])).stdout).not.toMatch(colour);
});

it('a spinner turns while Argon2id runs on a terminal, and is gone afterwards', async () => {
  const slow = `${sb.root}/home/slow.exv`;
  expect((await sb.vaultCmd(['--vault', slow, 'init', '--kdf', 'sensitive'])).code).toBe(0);
  const t = open(['--vault', slow, 'list']);
  await t.waitFor(/Vault passphrase:/);
  t.type(CANARY.vaultPassphrase);
  const frame = async () => /([\u2800-\u28ff]) Unlocking the vault\.\.\./.exec(await t.waitFor(/Unlocking the vault/))?.[1];
  const seen = new Set<string | undefined>();
  for (let i = 0; i < 6; i++) {
    seen.add(await frame());
    await new Promise((r) => setTimeout(r, 120));
  }
  expect(seen.size).toBeGreaterThan(1);
  // A 1 GiB derivation: minutes on a loaded machine; this bounds a hang, not the speed.
  expect(await t.exitCode(180_000)).toBe(0);
  expect(t.screen()).not.toContain('Unlocking the vault');
  // Without a terminal: no spinner, no message.
  expect((await sb.vaultCmd(['list'])).stderr).not.toContain('Unlocking');
  // Two 1 GiB derivations (init, then the unlock): a bound for a hang, not a speed limit; a
  // busy 2-core machine took over 60 s.
}, 240_000);

it('export refuses to write keys to the terminal', async () => {
  const t = open(['--passphrase-file', sb.passFile, 'export', '--all', '--yes']);
  expect(await t.exitCode()).toBe(2);
  expect(t.screen()).toContain('refusing to print secrets to the terminal');
});

it('a wrong passphrase at the prompt gives exit 3', async () => {
  const t = open(['list']);
  await t.waitFor(/Vault passphrase:/);
  t.type('this is not it');
  expect(await t.exitCode()).toBe(3);
});

it('get refuses to print a secret to the terminal without --reveal, before asking anything', async () => {
  const t = open(['get', 'okx-main', 'apiKey']);
  expect(await t.exitCode()).toBe(2);
  expect(t.screen()).toContain('refusing to print a secret to the terminal');
});

it('get --reveal prints it after the passphrase', async () => {
  const t = open(['get', 'okx-main', 'apiKey', '--reveal']);
  await t.waitFor(/Vault passphrase:/);
  t.type(CANARY.vaultPassphrase);
  expect(await t.exitCode()).toBe(0);
  // This screen reveals on purpose: checked here, then left out of the canary check.
  expect(t.screen()).toContain(CANARY.apiKey);
  t.close();
  term = undefined;
});

it('Ctrl-C at a prompt cancels cleanly with exit 130', async () => {
  const t = open(['list']);
  await t.waitFor(/Vault passphrase:/);
  t.key('C-c');
  expect(await t.exitCode()).toBe(130);
  expect(t.screen()).toContain('vault: error: cancelled');
});

it('rm asks for confirmation; "n" keeps the entry, "y" removes it', async () => {
  let t = open(['--passphrase-file', sb.passFile, 'rm', 'okx-main']);
  await t.waitFor(/Delete okx-main\?/);
  t.type('n');
  expect(await t.exitCode()).toBe(130);
  t.close();
  expect((await sb.vaultCmd(['show', 'okx-main'])).code).toBe(0);
  t = open(['--passphrase-file', sb.passFile, 'rm', 'okx-main']);
  await t.waitFor(/Delete okx-main\?/);
  t.type('y');
  expect(await t.exitCode()).toBe(0);
  expect((await sb.vaultCmd(['show', 'okx-main'])).code).toBe(4);
});
