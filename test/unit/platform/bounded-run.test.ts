// Commands we run for the user (hooks, restarts): a process they leave holding their output
// does not hold us, output is bounded, and what is shown has no terminal controls.
import { runBounded } from '../../../src/platform/bounded-run';
import { runHook } from '../../../src/platform/hook';
import { runRestart } from '../../../src/platform/restart';
import { Masker, withoutControls } from '../../../src/domain/masker';

function captureStderr(): { text: () => string; restore: () => void } {
  const written: string[] = [];
  const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(Buffer.from(chunk).toString());
    return true;
  });
  return { text: () => written.join(''), restore: () => spy.mockRestore() };
}

it('ends once the command has exited, even when a process it started in a new session keeps its output open', async () => {
  // setsid: out of the command's process group, so only the drain limit lets us go.
  const r = await runBounded('sh', ['-c', 'setsid sleep 60 & echo started; exit 3'], { env: process.env, timeoutMs: 120_000 });
  expect(r.status).toBe(3);
  expect(r.timedOut).toBe(false);
  expect(r.stdout.toString()).toBe('started\n');
});

it('keeps the first MiB of each stream and says it was cut', async () => {
  const r = await runBounded('sh', ['-c', 'head -c 3000000 /dev/zero | tr "\\0" x'], { env: process.env, timeoutMs: 120_000 });
  expect(r.stdout.length).toBe(1024 * 1024);
  expect(r.stdoutCut).toBe(true);
  expect(r.stderrCut).toBe(false);
});

it('a hook that hides a key behind colour codes or a carriage return still has it masked', async () => {
  const key = 'hookKEY0123456789abcdefXYZ';
  const err = captureStderr();
  try {
    // The key as the hook prints it: split by an SGR sequence, then by a carriage return.
    const r = await runHook(`printf 'a ${key.slice(0, 7)}\\033[31m${key.slice(7)}\\033[0m\\nb ${key.slice(0, 5)}\\r${key.slice(5)}' >&2`, '', new Masker([{ name: 'apiKey', value: key }]));
    expect(r.status).toBe(0);
  } finally {
    err.restore();
  }
  expect(err.text()).toBe('a <concealed:apiKey>\nb <concealed:apiKey>\n');
});

it('the restart keeps the unlock variables that name files, and no other EXVAULT_ variable', async () => {
  process.env.EXVAULT_PASSPHRASE_FILE = '/some/pass';
  process.env.EXVAULT_EXEC = '1';
  const err = captureStderr();
  try {
    await runRestart(['sh', '-c', 'env | grep ^EXVAULT_ | sort'], new Masker([]));
  } finally {
    err.restore();
    delete process.env.EXVAULT_PASSPHRASE_FILE;
    delete process.env.EXVAULT_EXEC;
  }
  expect(err.text()).toBe('EXVAULT_PASSPHRASE_FILE=/some/pass\n');
});

it('withoutControls leaves plain text, tabs and newlines, and removes escape sequences', () => {
  const plain = Buffer.from('plain\ttext\nnext line ü\n');
  expect(withoutControls(plain)).toBe(plain);
  expect(withoutControls(Buffer.from('\x1b]0;title\x07a\x1b[1;31mb\x1b[0mc\rd\x00e\x7f')).toString()).toBe('abcde');
});
