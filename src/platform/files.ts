// Walking folders for `vault scan`: regular files only, symbolic links not followed, .git
// folders left to the history scan.
import * as fs from 'node:fs';
import * as path from 'node:path';

export const MAX_SCAN_FILE_BYTES = 64 * 1024 * 1024;

export function* walkFiles(root: string): Generator<string> {
  // The root was named on purpose: a link there is followed (as grep -r does); links inside are not.
  const st = fs.statSync(root, { throwIfNoEntry: false });
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

/**
 * Reads whole files for `vault scan` into one buffer it reuses: thousands of small files then
 * cost no allocation each, and the size comes from the open file (one stat, not two). Returns
 * the bytes (valid until the next read), 'too-large' over MAX_SCAN_FILE_BYTES, or null when
 * the file cannot be read (gone since it was listed, no permission).
 */
export function scanFileReader(): (file: string) => Buffer | 'too-large' | null {
  let buf = Buffer.allocUnsafe(64 * 1024);
  return (file) => {
    let fd: number;
    try {
      fd = fs.openSync(file, 'r');
    } catch {
      return null;
    }
    try {
      const size = fs.fstatSync(fd).size;
      if (size > MAX_SCAN_FILE_BYTES) return 'too-large';
      if (size > buf.length) buf = Buffer.allocUnsafe(size);
      // As readFileSync: up to the size the file had when opened.
      let n = 0;
      while (n < size) {
        const r = fs.readSync(fd, buf, n, size - n, null);
        if (r === 0) break;
        n += r;
      }
      return buf.subarray(0, n);
    } catch {
      return null;
    } finally {
      fs.closeSync(fd);
    }
  };
}
