// Walking folders for `vault scan`: regular files only, symbolic links not followed, .git
// folders left to the history scan.
import * as fs from 'node:fs';
import * as path from 'node:path';

export const MAX_SCAN_FILE_BYTES = 64 * 1024 * 1024;

export function* walkFiles(root: string): Generator<string> {
  const st = fs.lstatSync(root, { throwIfNoEntry: false });
  if (!st) return;
  if (st.isFile()) {
    yield root;
    return;
  }
  if (!st.isDirectory()) return;
  const stack = [root];
  while (stack.length) {
    const dir = stack.pop()!;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries.sort((a, b) => (a.name < b.name ? 1 : -1))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== '.git') stack.push(p);
      } else if (e.isFile()) yield p;
    }
  }
}
