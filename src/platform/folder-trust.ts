// Whether a folder is the user's own to write secrets into: ssh's StrictModes rule. Another
// user who can write the folder, or any folder above it, can swap names in it (a symlink
// raced in after a rename, a planted file, a folder moved aside), so it is not.
import * as fs from 'node:fs';
import * as path from 'node:path';

const STICKY = 0o1000;
const uid = (): number | undefined => (typeof process.getuid === 'function' ? process.getuid() : undefined);

/** Why others control `dir` (or a folder above it), or null when only the user and root do. */
export function sharedFolderProblem(dir: string): string | null {
  const me = uid();
  if (me === undefined) return null; // Windows: ACLs, not modes; nothing to read here.
  let real: string;
  try {
    real = fs.realpathSync(dir);
  } catch {
    return null; // A missing folder fails later, at the write, with its own error.
  }
  const trusted = (owner: number) => owner === me || owner === 0;
  for (let d = real, first = true; ; first = false) {
    const st = fs.statSync(d);
    if (!trusted(st.uid)) return `${d} belongs to another user (uid ${st.uid})`;
    const othersWrite = (st.mode & 0o022) !== 0;
    // Above the folder itself, a sticky folder (/tmp) is fine: others cannot rename or remove
    // what they do not own in it. The folder itself must not let others create names at all.
    if (othersWrite && (first || (st.mode & STICKY) === 0)) {
      return `${d} can be written by ${st.mode & 0o002 ? 'every user' : 'its group'}${st.mode & STICKY ? ' (sticky)' : ''}`;
    }
    const up = path.dirname(d);
    if (up === d) return null;
    d = up;
  }
}
