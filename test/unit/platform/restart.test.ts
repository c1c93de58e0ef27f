// The restart step's runner: a timeout stops the command and what it started (its process
// group), and its output is masked.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runRestart } from '../../../src/platform/restart';
import { Masker } from '../../../src/domain/masker';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

it('a timed-out restart is killed with the processes it started', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exv-restart-'));
  try {
    const pidFile = path.join(dir, 'grandchild');
    // A script that starts a long child of its own, then waits: the script alone killed would
    // leave the child running (and holding its output pipe).
    const r = await runRestart(['sh', '-c', `sleep 300 & echo $! > ${pidFile}; wait`], new Masker([]), 500);
    expect(r.timedOut).toBe(true);
    const grandchild = Number(fs.readFileSync(pidFile, 'utf8'));
    // SIGKILL is delivered at once, but reaping may lag on a busy machine.
    for (let i = 0; i < 100 && alive(grandchild); i++) await new Promise((res) => setTimeout(res, 50));
    expect(alive(grandchild)).toBe(false);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

it('its output, on our standard error, is masked', async () => {
  // A made-up key, not the canary: it is on this test's command line.
  const key = 'restartKEY0123456789abcdefXYZ';
  const written: string[] = [];
  const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(Buffer.from(chunk).toString());
    return true;
  });
  try {
    const r = await runRestart(['sh', '-c', `echo "key=${key}"; echo "again ${key}" >&2`], new Masker([{ name: 'apiKey', value: key }]));
    expect(r.status).toBe(0);
  } finally {
    spy.mockRestore();
  }
  const all = written.join('');
  expect(all).toContain('key=<concealed:apiKey>');
  expect(all).toContain('again <concealed:apiKey>');
  expect(all).not.toContain(key);
});
