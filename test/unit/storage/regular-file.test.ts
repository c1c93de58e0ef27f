// The one open helper for paths someone else may have chosen (storage/regular-file.ts): a FIFO
// is refused at once instead of blocking the open, a link is refused unless followed on
// purpose, a folder is refused, a missing file is null. Real files, a real FIFO.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openRegularFile } from '../../../src/storage/regular-file';
import { UsageError } from '../../../src/errors';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exvault-regular-'));
  fs.writeFileSync(path.join(dir, 'plain'), 'x', { mode: 0o600 });
  fs.symlinkSync(path.join(dir, 'plain'), path.join(dir, 'link'));
  fs.mkdirSync(path.join(dir, 'folder'));
  expect(spawnSync('mkfifo', [path.join(dir, 'fifo')]).status).toBe(0);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const open = (name: string, follow?: boolean) => openRegularFile(path.join(dir, name), fs.constants.O_RDONLY, 'the test file', { follow });

it('opens a regular file', () => {
  const f = open('plain')!;
  expect(f.st.isFile()).toBe(true);
  expect(fs.readFileSync(f.fd, 'utf8')).toBe('x');
  fs.closeSync(f.fd);
});

it('a FIFO with no writer is refused at once, not waited on', () => {
  expect(() => open('fifo')).toThrow(UsageError);
  expect(() => open('fifo')).toThrow(/the test file .*fifo is not a regular file; refusing to use it/);
});

it('a folder is refused; a missing file is null', () => {
  expect(() => open('folder')).toThrow(/is not a regular file/);
  expect(open('missing')).toBeNull();
});

it('a link is refused unless followed on purpose', () => {
  expect(() => open('link')).toThrow(/is a symbolic link; refusing to follow it/);
  const f = open('link', true)!;
  expect(f.st.isFile()).toBe(true);
  fs.closeSync(f.fd);
});
