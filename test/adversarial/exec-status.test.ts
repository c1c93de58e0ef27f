// Exit statuses pass through vault exec, masked (output piped through the wrapper) and
// unmasked (--no-mask), each run through the built CLI; four runs at a time. Every status
// 0..255 in the long run; at CI size the low ones, those around 126-143 (not found, not
// executable, 128+signal), the top ones and every 8th between: about a quarter.
import { spawn } from 'node:child_process';
import { BINANCE_JSON, CLI, Sandbox } from '../helpers/cli';
import { findCanary } from '../helpers/canary';
import { LONG } from '../helpers/adversarial';

const STATUSES = Array.from({ length: 256 }, (_, i) => i).filter((n) => LONG || n <= 16 || (n >= 120 && n <= 143) || n >= 248 || n % 8 === 0);

let sb: Sandbox;
let env: Record<string, string>;
const outputs: string[] = [];

beforeAll(async () => {
  sb = new Sandbox();
  await sb.init();
  env = { ...sb.env, EXVAULT_PASSPHRASE_FILE: sb.passFile };
  expect((await sb.run(['add', 'bot', '--exchange', 'binance', '--permissions', 'reading,spot'], { env, input: BINANCE_JSON })).code).toBe(0);
});
afterAll(() => {
  expect(findCanary(outputs.join('\n'))).toBeNull();
  sb.assertNoCanary();
  sb.cleanup();
});

function status(n: number, opts: string[]): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, 'exec', 'bot', ...opts, '--', 'sh', '-c', `echo "$BOT_API_SECRET"; exit ${n}`], { env, cwd: sb.root, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => out.push(d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      // Unmasked, the secret is printed in the clear on purpose; masked, it must not be.
      if (opts.length === 0) outputs.push(Buffer.concat(out).toString());
      resolve(code);
    });
  });
}

it.each([
  ['masked', []],
  ['unmasked', ['--no-mask']],
])('exit statuses 0..255 pass through, %s', async (_mode, opts) => {
  const got: number[] = [];
  for (let i = 0; i < STATUSES.length; i += 4) {
    got.push(...((await Promise.all(STATUSES.slice(i, i + 4).map((n) => status(n, opts as string[])))) as number[]));
  }
  expect(got).toEqual(STATUSES);
}, 900_000);
