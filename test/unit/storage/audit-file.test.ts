import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { makeRecord, MacFn, walkChain } from '../../../src/domain/audit';
import { appendLogLine, readChainTail, readLogLines } from '../../../src/storage/audit-file';
import { hmac } from '../../../src/crypto/mac';

const key = new Uint8Array(32).fill(7);
const macFn: MacFn = (...parts) => hmac(key, ...parts).toString('hex');

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
  const walk = walkChain(readLogLines(file), macFn);
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
  expect(walkChain(readLogLines(file), macFn).state).toEqual(tail);
});

it('an empty or missing log starts the chain', () => {
  expect(readChainTail(path.join(dir, 'none'))).toMatchObject({ seq: 0, authSeq: 0, pending: [] });
});
