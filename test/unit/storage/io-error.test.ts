import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EXIT, StorageError, UsageError } from '../../../src/errors';
import { writeFileAtomic } from '../../../src/storage/atomic-write';
import { describeErrno, storageError } from '../../../src/storage/io-error';

const sysErr = (code: string | undefined, errno: number) => Object.assign(new Error('raw library text'), { code, errno });

describe('storage errors', () => {
  it.each([
    ['ENOSPC', -28, 'no space left on device'],
    ['EROFS', -30, 'read-only file system'],
    ['EIO', -5, 'input/output error'],
    ['EACCES', -13, 'permission denied'],
    ['EMFILE', -24, 'too many open files'],
    // libuv has no name for EDQUOT: Node reports "Unknown system error -122".
    ['Unknown system error -122', -122, 'disk quota exceeded'],
  ])('%s (errno %s) reads "%s" and exits 9, never with the raw text', (code, errno, words) => {
    const e = storageError(sysErr(code, errno), 'the vault /v', 'nothing was changed');
    expect(e).toBeInstanceOf(StorageError);
    expect(e.exitCode).toBe(EXIT.storage);
    expect(e.message).toBe(`could not write the vault /v (${words}): nothing was changed`);
    expect(e.hints.length).toBe(1);
    expect(describeErrno(sysErr(code, errno))).toBe(words);
  });

  it('passes a VaultError through unchanged', () => {
    const u = new UsageError('x');
    expect(storageError(u, 'a', 'b')).toBe(u);
  });

  it('a write into a folder that is gone fails as a storage error and leaves nothing', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exvault-ioerr-'));
    try {
      expect(() => writeFileAtomic(path.join(dir, 'missing', 'f'), Buffer.from('x'))).toThrow(StorageError);
      expect(fs.readdirSync(dir)).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
