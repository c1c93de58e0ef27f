// A commit's vault.exv larger than the vault's own limit is refused before git hands it over
// (a remote could otherwise make a host load gigabytes); smaller ones are read as stored.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EXIT, SyncError } from '../../../src/errors';
import { SyncRepo } from '../../../src/platform/git-sync';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exvault-git-size-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

it('refuses a file over the limit by its size, naming the commit; reads one within it', () => {
  const repo = new SyncRepo(path.join(dir, 'r.git'), 64);
  repo.init();
  const small = repo.commit(new Uint8Array(64).fill(7), [], 'small');
  const big = repo.commit(new Uint8Array(65).fill(7), [small], 'big');
  // A fresh repository object: nothing cached from the commits above.
  const reader = new SyncRepo(path.join(dir, 'r.git'), 64);
  expect(reader.fileAt(small)).toEqual(new Uint8Array(64).fill(7));
  let err: unknown;
  try {
    reader.fileAt(big);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(SyncError);
  expect((err as SyncError).exitCode).toBe(EXIT.sync);
  expect((err as SyncError).message).toContain(`commit ${big.slice(0, 12)}) is too large (65 bytes`);
});
