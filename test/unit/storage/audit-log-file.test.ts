import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AuditMac, makeRecord, MacFn, walkChain } from '../../../src/domain/audit-chain';
import { appendLogLine, readChainTail, readLogLines } from '../../../src/storage/audit-log-file';
import { hmac, macEquals } from '../../../src/crypto/mac';

const key = new Uint8Array(32).fill(7);
const macFn: MacFn = (...parts) => hmac(key, ...parts).toString('hex');
const auditMac: AuditMac = { sign: macFn, matches: (mac, ...parts) => macEquals(macFn(...parts), mac) };

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exvault-audit-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Appends n records through the tail reader, each failed unlock every `every`-th. */
function build(file: string, n: number, every: number) {
  for (let i = 1; i <= n; i++) {
    const state = readChainTail(file);
    const unauth = i % every === 0;
    const { line } = makeRecord(unauth ? { cmd: 'unlock-failed' } : { cmd: 'exec', program: 'p'.repeat(i % 300), entries: [{ entry: `e${i}`, fields: ['apiKey'] }] }, state, unauth ? null : macFn, new Date(), 0, 1);
    appendLogLine(file, line);
  }
}

it('the tail reader agrees with a full walk, across 64 KiB chunk boundaries', () => {
  const file = path.join(dir, 'v.audit');
  build(file, 900, 7);
  expect(fs.statSync(file).size).toBeGreaterThan(3 * 64 * 1024);
  const walk = walkChain(readLogLines(file), auditMac);
  expect(walk.problem).toBeNull();
  expect(readChainTail(file)).toEqual(walk.state);
});

it('a long run of failed unlocks at the end, longer than a chunk, is all pending', () => {
  const file = path.join(dir, 'v.audit');
  build(file, 3, 100);
  for (let i = 0; i < 800; i++) {
    const { line } = makeRecord({ cmd: 'unlock-failed' }, readChainTail(file), null, new Date(), 0, 1);
    appendLogLine(file, line);
  }
  const tail = readChainTail(file);
  expect(tail).toMatchObject({ seq: 803, authSeq: 3 });
  expect(tail.pending).toHaveLength(800);
  expect(walkChain(readLogLines(file), auditMac).state).toEqual(tail);
});

it('an empty or missing log starts the chain', () => {
  expect(readChainTail(path.join(dir, 'none'))).toMatchObject({ seq: 0, authSeq: 0, pending: [] });
});

it('a failed unlock dated after the record that covers it: the cover passes only when it noted that record as forged; otherwise the forged line is named, not the cover', () => {
  const key = Buffer.alloc(32, 7);
  const mac: MacFn = (...parts) => hmac(key, ...parts).toString('hex');
  const check: AuditMac = { sign: mac, matches: (m, ...parts) => macEquals(mac(...parts), m) };
  const build = (coverResult: string) => {
    const first = makeRecord({ cmd: 'get' }, { seq: 0, authSeq: 0, mac: '0'.repeat(64), pending: [] }, mac, new Date('2026-01-01T00:00:00Z'), 0, 1);
    const forged = JSON.stringify({ cmd: 'unlock-failed', mac: null, pid: 1, seq: 2, time: '2099-01-01T00:00:00.000Z', uid: 0 });
    const cover = makeRecord({ cmd: 'chain', result: coverResult }, { seq: 2, authSeq: 1, mac: first.record.mac!, pending: [forged] }, mac, new Date('2026-01-02T00:00:00Z'), 0, 1);
    return [first.line, forged, cover.line];
  };
  const noted = walkChain(build('0 failed unlocks; forged (dated in the future): seq 2'), check);
  expect(noted.problem).toBeNull();
  expect(noted.forged).toEqual([{ line: 2, seq: 2, time: '2099-01-01T00:00:00.000Z' }]);
  const silent = walkChain(build('1 failed unlock'), check);
  expect(silent.problem).toEqual({ line: 2, message: 'is a failed unlock dated after the record that covers it (line 3): forged, or the clock went back' });
});

it('MACs compare in constant time over equal lengths, and never match across lengths or types', () => {
  const a = 'ab'.repeat(32);
  expect(macEquals(a, `${a}`)).toBe(true);
  expect(macEquals(a, `${a.slice(0, -1)}c`)).toBe(false);
  expect(macEquals(a, a.slice(0, -2))).toBe(false);
  expect(macEquals(a, null as unknown as string)).toBe(false);
});
