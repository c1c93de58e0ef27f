// Every exit status 0..255 passes through vault exec, masked (output piped through the
// wrapper) and unmasked (--no-mask), each run through the built CLI; four runs at a time.
import { spawn } from 'node:child_process';
import { BINANCE_JSON, CLI, Sandbox } from '../helpers/cli';
import { findCanary } from '../helpers/canary';

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
])('every exit status 0..255 passes through, %s', async (_mode, opts) => {
  const got: number[] = [];
  for (let n = 0; n < 256; n += 4) {
    got.push(...((await Promise.all([0, 1, 2, 3].map((i) => status(n + i, opts as string[])))) as number[]));
  }
  expect(got).toEqual(Array.from({ length: 256 }, (_, i) => i));
}, 900_000);
