// Run records: a live process is known by its pid AND its start time, so a record whose pid
// the kernel gave to another process does not count; dead runs' records are cleared; the
// folder must be private; records hold names and version numbers only.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isAlive, liveRunRecords, ownStart, runsDir, writeRunRecord } from '../../../src/platform/run-records';

let dir: string;
let vault: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exvault-runs-'));
  vault = path.join(dir, 'vault.exv');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const record = (pid: number, start: string | null) => JSON.stringify({ pid, start, program: 'bot', since: '2026-12-02T00:00:00.000Z', entries: [{ entry: 'bn', version: 3 }] });

it('this process is alive under its own start time, not under another one (a reused pid)', () => {
  const start = ownStart();
  expect(start).toMatch(/^\d+$/);
  expect(isAlive(process.pid, start)).toBe(true);
  expect(isAlive(process.pid, String(Number(start) + 1))).toBe(false);
});

it('writes its record privately, lists it while alive, removes it at the end', () => {
  const r = writeRunRecord(vault, { program: 'bot', since: '2026-12-02T00:00:00.000Z', entries: [{ entry: 'bn', version: 2 }] });
  expect(fs.statSync(runsDir(vault)).mode & 0o777).toBe(0o700);
  expect(fs.statSync(r.file).mode & 0o777).toBe(0o600);
  expect(liveRunRecords(vault)).toEqual([{ pid: process.pid, start: ownStart(), program: 'bot', since: '2026-12-02T00:00:00.000Z', entries: [{ entry: 'bn', version: 2 }] }]);
  r.remove();
  r.remove();
  expect(liveRunRecords(vault)).toEqual([]);
});

it("a record of a dead process, or of a live pid with another start time, is not alive and is cleared", async () => {
  fs.mkdirSync(runsDir(vault), { mode: 0o700 });
  const child = spawn('true');
  await new Promise((r) => child.on('exit', r));
  const deadFile = path.join(runsDir(vault), `${child.pid}-1.json`);
  fs.writeFileSync(deadFile, record(child.pid!, '1'));
  const reusedFile = path.join(runsDir(vault), `${process.pid}-1.json`);
  fs.writeFileSync(reusedFile, record(process.pid, '1'));
  const mine = path.join(runsDir(vault), `${process.pid}-${ownStart()}.json`);
  fs.writeFileSync(mine, record(process.pid, ownStart()));
  expect(liveRunRecords(vault).map((r) => r.pid)).toEqual([process.pid]);
  expect(fs.readdirSync(runsDir(vault))).toEqual([path.basename(mine)]);
});

it('ignores files that are not records (wrong name, bad JSON, a link) and leaves them alone', () => {
  fs.mkdirSync(runsDir(vault), { mode: 0o700 });
  fs.writeFileSync(path.join(runsDir(vault), 'notes.txt'), 'x');
  fs.writeFileSync(path.join(runsDir(vault), `${process.pid}-${ownStart()}.json`), '{"pid":');
  fs.symlinkSync('/etc/hostname', path.join(runsDir(vault), `1-${ownStart()}.json`));
  expect(liveRunRecords(vault)).toEqual([]);
  expect(fs.readdirSync(runsDir(vault)).sort()).toHaveLength(3);
});

it('refuses a folder others can read', () => {
  fs.mkdirSync(runsDir(vault), { mode: 0o755 });
  fs.chmodSync(runsDir(vault), 0o755);
  expect(() => writeRunRecord(vault, { program: 'bot', since: 'x', entries: [] })).toThrow(/is not a private folder of this user: this run is not tracked/);
});

it('a FIFO among the records is skipped without blocking the reader (check, show and rotate read them)', () => {
  const r = writeRunRecord(vault, { program: 'bot', since: '2026-12-02T00:00:00.000Z', entries: [{ entry: 'bn', version: 2 }] });
  const fifo = path.join(runsDir(vault), `${process.pid}-1.json`);
  expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
  // Without O_NONBLOCK the open of the FIFO waits for a writer forever: this call would not return.
  expect(liveRunRecords(vault).map((x) => x.entries)).toEqual([[{ entry: 'bn', version: 2 }]]);
  r.remove();
});
