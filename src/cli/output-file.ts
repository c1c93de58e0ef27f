// Where a command may write secrets in clear text (inject, export): a new file, or one that
// is already a private regular file; always written 0600, atomically.
import * as fs from 'node:fs';
import { UsageError } from '../errors';
import { stdoutIsTerminal } from '../platform/terminal';
import { writeFileAtomic } from '../storage/atomic-write';
import { warn, writeStdout } from './render';

export function checkSecretTarget(file: string | undefined, force: boolean, reveal = false): void {
  if (!file) {
    if (stdoutIsTerminal() && !reveal) throw new UsageError('refusing to print secrets to the terminal', ['write to a file with -o FILE']);
    return;
  }
  const st = fs.lstatSync(file, { throwIfNoEntry: false });
  if (!st) return;
  if (st.isSymbolicLink() || !st.isFile()) throw new UsageError(`${file} is not a regular file; refusing to write secrets there`);
  if ((st.mode & 0o777) !== 0o600 && !force) {
    throw new UsageError(`${file} exists with mode ${(st.mode & 0o777).toString(8)}, not 600`, ['others may have read its earlier contents; pass --force to replace it anyway']);
  }
}

export function writeSecretOutput(file: string | undefined, text: string): void {
  if (!file) {
    writeStdout(text);
    return;
  }
  for (const w of writeFileAtomic(file, Buffer.from(text), { what: file }).warnings) warn(w);
  fs.chmodSync(file, 0o600);
}
