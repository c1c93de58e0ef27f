// Where a command may write secrets in clear text (inject, export): a new file, or one that
// is already a private regular file, in a folder no other user controls; always written 0600
// (the temp file is created so), atomically, and the path is never touched after the rename.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UsageError } from '../errors';
import { sharedFolderProblem } from '../platform/folder-trust';
import { stdoutIsTerminal } from '../platform/terminal';
import { writeFileAtomic } from '../storage/atomic-write';
import { warn, writeStdout } from './render';

export interface TargetOptions {
  force?: boolean;
  reveal?: boolean;
  /** Accept a folder other users can write or own (the user asked, knowing the risk). */
  allowSharedDir?: boolean;
}

export function checkSecretTarget(file: string | undefined, opts: TargetOptions = {}): void {
  const { force = false, reveal = false } = opts;
  if (!file) {
    if (stdoutIsTerminal() && !reveal) throw new UsageError('refusing to print secrets to the terminal', ['write to a file with -o FILE']);
    return;
  }
  if (!opts.allowSharedDir) {
    const problem = sharedFolderProblem(path.dirname(path.resolve(file)));
    if (problem) {
      throw new UsageError(`refusing to write secrets into a folder other users control: ${problem}`, [
        'another user could replace the file, or what its name points to, as it is written',
        'write into a folder of your own (mode 700), or pass --allow-shared-dir to accept the risk',
      ]);
    }
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
  // The temp file is created 0600 before any byte is written; after the rename the name may
  // already point elsewhere (another user's symlink), so nothing acts on it again.
  for (const w of writeFileAtomic(file, Buffer.from(text), { what: file }).warnings) warn(w);
}
